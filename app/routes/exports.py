"""Word / PDF downloads of a version (案・提出用・公表用) and the 変更箇所 rows entered by hand."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.downloads import send
from app.errors import ValidationFailed
from app.services import changes, exports
from app.web import redirect

router = APIRouter(include_in_schema=False)


@router.get("/versions/{vid}/export")
def download(request: Request, vid: int, session: SessionDep, actor: ActorDep, today: TodayDep,
             edition: str = "full", format: str = "docx") -> Response:
    out = exports.export(session, actor=actor, version_id=vid, edition=edition, fmt=format, today=today)
    return send(request, actor, content=out.content, media_type=out.media_type, filename=out.filename,
                entity="version", entity_id=vid, what="評価書", edition=edition, fmt=format, version=vid)


@router.post("/assessments/{aid}/changes")
def save_change(request: Request, aid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
                today: TodayDep) -> Response:
    data = {k: str(form.get(k, "")) for k in ("id", "changed_on", "item_label", "before_text", "after_text", "timing",
                                               "timing_note", "delete")}
    try:
        changes.save_row(session, actor=actor, assessment_id=aid, data=data, today=today)
    except ValidationFailed as exc:
        session.rollback()
        return redirect(request, f"/assessments/{aid}#changes", flash="変更箇所を保存できませんでした: "
                        + " ".join(exc.errors.values()))
    return redirect(request, f"/assessments/{aid}#changes", flash="変更箇所を更新しました。")


@router.get("/plan")
def plan_page(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    from app.services import plan
    from app.web import Pager, render

    pager = Pager(request, plan.count(session, actor=actor))
    org, rows = plan.rows(session, actor=actor, today=today, limit=pager.page.limit, offset=pager.page.offset)
    return render(request, "assessments/plan.html", {"org": org, "rows": rows, "pager": pager, "columns": plan.COLUMNS,
                                                         "optional": plan.SCREEN_OPTIONAL})


@router.get("/plan/export")
def plan_export(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep, format: str = "docx") -> Response:
    from app.domain.wareki import wareki_compact
    from app.services import plan

    org, rows = plan.rows(session, actor=actor, today=today)
    name = f"特定個人情報保護評価計画管理書_{wareki_compact(today)}"
    if format == "csv":
        return send(request, actor, content=plan.to_csv(rows), media_type="text/csv; charset=utf-8",
                    filename=name + ".csv", entity="plan", entity_id=org.id, what="計画管理書", fmt="csv")
    return send(request, actor, content=plan.to_docx(org, rows, today), media_type=exports.DOCX_TYPE,
                filename=name + ".docx", entity="plan", entity_id=org.id, what="計画管理書", fmt="docx")


@router.get("/assessments/{aid}/changes.docx")
def changes_docx(request: Request, aid: int, session: SessionDep, actor: ActorDep) -> Response:
    name, data = changes.comparison_docx(session, actor=actor, assessment_id=aid)
    return send(request, actor, content=data, media_type=exports.DOCX_TYPE, filename=name, entity="assessment",
                entity_id=aid, what="新旧対照表", fmt="docx")
