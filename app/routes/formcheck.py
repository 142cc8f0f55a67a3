"""「様式の照合」: check a form version against an official 様式 file, and record the check (records/admin)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.errors import Forbidden, NotFound, ValidationFailed
from app.security import CookieSigner
from app.services import formcheck
from app.services.formfiles import FormFileError
from app.web import redirect, render

router = APIRouter(prefix="/admin/forms", include_in_schema=False)


def _guard(actor) -> None:
    if not formcheck.can_check(actor):
        raise Forbidden("様式の照合は管理者と総務・文書担当が行います。")


def _signer(request: Request) -> CookieSigner:
    return CookieSigner(request.app.state.settings.secret_key, "form-confirmation")


def _ctx(session, actor, today, **extra) -> dict:
    rows = formcheck.overview(session, actor.organisation_id)
    options = [(r["definition"].key, f"{r['definition'].manifest.title} {r['definition'].label}") for r in rows]
    return {"rows": rows, "options": options, "errors": {}, "today": today.isoformat(), "check": None, "selected": "",
            "pending": None, **extra}


@router.get("")
def forms_page(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    _guard(actor)
    return render(request, "admin/forms.html", _ctx(session, actor, today))


@router.post("/verify")
def verify(request: Request, form: FormDep, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    _guard(actor)
    key, upload = str(form.get("form_version", "")), form.get("file")
    try:
        d = formcheck.resolve(key)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise FormFileError("照合するファイルを選んでください。")
        data = upload.file.read(request.app.state.settings.max_upload_bytes + 1)
        check = formcheck.check_file(d, file_name=upload.filename, data=data,
                                     max_bytes=request.app.state.settings.max_upload_bytes)
    except NotFound:
        return render(request, "admin/forms.html", _ctx(session, actor, today, selected=key,
                      errors={"form_version": "様式の版を選んでください。"}), status=422)
    except FormFileError as exc:
        return render(request, "admin/forms.html", _ctx(session, actor, today, selected=key,
                      errors={"file": str(exc)}), status=422)
    token = _signer(request).sign({"o": actor.organisation_id, "k": d.key, "d": check.digest,
                                   "n": check.file_name, "s": check.file_sha256}) if check.result.ok else ""
    return render(request, "admin/forms.html", _ctx(session, actor, today, check=check, token=token, selected=key))


@router.post("/confirm")
def confirm(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    _guard(actor)
    claim = _signer(request).unsign(str(form.get("token", "")))
    if not isinstance(claim, dict) or claim.get("o") != actor.organisation_id:
        raise ValidationFailed({"file": "照合の結果が確認できません。もう一度照合してください。"})
    d = formcheck.resolve(claim["k"])
    try:
        formcheck.record_confirmation(session, actor=actor, definition=d, digest=claim["d"], file_name=claim["n"],
                                      file_sha256=claim["s"], checked_on=str(form.get("checked_on", "")),
                                      checked_by=str(form.get("checked_by", "")), today=today)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "admin/forms.html", _ctx(session, actor, today, errors=exc.errors, selected=d.key,
                                                        pending={"token": form.get("token"), "key": d.key,
                                                                 "file_name": claim["n"]}), status=422)
    return redirect(request, "/admin/forms", flash=f"{d.label} の照合を記録しました。")
