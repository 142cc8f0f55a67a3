"""Word / PDF downloads of a version (案・提出用・公表用) and the 変更箇所 rows entered by hand."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.errors import ValidationFailed
from app.services import changes, exports
from app.web import content_disposition, redirect

router = APIRouter(include_in_schema=False)


@router.get("/versions/{vid}/export")
def download(request: Request, vid: int, session: SessionDep, actor: ActorDep, today: TodayDep,
             edition: str = "full", format: str = "docx") -> Response:
    out = exports.export(session, actor=actor, version_id=vid, edition=edition, fmt=format, today=today)
    return Response(out.content, media_type=out.media_type,
                    headers={"Content-Disposition": content_disposition(out.filename)})


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
