"""一括変更: the list and the definition (YAML), the plan of each 評価書, apply, the progress page and report."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.downloads import send
from app.errors import ValidationFailed
from app.services import campaign_progress, campaigns, exports
from app.web import posted_version, redirect, render

router = APIRouter(include_in_schema=False)


def _page(request, session, actor, today, c, text="", errors=None, status=200) -> Response:
    spec = campaigns.parse(c.spec)
    plan, missing = campaigns.plan(session, actor=actor, spec=spec, as_of=today, campaign_id=c.id)
    return render(request, "campaigns/show.html", {
        "c": c, "spec": spec, "plan": [(r, r.as_dict(today)) for r in plan if r.status != "applied"], "missing": missing,
        "progress": campaign_progress.rows(session, actor=actor, campaign=c, today=today),
        "text": text or campaigns.to_yaml(c.spec), "errors": errors or {}}, status=status)


@router.get("/campaigns")
def index(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "campaigns/index.html", {"rows": campaigns.all_of(session, actor=actor),
                                                    "text": campaigns.example_text(), "errors": {}})


@router.post("/campaigns")
def create(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    text = str(form.get("spec", ""))
    try:
        c = campaigns.save(session, actor=actor, raw=campaigns.read_yaml(text))
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "campaigns/index.html", {"rows": campaigns.all_of(session, actor=actor), "text": text,
                                                        "errors": exc.errors}, status=422)
    return redirect(request, f"/campaigns/{c.id}", flash="一括変更を保存しました。評価書ごとの計画を確認してください。")


@router.get("/campaigns/{cid}")
def show(request: Request, cid: int, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    return _page(request, session, actor, today, campaigns.get(session, actor=actor, campaign_id=cid))


@router.post("/campaigns/{cid}")
def update(request: Request, cid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
           today: TodayDep) -> Response:
    c, text = campaigns.get(session, actor=actor, campaign_id=cid), str(form.get("spec", ""))
    try:
        c = campaigns.update(session, actor=actor, campaign_id=c.id, raw=campaigns.read_yaml(text),
                             lock_version=posted_version(form))
    except ValidationFailed as exc:
        session.rollback()
        return _page(request, session, actor, today, c, text, exc.errors, status=422)
    return redirect(request, f"/campaigns/{c.id}", flash="一括変更の定義を更新しました。")


@router.post("/campaigns/{cid}/apply")
def apply(request: Request, cid: int, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    result = campaigns.apply(session, actor=actor, campaign_id=cid, today=today)
    return redirect(request, f"/campaigns/{cid}", flash=f"一括変更を適用しました。新しい版を{len(result.created)}件作成しました。")


@router.get("/campaigns/{cid}/report")
def report(request: Request, cid: int, session: SessionDep, actor: ActorDep, today: TodayDep,
           format: str = "docx") -> Response:
    c = campaigns.get(session, actor=actor, campaign_id=cid)
    rows = campaign_progress.rows(session, actor=actor, campaign=c, today=today)
    if format == "csv":
        return send(request, actor, content=campaign_progress.to_csv(rows), media_type="text/csv; charset=utf-8",
                    filename=f"一括変更の進捗_{c.id}.csv", entity="campaign", entity_id=c.id, what="一括変更の進捗", fmt="csv")
    return send(request, actor, content=campaign_progress.to_docx(c, rows, today), media_type=exports.DOCX_TYPE,
                filename=f"一括変更の進捗_{c.id}.docx", entity="campaign", entity_id=c.id, what="一括変更の進捗",
                fmt="docx")
