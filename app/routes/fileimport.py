"""「ファイルから取り込む」 (a filled 評価書 into a 評価書's working version, or as a new 評価書 of a 事務), the report of
an import, and 「取り込めなかった記載」 (place into an item / discard) — logic in services/fileimport.py and
services/unmapped.py."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain.forms import AUDIENCES, FORM_LABEL
from app.errors import Conflict, ValidationFailed
from app.services import assessments, catalogue, fileimport, register, unmapped
from app.web import redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "assessments/import_file.html"


def _ctx(session, actor, *, aid: int = 0, jimu_id: int = 0, errors=None, data=None, status_note: str = "") -> dict:
    if aid:
        a, jimu = assessments.get(session, actor=actor, assessment_id=aid, edit=True)
        v = assessments.current_version(session, a.id)
        forms = [a.form]
    else:
        a, v, jimu = None, None, register.get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
        forms = list(FORM_LABEL)
    versions = {f: [(d.version, d.label) for d in reversed(catalogue.catalogue().versions(f))] for f in forms}
    choices = [(f"{f}:{key}", f"{FORM_LABEL[f]} {label}") for f in forms for key, label in versions[f]]
    return {"a": a, "v": v, "jimu": jimu, "versions": versions, "choices": choices, "errors": errors or {}, "data": data or {},
            "note": status_note, "editable": v is None or assessments.content_open(v),
            "limit_mb": fileimport.formfiles.MAX_BYTES // (1024 * 1024)}


def _upload(request: Request, form) -> tuple[str, bytes]:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed({"file": "取り込むファイルを選んでください。"})
    return upload.filename, upload.file.read(fileimport.formfiles.MAX_BYTES + 1)


def _run(request, form, session, actor, *, aid: int = 0, jimu_id: int = 0) -> Response:
    data = {k: str(form.get(k, "")) for k in ("form_version", "source_version", "number")}
    chosen_form, _, version = data["form_version"].partition(":")
    try:
        name, content = _upload(request, form)
        number = int(data["number"]) if data["number"].strip().isdigit() else None
        if data["number"].strip() and number is None:
            raise ValidationFailed({"number": "評価書番号は数字で入力してください。"})
        rep = fileimport.import_file(session, actor=actor, name=name, data=content, form=chosen_form,
                                     version=version, source_version=data["source_version"],
                                     into=aid or None, jimu_id=jimu_id or None, number=number)
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"file": exc.message}
        return render(request, PAGE, _ctx(session, actor, aid=aid, jimu_id=jimu_id, errors=errors, data=data),
                      status=exc.status)
    return redirect(request, f"/versions/{rep.version_id}/import-report",
                    flash=f"{name} を取り込みました。{rep.summary()}")


@router.get("/assessments/{aid}/import-file")
def into_page(request: Request, aid: int, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, PAGE, _ctx(session, actor, aid=aid))


@router.post("/assessments/{aid}/import-file")
def into_post(request: Request, aid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    assessments.get(session, actor=actor, assessment_id=aid, edit=True)  # 403 before the file is read
    return _run(request, form, session, actor, aid=aid)


@router.get("/jimu/{jimu_id}/import-file")
def new_page(request: Request, jimu_id: int, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, PAGE, _ctx(session, actor, jimu_id=jimu_id))


@router.post("/jimu/{jimu_id}/import-file")
def new_post(request: Request, jimu_id: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    register.get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    return _run(request, form, session, actor, jimu_id=jimu_id)


@router.get("/versions/{vid}/import-report")
def report(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    return render(request, "assessments/import_report.html", {
        "v": v, "a": a, "jimu": jimu, "r": unmapped.last_import(session, actor=actor, version_id=vid),
        "origin": unmapped.origin})


def _list_ctx(session, actor, vid: int, errors=None, message: str = "") -> dict:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    rows = unmapped.of_version(session, v.id)
    return {"v": v, "a": a, "jimu": jimu, "rows": rows, "errors": errors or {},
            "has_import": any(unmapped.from_file(u) for u in rows),
            "editable": assessments.editability(actor, jimu, v).ok,
            "origin": unmapped.origin, "reason": unmapped.reason, "message": message}


@router.get("/versions/{vid}/unmapped")
def listing(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "assessments/unmapped.html", _list_ctx(session, actor, vid))


def _place_ctx(session, actor, uid: int, errors=None, data=None, message: str = "") -> dict:
    row, v, a, jimu = unmapped.get(session, actor=actor, unmapped_id=uid, edit=True)
    d = catalogue.definition(a.form, v.form_version)
    data = data or {"item": row.old_item_id if unmapped.placeable(d, row.old_item_id) else "",
                    "file_uid": row.file_uid, "audience": "external"}
    return {"u": row, "v": v, "a": a, "jimu": jimu, "picker": unmapped.targets(d), "errors": errors or {},
            "data": data, "files": (files := assessments.files(session, v.id)),
            "file_options": [(x.uid, x.name) for x in files], "AUDIENCES": AUDIENCES, "message": message,
            "origin": unmapped.origin, "reason": unmapped.reason}


@router.get("/unmapped/{uid}/place")
def place_page(request: Request, uid: int, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "assessments/unmapped_place.html", _place_ctx(session, actor, uid))


@router.post("/unmapped/{uid}/place")
def place(request: Request, uid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
          today: TodayDep) -> Response:
    data = {k: str(form.get(k, "")) for k in ("item", "file_uid", "audience")}
    try:
        row, url = unmapped.place(session, actor=actor, unmapped_id=uid, item_id=data["item"],
                                  file_uid=data["file_uid"], audience=data["audience"], today=today)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "assessments/unmapped_place.html", _place_ctx(session, actor, uid, exc.errors, data),
                      status=422)
    except Conflict as exc:
        session.rollback()
        return render(request, "assessments/unmapped_place.html",
                      _place_ctx(session, actor, uid, data=data, message=exc.message), status=409)
    return redirect(request, url, flash=f"取り込めなかった記載を{row.resolution}しました。内容を確認してください。")


@router.post("/unmapped/{uid}/discard")
def discard(request: Request, uid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    try:
        row = unmapped.discard(session, actor=actor, unmapped_id=uid, why=str(form.get("why", "")))
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        vid = unmapped.get(session, actor=actor, unmapped_id=uid)[1].id
        errors = {f"why-{uid}": exc.errors.get("why", "")} if isinstance(exc, ValidationFailed) else {}
        return render(request, "assessments/unmapped.html",
                      _list_ctx(session, actor, vid, errors, "" if errors else exc.message), status=exc.status)
    return redirect(request, f"/versions/{row.version_id}/unmapped", flash="記載を破棄しました(監査ログに残ります)。")
