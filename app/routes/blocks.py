"""共通記載: the list, one block (edit, history, uses) and the proposals after it changed (accept / keep)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain import blocks as B
from app.domain.changes import CLASSES
from app.domain.forms import AUDIENCES
from app.domain.policy import can_manage_register_settings, can_view_department
from app.errors import Conflict, ValidationFailed
from app.services import block_proposals, text_blocks
from app.web import posted_version, redirect, render

router = APIRouter(include_in_schema=False)


def _data(form) -> dict:
    return {"title": str(form.get("title", "")), "kind": str(form.get("kind", "")), "text": str(form.get("text", "")),
            "measures": text_blocks.measures_form({a: str(form.get(f"measures_{a}", "")) for a in AUDIENCES}),
            "note": str(form.get("note", "")), "reason": str(form.get("reason", "")),
            "active": form.get("active") == "1", "lock_version": posted_version(form)}


def _ctx(session, actor, **extra) -> dict:
    return {"LEVELS": B.LEVELS, "KINDS": B.KINDS, "can_edit": can_manage_register_settings(actor), "errors": {},
            "CLASSES": CLASSES, "block_text": B.block_text, **extra}


@router.get("/blocks")
def index(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    rows = text_blocks.all_of(session, actor=actor)
    return render(request, "blocks/index.html", _ctx(session, actor, rows=rows, data={"kind": "text", "active": True}))


@router.post("/blocks")
def create(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    data = _data(form)
    try:
        b = text_blocks.save(session, actor=actor, data=data)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "blocks/index.html", _ctx(session, actor, rows=text_blocks.all_of(session, actor=actor),
                                                         data=data, errors=exc.errors), status=422)
    return redirect(request, f"/blocks/{b.id}", flash="共通記載を登録しました。")


def _seen(actor, rows: list) -> list:
    """Staff read a block, but see its uses and proposals only in the 評価書 of their own departments."""
    return [r for r in rows if can_view_department(actor, r.jimu.department_id)]


def _show(request, session, actor, bid: int, *, data=None, errors=None, conflict="", status=200) -> Response:
    b = text_blocks.get(session, actor=actor, block_id=bid)
    return render(request, "blocks/show.html", _ctx(
        session, actor, b=b, history=text_blocks.history(session, b.id), conflict=conflict,
        uses=_seen(actor, text_blocks.uses_of(session, actor=actor, block_id=b.id)), errors=errors or {},
        proposals=_seen(actor, block_proposals.proposals(session, actor=actor, block=b)),
        data=data or text_blocks.as_form(b),
        stored=text_blocks.as_form(b), inline_diff=B.inline_diff), status=status)


@router.get("/blocks/{bid}")
def show(request: Request, bid: int, session: SessionDep, actor: ActorDep) -> Response:
    return _show(request, session, actor, bid)


@router.post("/blocks/{bid}")
def update(request: Request, bid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    data = _data(form)
    try:
        text_blocks.save(session, actor=actor, data=data, block_id=bid)
    except ValidationFailed as exc:
        session.rollback()
        return _show(request, session, actor, bid, data=data, errors=exc.errors, status=422)
    except Conflict as exc:  # both versions side by side: what was posted, and what is stored now
        session.rollback()
        return _show(request, session, actor, bid, data=data, conflict=exc.message, status=409)
    return redirect(request, f"/blocks/{bid}", flash="共通記載を更新しました。使用している評価書への提案を確認してください。")


@router.post("/blocks/{bid}/accept")
def accept(request: Request, bid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
           today: TodayDep) -> Response:
    ids = [int(x) for x in form.getlist("assessment") if str(x).isdigit()]
    try:
        r = block_proposals.accept(session, actor=actor, block_id=bid, assessment_ids=ids, today=today,
                                   cls=str(form.get("cls", "formal")))
    except ValidationFailed as exc:
        session.rollback()
        return _show(request, session, actor, bid, errors=exc.errors, status=422)
    if r.campaign is None:
        return redirect(request, f"/blocks/{bid}", flash=f"作業中の版{len(r.in_place)}件に反映しました。")
    return redirect(request, f"/campaigns/{r.campaign.id}",
                    flash=f"一括変更「{r.campaign.name}」として反映しました。新しい版を{r.created}件作成しました。")


@router.post("/blocks/{bid}/keep")
def keep(request: Request, bid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    aid = int(form.get("assessment")) if str(form.get("assessment", "")).isdigit() else 0
    try:
        block_proposals.keep(session, actor=actor, block_id=bid, assessment_id=aid, note=str(form.get("note", "")))
    except ValidationFailed as exc:
        session.rollback()
        return _show(request, session, actor, bid, errors=exc.errors, status=422)
    return redirect(request, f"/blocks/{bid}", flash="今の記載のままとしました(記録しました)。")
