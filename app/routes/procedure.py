"""Procedure screens: transitions, public comment, council review, PPC approval, snapshots."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain import workflow
from app.domain.policy import can_manage_register_settings
from app.downloads import send
from app.errors import Conflict, DomainError, Forbidden, ValidationFailed
from app.services import (
    approval,
    assessments,
    catalogue,
    comments,
    council,
    exports,
    procedure,
    procedure_view,
    snapshots,
)
from app.services.minutes import minutes_docx
from app.web import redirect, render

router = APIRouter(include_in_schema=False)


@router.post("/versions/{vid}/transition")
def transition(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
               today: TodayDep) -> Response:
    _v, a, _ = assessments.get_version(session, actor=actor, version_id=vid)
    g = lambda k: str(form.get(k, ""))
    if workflow.needs_confirmation(g("action")) and g("confirmed") != "1":
        return transition_confirm(request, vid, session, actor, today, g("action"), g("on_date"), g("with_basic"))
    try:
        fired = procedure.fire(session, actor=actor, version_id=vid, action=g("action"), lock=g("lock"),
                               reason=g("reason"), on_date=g("on_date"), today=today, with_basic=g("with_basic") == "1")
    except (Conflict, ValidationFailed, Forbidden) as exc:
        session.rollback()
        message = " ".join(exc.errors.values()) if isinstance(exc, ValidationFailed) else exc.message
        return refused(request, a.id, message, exc.status)
    note = f"「{fired.transition.label}」を行いました。"
    if fired.filled:
        note += f"評価実施手続の{len(fired.filled)}項目に手続の記録を入力しました。内容を確認してください。"
    return redirect(request, f"/assessments/{a.id}#procedure", flash=note)


def refused(request: Request, aid: int, message: str, status: int) -> Response:
    """A refused step goes back to the 評価書 page (Post/Redirect/Get) with the reason on top of the page."""
    response = redirect(request, f"/assessments/{aid}#procedure", flash=f"手続を進められませんでした: {message}")
    response.headers["X-Transition"] = "refused"
    response.headers["X-Transition-Status"] = str(status)
    return response


@router.get("/versions/{vid}/transition/confirm")
def transition_confirm(request: Request, vid: int, session: SessionDep, actor: ActorDep, today: TodayDep,
                       action: str = "", on_date: str = "", with_basic: str = "") -> Response:
    _v, a, _ = assessments.get_version(session, actor=actor, version_id=vid)
    try:
        ctx = procedure_view.confirmation(session, actor=actor, version_id=vid, action=action, on_date=on_date,
                                          today=today, with_basic=with_basic == "1")
    except Conflict as exc:
        return refused(request, a.id, exc.message, exc.status)
    return render(request, "procedure/confirm.html", ctx)


def _comment_ctx(session, actor, vid: int, errors=None, data=None) -> dict:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    c = comments.current(session, v.id)
    picker = assessments.item_picker_of(session, catalogue.definition(a.form, v.form_version), v.id)
    return {"v": v, "a": a, "jimu": jimu, "c": c, "opinions": comments.opinions(session, c.id) if c else [],
            "channels": comments.CHANNELS, "picker": picker,
            "errors": errors or {}, "can_record": can_manage_register_settings(actor),
            "data": data or {}}


@router.get("/versions/{vid}/comment")
def comment_page(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "procedure/comment.html", _comment_ctx(session, actor, vid))


@router.post("/versions/{vid}/comment")
def comment_post(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
                 today: TodayDep) -> Response:
    what = str(form.get("what", ""))
    data = {k: str(form.get(k, "")) for k in ("method", "start_on", "end_on", "shortening_reason", "id", "received_on",
                                               "channel", "submitter", "text", "response", "changed_item")}
    data["items"] = [str(i) for i in form.getlist("items")]
    data["led_to_change"] = form.get("led_to_change") == "1"
    try:
        if what == "setup":
            comments.setup(session, actor=actor, version_id=vid, method=data["method"], start=data["start_on"],
                           end=data["end_on"], reason=data["shortening_reason"], today=today)
        else:
            comments.save_opinion(session, actor=actor, version_id=vid, data=data, today=today)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "procedure/comment.html", _comment_ctx(session, actor, vid, exc.errors, data), status=422)
    if what == "setup" and form.get("back") == "procedure":
        return _back_to_procedure(request, session, actor, vid, "意見公募の方法と期間を登録しました。")
    return redirect(request, f"/versions/{vid}/comment", flash="意見公募の記録を更新しました。")


def _back_to_procedure(request: Request, session, actor, vid: int, note: str) -> Response:
    """A setup saved from the form under a disabled procedure button returns to that button (issue 14 item 7)."""
    _, a, _ = assessments.get_version(session, actor=actor, version_id=vid)
    return redirect(request, f"/assessments/{a.id}#procedure", flash=note)


@router.get("/versions/{vid}/comment/results.docx")
def comment_results(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    name, data = comments.results_docx(session, actor=actor, version_id=vid)
    return send(request, actor, content=data, media_type=exports.DOCX_TYPE, filename=name, entity="version",
                entity_id=vid, what="意見公募の結果", fmt="docx", version=vid)


def _review_ctx(session, actor, vid: int, errors=None, data=None) -> dict:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    r = council.current_review(session, v.id)
    picker = assessments.item_picker_of(session, catalogue.definition(a.form, v.form_version), v.id)
    return {"v": v, "a": a, "jimu": jimu, "r": r, "councils": council.councils(session, a.organisation_id),
            "meetings": council.meetings(session, r.id) if r else [], "findings": council.findings(session, r.id) if r else [],
            "conditions": council.conditions(session, r.id) if r else [],
            "picker": picker, "results": council.RESULTS, "status": council.FINDING_STATUS, "errors": errors or {},
            "can_record": can_manage_register_settings(actor), "data": data or {},
            "council_name": council.council_name(session, r.council_id) if r else "",
            "earlier": [x for x in council.rounds(session, v.id) if r and x.id != r.id]}


@router.get("/versions/{vid}/review")
def review_page(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "procedure/review.html", _review_ctx(session, actor, vid))


@router.post("/versions/{vid}/review")
def review_post(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
                today: TodayDep) -> Response:
    what = str(form.get("what", ""))
    g = lambda k: str(form.get(k, ""))
    council.require_recorder(session, actor=actor, version_id=vid)
    finding = {"text": g("text"), "items": [str(i) for i in form.getlist("items")], "meeting_id": g("meeting_id")}
    try:
        if what not in ("setup", "meeting", "finding", "answer"):
            raise ValidationFailed({"what": "記録する内容を選択してください。"})
        if what == "setup":
            council.setup_review(session, actor=actor, version_id=vid, council_id=g("council_id"),
                                 consulted_on=g("consulted_on"), method=g("method"))
        elif what == "meeting":
            entries = [{"speaker": s, "text": t, "private": str(i) in form.getlist("private")}
                       for i, (s, t) in enumerate(zip(form.getlist("speaker"), form.getlist("minute_text"), strict=False))]
            council.save_meeting(session, actor=actor, version_id=vid, data={
                "session_name": g("session_name"), "held_on": g("held_on"), "place": g("place"), "agenda": g("agenda"),
                "attendance": g("attendance"), "public": g("public") == "1", "minutes": entries})
        elif what == "finding":
            council.add_finding(session, actor=actor, version_id=vid, data=finding)
        elif what == "answer":
            council.record_answer(session, actor=actor, version_id=vid, result=g("result"), answered_on=g("answered_on"),
                                  text=g("answer_text"), conditions=[str(c) for c in form.getlist("condition")])
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"review": exc.message}
        data = finding if what == "finding" else None  # a refused 指摘事項 comes back as typed and picked
        return render(request, "procedure/review.html", _review_ctx(session, actor, vid, errors, data),
                      status=exc.status)
    if what == "setup" and form.get("back") == "procedure":
        return _back_to_procedure(request, session, actor, vid, "審議会への諮問の内容を登録しました。")
    return redirect(request, f"/versions/{vid}/review", flash="第三者点検の記録を更新しました。")


@router.post("/findings/{finding_id}/answer")
def finding_answer(request: Request, finding_id: int, form: FormDep, session: WriteSessionDep,
                   actor: ActorDep) -> Response:
    version_id = council.version_of_finding(session, finding_id)
    try:
        council.answer_finding(session, actor=actor, finding_id=finding_id, response=str(form.get("response", "")),
                               status=str(form.get("status", "")), reason=str(form.get("reason", "")))
    except ValidationFailed as exc:
        session.rollback()
        return redirect(request, f"/versions/{version_id}/review#finding-{finding_id}",
                        flash="回答を保存できませんでした: " + " ".join(exc.errors.values()))
    return redirect(request, f"/versions/{version_id}/review#finding-{finding_id}", flash="指摘事項への回答を保存しました。")


@router.post("/conditions/{condition_id}/meet")
def condition_meet(request: Request, condition_id: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
                   today: TodayDep) -> Response:
    version_id = council.version_of_condition(session, condition_id)
    try:
        council.meet_condition(session, actor=actor, condition_id=condition_id, met_on=str(form.get("met_on", "")),
                               note=str(form.get("note", "")), today=today)
    except ValidationFailed as exc:
        session.rollback()
        return redirect(request, f"/versions/{version_id}/review",
                        flash="対応済みにできませんでした: " + " ".join(exc.errors.values()))
    return redirect(request, f"/versions/{version_id}/review", flash="答申の条件を対応済みにしました。")


@router.get("/meetings/{meeting_id}/minutes.docx")
def minutes(request: Request, meeting_id: int, session: SessionDep, actor: ActorDep, public: int = 1) -> Response:
    is_public = bool(public) or actor.role == "council"
    name, data = minutes_docx(session, actor=actor, meeting_id=meeting_id, public=is_public)
    return send(request, actor, content=data, media_type=exports.DOCX_TYPE, filename=name, entity="meeting",
                entity_id=meeting_id, what="議事録", edition="public" if is_public else "full", fmt="docx")


@router.get("/versions/{vid}/approval")
def approval_page(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    return render(request, "procedure/approval.html", {"v": v, "a": a, "jimu": jimu,
                                                       "ap": approval.current(session, v.id), "errors": {}})


@router.post("/versions/{vid}/approval")
def approval_post(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    try:
        approval.save(session, actor=actor, version_id=vid, applied_on=str(form.get("applied_on", "")),
                      notes=str(form.get("review_notes", "")))
    except ValidationFailed as exc:
        session.rollback()
        v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
        return render(request, "procedure/approval.html", {"v": v, "a": a, "jimu": jimu, "errors": exc.errors,
                                                           "ap": approval.current(session, v.id)}, status=422)
    return redirect(request, f"/versions/{vid}/approval", flash="承認申請の記録を保存しました。")


@router.get("/snapshots/{snapshot_id}")
def snapshot_view(request: Request, snapshot_id: int, session: SessionDep, actor: ActorDep) -> Response:
    snap = council.readable_snapshot(session, actor, snapshot_id)
    return render(request, "procedure/snapshot.html", {"snap": snap, "s": snapshots.view(session, snap)})


@router.get("/snapshots/{snapshot_id}/download")
def snapshot_download(request: Request, snapshot_id: int, session: SessionDep, actor: ActorDep) -> Response:
    snap = council.readable_snapshot(session, actor, snapshot_id)
    if not snap.docx:
        raise DomainError("この記録には Word ファイルがありません。")
    return send(request, actor, content=snap.docx, media_type=exports.DOCX_TYPE, filename=snap.filename,
                entity="snapshot", entity_id=snapshot_id, what="記録(スナップショット)", edition=snap.edition, fmt="docx",
                version=snap.version_id)
