"""The demo for `make run`, `spia demo` and the tests: a fictional city (しののめ市), loaded from assessments/demo.

The data (organisation, accounts, 事務 register, 評価書, companion 基礎, procedures in flight, 共通記載) is YAML in
assessments/demo (described in assessments/README.md); this module and app/demo_life.py, app/demo_blocks.py only
drive the services with it. All names and text are fictional and written for this project.
"""
from __future__ import annotations

from datetime import UTC, date

from sqlmodel import Session, select

from app import demo_blocks, demo_content, demo_data, demo_life
from app.domain.policy import SYSTEM, Actor
from app.models import Department, Jimu, Organisation, User, pk
from app.services import annual, assessments, catalogue, council, determinations, library, register
from app.services import organisation as orgs
from app.services.determinations import WizardInput
from app.services.register import FileInput, JimuInput


def load_demo(session: Session, *, today: date | None = None,
              in_flight: bool = True) -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo once; return (created, accounts). `in_flight`: also take three 評価書 part of the way through a
    revision and its procedure (assessments/demo/life.yaml); the shared test fixture leaves them out (see
    tests/dbutil.py). Every data file is checked before anything is written (app/demo_data.py)."""
    data = demo_data.load(demo_dir())
    city = data.city
    accounts = [(a.login, a.password, a.role) for a in city.accounts]
    if session.exec(select(Organisation).where(Organisation.name == city.organisation.name)).first():
        return False, accounts
    today = today or date.today()
    org = Organisation(**city.organisation.model_dump())
    session.add(org)
    session.commit()
    depts: dict[str, Department] = {}
    for dept in city.departments:
        depts[dept.name] = orgs.create_department(session, actor=SYSTEM, organisation_id=pk(org), name=dept.name,
                                                  parent_id=depts[dept.parent].id if dept.parent else None)
    for acc in city.accounts:
        orgs.create_user(session, actor=SYSTEM, organisation_id=pk(org), login_id=acc.login, display_name=acc.name,
                         role=acc.role, password=acc.password, department_ids=[pk(depts[d]) for d in acc.departments])
    actor = Actor(user_id=None, login_id="demo", role="system", organisation_id=org.id)
    for spec in city.jimu:
        _jimu(session, actor, org, depts, spec, today, spec.assessed_on or spec.determined_on)
    library.seed(session, organisation_id=pk(org))
    annual.seed_checklist(session, organisation_id=pk(org))
    members = [pk(u) for u in session.exec(select(User).where(User.role == "council")).all()]
    council.save_council(session, actor=actor, name=city.council, member_ids=members)
    for _, doc in data.assessments:
        _assessment(session, actor, doc, data, today)
    _reviews(session, actor, city.reviews, today)
    for spec in city.jimu:  # the yearly re-run of the しきい値判断 after the 評価書 was written
        if spec.assessed_on:
            jimu = session.exec(select(Jimu).where(Jimu.name == spec.name)).one()
            _determine(session, actor, org, jimu, spec.determined_on, today)
    if in_flight:
        demo_life.run(session, data.life, organisation_id=pk(org), today=today)  # procedures in flight (issue 14 item 15)
    demo_blocks.seed(session, data.blocks, organisation_id=pk(org))  # 共通記載, taken where the 評価書 hold the wording
    return True, accounts


def demo_dir():
    from app.config import get_settings

    return get_settings().forms_dir / "demo"


def _assessment(session: Session, actor: Actor, doc: dict, data: demo_data.Demo, today: date) -> None:
    """Create the 評価書 of one demo file (and its companion 基礎) and apply the written answers."""
    jimu = session.exec(select(Jimu).where(Jimu.name == doc["jimu"])).one()
    versions = demo_data.form_versions(doc)
    created = assessments.create(session, actor=actor, jimu_id=pk(jimu), forms=list(versions),
                                 number=str(doc.get("number", "")), today=today, form_versions=versions)
    for a in created:
        v = assessments.current_version(session, pk(a))
        d = catalogue.definition(a.form, v.form_version)
        if a.form == doc["form"]:
            demo_content.apply(session, d, v, doc, user_id=None)
        else:
            demo_content.apply(session, d, v, _companion_basic(doc, data.companion), user_id=None)
        _version_state(session, v, doc.get("version") or {})
        session.flush()
        if v.stage == "published":
            _history(session, actor, a, v, doc.get("version") or {}, data.city.history, today)
    session.commit()


def _reviews(session: Session, actor: Actor, reviews: list[demo_data.YearlyReview], today: date) -> None:
    """A yearly review already done (so the demo shows a 見直し that falls due within 30 days, not only overdue)."""
    from app.models import Assessment

    for spec in reviews:
        if spec.completed > today:
            continue
        jimu = session.exec(select(Jimu).where(Jimu.name == spec.jimu)).one()
        a = session.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == spec.form)).one()
        review = annual.start(session, actor=actor, assessment_id=pk(a), today=spec.started)
        _, checks = annual.get(session, actor=actor, review_id=pk(review))
        for group in annual.groups_of(annual.outline(session, review, checks)):  # each group, count confirmed
            annual.mark_group(session, actor=actor, review_id=pk(review), slug=group.slug, confirmed=group.unanswered)
        annual.complete(session, actor=actor, review_id=pk(review), outcome=spec.outcome, findings=spec.findings,
                        completed_on=spec.completed.isoformat(), today=today)


def _companion_basic(doc: dict, companion: demo_data.Companion) -> dict:
    """The companion 基礎's answers, copied from the demo file's items as companion_basic.yaml maps them."""
    src = (doc.get("answers") or {}).get("", {})
    answers = {basic: src[item] for basic, item in companion.answers[doc["form"]].items() if item in src}
    systems = companion.systems
    column = systems.from_[doc["form"]]
    names = [row.get(column.name, "") for row in src.get(column.group, []) if row.get(column.name)]
    if names:
        answers[systems.item] = systems.separator.join(names)
    return {"files": [], "answers": {"": answers}}


def _history(session: Session, actor: Actor, a, v, state: dict, history: demo_data.History, today: date) -> None:
    """The procedure records of a version published before the system was introduced (stage events, the
    comment period and the council's 答申 where the form needs them, and the submitted/published files)."""
    from datetime import datetime, time

    from app.models import Council, PublicComment, Review, StageEvent
    from app.services import snapshots

    def at(d: date) -> datetime:
        return datetime.combine(d, time(10, 0), tzinfo=UTC)

    steps: list[tuple[str, str, str, date | None]] = [("submit_for_check", "draft", "internal_check", None)]
    comment, review = state.get("comment"), state.get("council")
    if comment and a.form != "basic":
        start, end = date.fromisoformat(str(comment["start"])), date.fromisoformat(str(comment["end"]))
        session.add(PublicComment(version_id=v.id, method=comment["method"], start_on=start, end_on=end,
                                  closed_on=end))
        steps += [("start_comment", "internal_check", "public_comment", start),
                  ("close_comment", "public_comment", "comment_revision", end)]
    if review and a.form != "basic":
        body = session.exec(select(Council)).first()
        if body is None:  # (load_demo saves the council before any 評価書)
            raise LookupError("demo: no council to record the 答申 with")
        day = date.fromisoformat(str(review["date"]))
        session.add(Review(version_id=v.id, council_id=pk(body), consulted_on=day,
                           method=history.review_method.replace("{council}", body.name),
                           result=review.get("result", history.review_result), answered_on=day, closed_on=day))
        steps += [("start_review", "comment_revision", "third_party_review", day),
                  ("close_review", "third_party_review", "review_revision", day)]
    last = steps[-1][2]
    steps += [("submit", last, "submitted", v.submitted_on), ("publish", "submitted", "published", v.published_on)]
    first = v.submitted_on or today
    for action, src, dst, on in steps:
        session.add(StageEvent(version_id=v.id, action=action, from_stage=src, to_stage=dst, on_date=on,
                               at=at(on or first), actor_login="", note=history.note))
    v.stage, v.frozen = "published", False
    session.add(v)
    session.flush()
    for purpose in ("submission", "publication"):
        snapshots.take(session, actor=actor, version_id=v.id, purpose=purpose, today=v.published_on or today)
    v.frozen, v.stage_since = True, at(v.published_on or today)
    session.add(v)


def _version_state(session: Session, v, state: dict) -> None:
    """Published demo versions: stage, dates and frozen (the procedure history is added by the workflow demo)."""
    from datetime import date as _date

    def day(key):
        value = state.get(key)
        return value if isinstance(value, _date) or value is None else _date.fromisoformat(str(value))

    v.kind = state.get("kind", v.kind)
    v.stage = state.get("stage", v.stage)
    v.submitted_on, v.published_on = day("submitted_on"), day("published_on")
    v.frozen = v.stage == "published"
    session.add(v)


def _jimu(session: Session, actor: Actor, org: Organisation, depts: dict, spec: demo_data.JimuSpec, today: date,
          on: date) -> Jimu:
    data = JimuInput(
        name=spec.name, department_id=str(depts[spec.department].id), legal_basis=spec.legal_basis,
        handlers=str(spec.handlers), handlers_as_of=spec.handlers_as_of.isoformat(),
        dedup_subjects="" if spec.dedup_subjects is None else str(spec.dedup_subjects), dedup_note=spec.dedup_note,
        files=[FileInput(name=f.name, subjects=str(f.subjects), subjects_as_of=spec.as_of.isoformat())
               for f in spec.files],
    )
    jimu = register.create(session, actor=actor, organisation_id=pk(org), data=data, today=today)
    _determine(session, actor, org, jimu, on, today)
    return jimu


def _determine(session: Session, actor: Actor, org: Organisation, jimu: Jimu, on: date, today: date) -> None:
    on = min(on, today)
    reg = determinations.inputs_for(jimu, register.files_of(session, pk(jimu)), [], org, on)
    determinations.record(session, actor=actor, jimu_id=pk(jimu), today=today, data=WizardInput(
        determined_on=on.isoformat(), subjects=str(reg.subjects), handlers=str(reg.handlers), serious_incident="no",
    ))
