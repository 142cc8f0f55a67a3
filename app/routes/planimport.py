"""「計画管理書の取込み」 (upload → preview → apply) and 「移行登録」 of an imported draft (records / admin only)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain import plansheet
from app.errors import ValidationFailed
from app.security import CookieSigner
from app.services import assessments, migration, planimport
from app.web import redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "admin/plan_import.html"
FIELD_OPTIONS = [*plansheet.FIELDS.items(), (plansheet.IGNORE, "取り込まない")]


def _signer(request: Request) -> CookieSigner:
    return CookieSigner(request.app.state.settings.secret_key, "plan-import")


def _ctx(request: Request, actor, **extra) -> dict:
    shown = extra.get("shown")
    token = _signer(request).sign({"o": actor.organisation_id, "t": shown.table.to_json()}) if shown else ""
    return {"errors": {}, "shown": None, "done": None, "token": token, "FIELDS": FIELD_OPTIONS, **extra}


def _table(request: Request, form, actor) -> planimport.Table:
    """The uploaded file, or the table carried (signed) from the preview."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        limit = request.app.state.settings.max_upload_bytes
        return planimport.read_table(upload.filename, upload.file.read(limit + 1), max_bytes=limit)
    claim = _signer(request).unsign(str(form.get("token", "")))
    if not isinstance(claim, dict) or claim.get("o") != actor.organisation_id:
        raise planimport.PlanFileError("取り込む計画管理書のファイルを選んでください。")
    return planimport.Table.from_json(claim["t"])


def _chosen(form) -> dict[int, str]:
    return {int(k[4:]): str(v) for k, v in form.multi_items()
            if k.startswith("map-") and k[4:].isdigit() and str(v) in dict(FIELD_OPTIONS)}


@router.get("/admin/plan-import")
def page(request: Request, actor: ActorDep) -> Response:
    migration.require(actor)
    return render(request, PAGE, _ctx(request, actor))


@router.post("/admin/plan-import/preview")
def preview(request: Request, form: FormDep, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    migration.require(actor)
    try:
        table = _table(request, form, actor)
    except planimport.PlanFileError as exc:
        return render(request, PAGE, _ctx(request, actor, errors={"file": str(exc)}), status=422)
    shown = planimport.preview(session, actor=actor, table=table, chosen=_chosen(form), today=today)
    return render(request, PAGE, _ctx(request, actor, shown=shown))


@router.post("/admin/plan-import/apply")
def apply(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    migration.require(actor)
    try:
        table = _table(request, form, actor)
        done = planimport.apply(session, actor=actor, table=table, chosen=_chosen(form), today=today,
                                create_departments=form.get("create_departments") == "1")
    except planimport.PlanFileError as exc:
        return render(request, PAGE, _ctx(request, actor, errors={"file": str(exc)}), status=422)
    except ValidationFailed as exc:
        session.rollback()
        shown = planimport.preview(session, actor=actor, table=table, chosen=_chosen(form), today=today)
        return render(request, PAGE, _ctx(request, actor, shown=shown, errors=exc.errors), status=422)
    return render(request, PAGE, _ctx(request, actor, done=done))


def _migrate_ctx(session, actor, vid: int, errors: dict, data: dict) -> dict:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    return {"v": v, "a": a, "jimu": jimu, "errors": errors, "data": data, "offer": migration.offer(session, actor, v)}


@router.get("/versions/{vid}/migrate")
def migrate_form(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    migration.require(actor)
    return render(request, "assessments/migrate.html", _migrate_ctx(session, actor, vid, {}, {}))


@router.post("/versions/{vid}/migrate")
def migrate(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
            today: TodayDep) -> Response:
    data = {k: str(form.get(k, "")) for k in ("published_on", "submitted_on")}
    try:
        v = migration.register_draft(session, actor=actor, version_id=vid, today=today, **data)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "assessments/migrate.html", _migrate_ctx(session, actor, vid, exc.errors, data),
                      status=422)
    return redirect(request, f"/assessments/{v.assessment_id}", flash=f"{migration.LABEL}として登録しました。")
