"""The demo's procedures in flight (spia issue 14 item 15), as assessments/demo/life.yaml describes them: after the
published 評価書 are loaded, some of them are revised and taken part of the way through their procedure THROUGH the
services, as the 総務課 文書担当 would, so the stage events, snapshots, 変更箇所 and audit entries are the real ones.
Days in life.yaml are offsets from `today`, so the demo stays current whenever it is loaded.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlmodel import Session, select

from app.demo_data import Comment, Life, Review, Revise, Scenario, day
from app.domain import changes as diffs
from app.domain import item_picker
from app.domain.answers import ParsedPage
from app.domain.policy import Actor
from app.errors import ValidationFailed
from app.models import Assessment, Jimu, User, pk
from app.services import answers, assessments, catalogue, changes, comments, council, procedure, revisions


def run(session: Session, life: Life, *, organisation_id: int, today: date) -> None:
    user = session.exec(select(User).where(User.login_id == life.by)).one()
    actor = Actor(user_id=user.id, login_id=user.login_id, role=user.role, organisation_id=organisation_id)
    for scenario in life.scenarios:
        _scenario(session, actor, scenario, today)


def _scenario(session: Session, actor: Actor, sc: Scenario, today: date) -> None:
    """改訂, 庁内確認, then the 意見公募 or the 第三者点検 the scenario names (each step on its own day)."""
    a = _assessment(session, sc.jimu, sc.form)
    v = _revise(session, actor, a, sc.revise, today)
    if sc.submit_for_check is not None:
        _fire(session, actor, v, "submit_for_check", day(today, sc.submit_for_check))
    if sc.comment:
        _comment(session, actor, v, sc.comment, today)
    if sc.review:
        _review(session, actor, a, v, sc.review, today)


def _assessment(session: Session, jimu_name: str, form: str) -> Assessment:
    jimu = session.exec(select(Jimu).where(Jimu.name == jimu_name)).one()
    return session.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == form)).one()


def _revise(session: Session, actor: Actor, a: Assessment, spec: Revise, today: date):
    """改訂 + the edits (through the editor's save) + the ※ answers + the 変更箇所 rows with their dates."""
    on, changed_on = day(today, spec.revised_on), day(today, spec.planned_change_on)
    v = revisions.revise(session, actor=actor, assessment_id=pk(a), reason=spec.reason, planned_change_on=changed_on)
    d = catalogue.definition(a.form, v.form_version)
    stored = answers.version_values(session, pk(v)).get("", {})
    for item_id, addition in spec.edits.items():
        page = d.page_of(item_id)
        lock = answers.page_lock(session, pk(v), page.id, "").lock
        answers.save_page(session, actor=actor, version_id=pk(v), page_id=page.id, file_uid="", lock=str(lock),
                          today=on, parsed=ParsedPage(values={item_id: f"{stored.get(item_id) or ''}\n{addition}"
                                                              .strip()}))
    if a.form != "basic":
        for c in diffs.unclassified(revisions.pending(session, v, a), revisions.classes(session, pk(v))):
            revisions.classify(session, actor=actor, version_id=pk(v), file_uid=c.file_uid, item_id=c.item_id,
                               cls=spec.classify)
    revisions.generate_rows(session, actor=actor, version_id=pk(v), today=on)
    session.refresh(v)  # generate_rows re-read the kind (再実施 / 修正) from the ※ answers
    for row in changes.rows_of(session, pk(a)):
        if row.version_seq != v.seq:
            continue
        timing = "事前" if v.kind == "reassessment" else "事後"
        changes.save_row(session, actor=actor, assessment_id=pk(a), today=on, data={
            "id": str(row.id), "changed_on": changed_on.isoformat(), "item_label": row.item_label,
            "before_text": row.before_text, "after_text": row.after_text, "timing": timing,
            "timing_note": "" if timing == "事前" else spec.timing_note})
    return assessments.current_version(session, pk(a))


def _fire(session: Session, actor: Actor, v, action: str, on: date, reason: str = "") -> None:
    session.refresh(v)
    fired = procedure.fire(session, actor=actor, version_id=v.id, action=action, lock=str(v.stage_lock), reason=reason,
                           today=on)
    session.refresh(v)
    # The service stamps "now"; the demo's step happened on `on` (days in stage, the timeline's dates).
    at = datetime.combine(on, time(10, 0), tzinfo=UTC)
    fired.event.at, v.stage_since = at, at
    session.add_all([fired.event, v])
    session.commit()


def _comment(session: Session, actor: Actor, v, spec: Comment, today: date) -> None:
    """意見公募: its method and period, the start, then the opinions received (answered or not)."""
    start = day(today, spec.start)
    comments.setup(session, actor=actor, version_id=v.id, method=spec.method, start=start.isoformat(),
                   end=day(today, spec.end).isoformat(), reason="", today=start)
    _fire(session, actor, v, "start_comment", start)
    for op in spec.opinions:
        comments.save_opinion(session, actor=actor, version_id=v.id, today=today, data={
            "received_on": day(today, op.received_on).isoformat(), "channel": op.channel, "submitter": op.submitter,
            "text": op.text, "response": op.response, "items": _related(session, v.id, op.items)})


def _review(session: Session, actor: Actor, a: Assessment, v, spec: Review, today: date) -> None:
    """第三者点検: the 諮問 to the body's council, the start, then the meetings held and their 指摘事項."""
    consulted = day(today, spec.consulted_on)
    body = council.councils(session, a.organisation_id)[0]
    council.setup_review(session, actor=actor, version_id=v.id, council_id=str(body.id),
                         consulted_on=consulted.isoformat(), method=spec.method.replace("{council}", body.name))
    _fire(session, actor, v, "start_review", consulted)
    for m in spec.meetings:
        meeting = council.save_meeting(session, actor=actor, version_id=v.id, data={
            "session_name": m.session_name, "held_on": day(today, m.held_on).isoformat(), "place": m.place,
            "agenda": m.agenda, "attendance": m.attendance, "public": m.public,
            "minutes": [minute.model_dump() for minute in m.minutes]})
        for finding in m.findings:
            council.add_finding(session, actor=actor, version_id=v.id, data={
                "meeting_id": str(meeting.id), "items": _related(session, v.id, finding.items), "text": finding.text})


def _related(session: Session, version_id: int, items) -> list[str]:
    """Related items as written in life.yaml: an item id, or 「ファイル名/item id」 for an item of one ファイル (the
    picker's value names the file by its uid)."""
    uids = {f.name: f.uid for f in assessments.files(session, version_id)}
    out = []
    for ref in items:
        name, _, item_id = ref.rpartition("/")
        if name and name not in uids:
            raise ValidationFailed({"demo": f"life.yaml: file {name!r} is not in the 評価書"})
        out.append(item_picker.encode(uids[name], item_id) if name else item_id)
    return out
