"""第三者点検 by the council: councils and members, the review of a version, meetings and minutes,
指摘事項 with the department's answers, and the 答申 with its conditions."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.domain.policy import Actor, can_manage_register_settings
from app.domain.text import text_problem
from app.domain.wareki import date_field
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models import (
    Assessment,
    AssessmentVersion,
    Council,
    CouncilMember,
    Finding,
    Meeting,
    Review,
    ReviewCondition,
    Snapshot,
    User,
    pk,
)
from app.services import assessments, audit, catalogue, locking, scope

RESULTS = ("適当", "条件付き適当", "不適当")
FINDING_STATUS = {"open": "対応中", "done": "対応済", "not_needed": "対応不要"}


def _records_only(actor: Actor) -> None:
    if not can_manage_register_settings(actor):
        raise Forbidden("第三者点検の記録は総務・文書担当が行います。")


def _text(data: Mapping[str, Any], key: str, label: str, limit: int, errors: dict[str, str], *,
          required: bool = False) -> str:
    value = str(data.get(key, ""))
    problem = text_problem(value, label=label, max_len=limit, required=required)
    if problem:
        errors[key] = problem
    return value.strip()


def councils(session: Session, organisation_id: int) -> list[Council]:
    return list(session.exec(select(Council).where(Council.organisation_id == organisation_id)
                             .order_by(col(Council.id))).all())


def members(session: Session, council_id: int) -> list[User]:
    return list(session.exec(select(User).join(CouncilMember, col(CouncilMember.user_id) == User.id)
                             .where(CouncilMember.council_id == council_id).order_by(col(User.id))).all())


def save_council(session: Session, *, actor: Actor, name: str, member_ids: list[int], council_id: int | None = None,
                 lock_version: str | None = None) -> Council:
    _records_only(actor)
    errors: dict[str, str] = {}
    name = _text({"name": name}, "name", "審議会の名称", 200, errors, required=True)
    users = {u.id: u for u in session.exec(select(User).where(scope.body_clause(User.organisation_id, actor))).all()}
    if any(users.get(i) is None or users[i].role != "council" for i in member_ids):
        errors["member_ids"] = "委員には「審議会委員」の利用者を選択してください。"
    if errors:
        raise ValidationFailed(errors)
    council = session.get(Council, council_id) if council_id else None
    if council_id and (council is None or not scope.same_body(actor, council.organisation_id)):
        raise NotFound("審議会が見つかりません。")
    if council is not None:
        locking.claim_row(session, council, lock_version, message="この審議会の設定は他の利用者により先に更新されています。",
                          what="この審議会の設定", entity="council", actor_id=actor.user_id,
                          describe=lambda c: f"名称「{c.name}」、委員 {len(members(session, c.id))}名")
    if council is None:
        body = scope.own_body(actor, "審議会は評価実施機関ごとに登録します(所属のない利用者は登録できません)。")
        council = Council(organisation_id=body, name=name)
    council.name = name
    session.add(council)
    session.flush()
    for m in session.exec(select(CouncilMember).where(CouncilMember.council_id == council.id)).all():
        session.delete(m)
    session.flush()
    for uid in sorted(set(member_ids)):
        session.add(CouncilMember(council_id=pk(council), user_id=uid))
    audit.record(session, actor=actor, entity="council", entity_id=council.id, action="saved",
                 after={"name": name, "members": sorted(set(member_ids))})
    session.commit()
    return council


def current_review(session: Session, version_id: int) -> Review | None:
    from app.services.procedure import current_review as latest_round

    return latest_round(session, version_id)


def rounds(session: Session, version_id: int) -> list[Review]:
    """Every round of the 第三者点検 of a version, oldest first (「再度の点検を求める」 opens a new one)."""
    return list(session.exec(select(Review).where(Review.version_id == version_id).order_by(col(Review.id))).all())


def setup_review(session: Session, *, actor: Actor, version_id: int, council_id: str, consulted_on: str,
                 method: str) -> Review:
    _records_only(actor)
    v, a, _ = assessments.get_version(session, actor=actor, version_id=version_id)
    review = current_review(session, pk(v))
    if review and review.snapshot_id and v.stage == "third_party_review":
        raise Conflict("第三者点検の実施中は諮問の内容を変更できません。")
    errors: dict[str, str] = {}
    council = session.get(Council, int(council_id)) if str(council_id).isdigit() else None
    if council is None or council.organisation_id != a.organisation_id:
        errors["council_id"] = "審議会を選択してください(管理画面の「審議会」で登録できます)。"
    day = date_field(consulted_on, label="諮問日", errors=errors, key="consulted_on", required=True)
    method = _text({"method": method}, "method", "方法", 1000, errors, required=True)
    if errors or council is None:  # (no council is an error above)
        raise ValidationFailed(errors)
    if review is None or review.closed_on:
        review = Review(version_id=pk(v), council_id=pk(council))
    review.council_id, review.consulted_on, review.method = pk(council), day, method
    with locking.unique_or_conflict(session, "この版の第三者点検(諮問)は他の利用者が先に登録しました。画面を再読み込みしてください。"):
        session.add(review)  # ux_review_open: one open council review per version
    audit.record(session, actor=actor, entity="review", entity_id=review.id, action="saved", after=review)
    session.commit()
    return review


def require_recorder(session: Session, *, actor: Actor, version_id: int) -> None:
    """Refuse (403/404) before any input is read: only the records section records the 第三者点検."""
    _records_only(actor)
    assessments.get_version(session, actor=actor, version_id=version_id)


def _review_for(session: Session, actor: Actor, version_id: int) -> tuple[Review, AssessmentVersion, Assessment]:
    v, a, _ = assessments.get_version(session, actor=actor, version_id=version_id)
    review = current_review(session, pk(v))
    if review is None:
        raise Conflict("先に第三者点検(諮問)を登録してください。")
    return review, v, a


def save_meeting(session: Session, *, actor: Actor, version_id: int, data: Mapping[str, Any]) -> Meeting:
    _records_only(actor)
    review, _, _ = _review_for(session, actor, version_id)
    errors: dict[str, str] = {}
    session_name = _text(data, "session_name", "回次", 200, errors, required=True)
    held = date_field(data.get("held_on", ""), label="開催日", errors=errors, key="held_on", required=True)
    if held and review.consulted_on and held < review.consulted_on:
        errors["held_on"] = "開催日が諮問日より前です。"
    place = _text(data, "place", "場所", 300, errors)
    agenda = _text(data, "agenda", "議題", 4000, errors)
    attendance = _text(data, "attendance", "出席者", 4000, errors)
    minutes: list[dict[str, Any]] = []
    for n, entry in enumerate(data.get("minutes", []), 1):
        text = str(entry.get("text", ""))
        if not text.strip():
            continue
        problem = text_problem(text, label=f"会議録{n}", max_len=20000)
        if problem:
            errors[f"minutes-{n}"] = problem
        minutes.append({"speaker": str(entry.get("speaker", ""))[:100], "text": text.strip(),
                        "private": bool(entry.get("private"))})
    if errors or held is None:  # (a missing date is an error above)
        raise ValidationFailed(errors)
    meeting = Meeting(review_id=pk(review), session_name=session_name, held_on=held, place=place, agenda=agenda,
                      attendance=attendance, public=bool(data.get("public", True)), minutes=minutes)
    session.add(meeting)
    session.flush()
    audit.record(session, actor=actor, entity="meeting", entity_id=meeting.id, action="created", after=meeting)
    session.commit()
    return meeting


def meetings(session: Session, review_id: int) -> list[Meeting]:
    return list(session.exec(select(Meeting).where(Meeting.review_id == review_id)
                             .order_by(col(Meeting.held_on))).all())


def findings(session: Session, review_id: int) -> list[Finding]:
    return list(session.exec(select(Finding).where(Finding.review_id == review_id)
                             .order_by(col(Finding.id))).all())


def add_finding(session: Session, *, actor: Actor, version_id: int, data: Mapping[str, Any]) -> Finding:
    _records_only(actor)
    review, v, a = _review_for(session, actor, version_id)
    d = catalogue.definition(a.form, v.form_version)
    errors: dict[str, str] = {}
    text = _text(data, "text", "指摘事項", 20000, errors, required=True)
    items, problem = assessments.item_picker_of(session, d, pk(v)).check(data.get("items", []))
    if problem:
        errors["items"] = problem
    meeting_id = int(data["meeting_id"]) if str(data.get("meeting_id", "")).isdigit() else None
    if meeting_id and meeting_id not in {m.id for m in meetings(session, pk(review))}:
        errors["meeting_id"] = "会議が見つかりません。"
    if errors:
        raise ValidationFailed(errors)
    f = Finding(review_id=pk(review), meeting_id=meeting_id, text=text, items=items)
    session.add(f)
    session.flush()
    audit.record(session, actor=actor, entity="finding", entity_id=f.id, action="created", after=f)
    session.commit()
    return f


def answer_finding(session: Session, *, actor: Actor, finding_id: int, response: str, status: str,
                   reason: str) -> Finding:
    """The department (or the records section) answers a 指摘事項; 対応不要 needs a reason."""
    f = session.get(Finding, finding_id)
    if f is None:
        raise NotFound("指摘事項が見つかりません。")
    review = session.get(Review, f.review_id)
    if review is None:  # (the foreign key keeps it)
        raise NotFound("指摘事項が見つかりません。")
    _v, a, _ = assessments.get_version(session, actor=actor, version_id=review.version_id)
    if actor.role == "staff":
        assessments.get(session, actor=actor, assessment_id=pk(a), edit=True)
    elif actor.role == "council":
        raise Forbidden("審議会委員は回答を記録できません。")
    errors: dict[str, str] = {}
    response = _text({"response": response}, "response", "回答", 20000, errors)
    reason = _text({"reason": reason}, "reason", "対応不要の理由", 2000, errors)
    if status not in FINDING_STATUS:
        errors["status"] = "状態を選択してください。"
    elif status in ("done", "not_needed") and not response:
        errors["response"] = "指摘事項を閉じるには回答を入力してください。"
    if status == "not_needed" and not reason:
        errors["reason"] = "「対応不要」とする理由を入力してください。"
    if errors:
        raise ValidationFailed(errors)
    before = audit.jsonable(f)
    f.response, f.status, f.reason = response, status, reason if status == "not_needed" else ""
    session.add(f)
    audit.record(session, actor=actor, entity="finding", entity_id=f.id, action="answered", before=before, after=f)
    session.commit()
    return f


def record_answer(session: Session, *, actor: Actor, version_id: int, result: str, answered_on: str, text: str,
                  conditions: list[str]) -> Review:
    """答申: the conclusion, its date and text, and each condition as a separate trackable item."""
    _records_only(actor)
    review, _, _ = _review_for(session, actor, version_id)
    errors: dict[str, str] = {}
    if result not in RESULTS:
        errors["result"] = "答申の結論を選択してください。"
    day = date_field(answered_on, label="答申日", errors=errors, key="answered_on", required=True)
    if day and review.consulted_on and day < review.consulted_on:
        errors["answered_on"] = "答申日が諮問日より前です。"
    text = _text({"text": text}, "text", "答申の内容", 20000, errors)
    conditions = [c.strip() for c in conditions if c.strip()]
    for n, c in enumerate(conditions, 1):
        problem = text_problem(c, label=f"条件{n}", max_len=4000)
        if problem:
            errors[f"conditions-{n}"] = problem
    if result == "条件付き適当" and not conditions:
        errors["conditions"] = "「条件付き適当」の場合は、条件を1つ以上入力してください。"
    if errors:
        raise ValidationFailed(errors)
    review.result, review.answered_on, review.answer_text = result, day, text
    session.add(review)
    existing = {c.text for c in session.exec(select(ReviewCondition).where(ReviewCondition.review_id == review.id))}
    for c in conditions:
        if c not in existing:
            session.add(ReviewCondition(review_id=pk(review), text=c))
    audit.record(session, actor=actor, entity="review", entity_id=review.id, action="answered", after=review,
                 note="; ".join(conditions))
    session.commit()
    return review


def conditions(session: Session, review_id: int) -> list[ReviewCondition]:
    return list(session.exec(select(ReviewCondition).where(ReviewCondition.review_id == review_id)
                             .order_by(col(ReviewCondition.id))).all())


def meet_condition(session: Session, *, actor: Actor, condition_id: int, met_on: str, note: str, today: date) -> ReviewCondition:
    _records_only(actor)
    c = session.get(ReviewCondition, condition_id)
    if c is None:
        raise NotFound("条件が見つかりません。")
    review = session.get(Review, c.review_id)
    if review is None:  # (the foreign key keeps it)
        raise NotFound("条件が見つかりません。")
    assessments.get_version(session, actor=actor, version_id=review.version_id)
    errors: dict[str, str] = {}
    day = date_field(met_on or today.isoformat(), label="対応日", errors=errors, key="met_on", required=True)
    if day and day > today:
        errors["met_on"] = "対応日に未来の日付は指定できません。"
    note = _text({"note": note}, "note", "対応の内容", 2000, errors, required=True)
    if errors:
        raise ValidationFailed(errors)
    before = audit.jsonable(c)
    c.status, c.met_on, c.note = "met", day, note
    session.add(c)
    audit.record(session, actor=actor, entity="review_condition", entity_id=c.id, action="met", before=before, after=c)
    session.commit()
    return c


def council_reviews(session: Session, *, actor: Actor) -> list[Review]:
    """What was sent to the councils this user sits on (only reviews with a frozen snapshot)."""
    council_ids = [m.council_id for m in session.exec(select(CouncilMember).where(CouncilMember.user_id == actor.user_id))]
    if actor.role in ("records", "admin", "system"):
        council_ids = [pk(c) for c in councils(session, actor.organisation_id)] if actor.organisation_id else []
    if not council_ids:
        return []
    return list(session.exec(select(Review).where(col(Review.council_id).in_(council_ids),
                                                  col(Review.snapshot_id).is_not(None))
                             .order_by(col(Review.consulted_on).desc())).all())


def can_read_review(session: Session, actor: Actor, review: Review) -> bool:
    return review.id in {r.id for r in council_reviews(session, actor=actor)}


def version_of_finding(session: Session, finding_id: int) -> int | None:
    """The version a 指摘事項 belongs to (where its page returns to); None when there is no such finding."""
    f = session.get(Finding, finding_id)
    review = session.get(Review, f.review_id) if f else None
    return review.version_id if review else None


def version_of_condition(session: Session, condition_id: int) -> int | None:
    c = session.get(ReviewCondition, condition_id)
    review = session.get(Review, c.review_id) if c else None
    return review.version_id if review else None


def council_name(session: Session, council_id: int | None) -> str:
    c = session.get(Council, council_id) if council_id else None
    return c.name if c else ""


def readable_snapshot(session: Session, actor: Actor, snapshot_id: int) -> Snapshot:
    """A frozen copy, to whoever may read it: council members only what was sent to their council, the city's users
    by the 評価書's own rule (404 / 403 otherwise)."""
    from app.services import snapshots

    snap = snapshots.get(session, snapshot_id)
    if actor.role == "council":
        review = session.exec(select(Review).where(Review.snapshot_id == snap.id)).first()
        if review is None or not can_read_review(session, actor, review):
            raise Forbidden("審議会に送付された評価書だけを閲覧できます。")
    else:
        assessments.get_version(session, actor=actor, version_id=snap.version_id)
    return snap
