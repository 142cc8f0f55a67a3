"""Demo data for `make run` and the tests: a fictional city (しののめ市, 人口 約40万人, 地方公共団体等).

All names and text are fictional and written for this project.
"""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.domain.policy import SYSTEM, Actor
from app.models import Department, Jimu, Organisation, User
from app import demo_blocks, demo_content, demo_life
from app.services import annual, assessments, catalogue, council, determinations, library, register
from app.services import organisation as orgs
from app.services.determinations import WizardInput
from app.services.register import FileInput, JimuInput

ORG_NAME = "しののめ市長"
# (login, password, role, display name, departments)
ACCOUNTS = [
    ("admin", "Kanri-Demo-2025", "admin", "情報政策課 管理者", []),
    ("records", "Bunsho-Demo-2025", "records", "総務課 文書担当 佐藤", ["総務課"]),
    ("shimin", "Juki-Demo-2025", "staff", "市民課 住民記録係 鈴木", ["市民課"]),
    ("zeimu", "Kazei-Demo-2025", "staff", "市民税課 課税係 高橋", ["市民税課"]),
    ("kodomo", "Teate-Demo-2025", "staff", "こども家庭課 手当係 田中", ["こども家庭課"]),
    ("hoken", "Kokuho-Demo-2025", "staff", "保険年金課 国保係 伊藤", ["保険年金課"]),
    ("council", "Shingi-Demo-2025", "council", "個人情報保護審議会 委員 渡辺", []),
]
DEPARTMENTS = [
    ("総務部", None), ("総務課", "総務部"), ("情報政策課", "総務部"),
    ("市民部", None), ("市民課", "市民部"), ("保険年金課", "市民部"),
    ("財務部", None), ("市民税課", "財務部"),
    ("こども未来部", None), ("こども家庭課", "こども未来部"),
]

JIMU = [
    {
        "name": "住民基本台帳に関する事務", "department": "市民課", "handlers": 350, "handlers_as_of": "2025-04-01",
        "legal_basis": ("住民基本台帳法第5条(住民基本台帳の備付け)、第6条(住民基本台帳の作成)、第7条(住民票の記載事項)、"
                        "第30条の6(市町村長から都道府県知事への本人確認情報の通知等)、"
                        "行政手続における特定の個人を識別するための番号の利用等に関する法律(番号法)第7条(指定及び通知)、"
                        "第16条(本人確認の措置)、第17条(個人番号カードの交付等)"),
        "dedup_subjects": 418_000, "dedup_note": "3ファイルに共通して記録される住民を住民票コードで名寄せし、重複を除いた人数(除票を含む)。",
        "files": [("住民基本台帳ファイル", 418_000), ("本人確認情報ファイル", 412_000), ("送付先情報ファイル", 405_000)],
        "as_of": "2025-04-01", "assessed_on": "2020-10-01", "determined_on": "2025-04-10",
    },
    {
        "name": "個人住民税の賦課徴収に関する事務", "department": "市民税課", "handlers": 180, "handlers_as_of": "2025-04-01",
        "legal_basis": ("番号法第9条第1項 別表(地方税法その他の地方税に関する法律及びこれらの法律に基づく条例による地方税の"
                        "賦課徴収に関する事務であって主務省令で定めるもの)、地方税法第294条(市町村民税の納税義務者等)、"
                        "第317条の2(市町村民税の申告)"), "files": [("個人住民税ファイル", 236_000)],
        "as_of": "2025-04-01", "assessed_on": "2024-04-15", "determined_on": "2025-04-15",
    },
    {
        "name": "児童手当の支給に関する事務", "department": "こども家庭課", "handlers": 45, "handlers_as_of": "2025-04-01",
        "legal_basis": ("番号法第9条第1項 別表(児童手当法による児童手当の支給に関する事務であって主務省令で定める"
                        "もの)、児童手当法第7条(認定)"), "files": [("児童手当ファイル", 48_500)],
        "as_of": "2025-04-01", "determined_on": "2025-04-20",
    },
    {
        "name": "国民健康保険に関する事務", "department": "保険年金課", "handlers": 520, "handlers_as_of": "2025-10-01",
        "legal_basis": ("番号法第9条第1項 別表(国民健康保険法による保険給付の支給又は保険料の徴収に関する事務であって主務省令で"
                        "定めるもの)、国民健康保険法第9条(届出等)"),
        "files": [("国民健康保険資格ファイル", 152_000), ("国民健康保険給付ファイル", 98_000)],
        "dedup_subjects": 152_000, "dedup_note": "給付ファイルの対象者はすべて資格ファイルに含まれるため、資格ファイルの人数とした。",
        "as_of": "2025-10-01", "determined_on": "2025-10-15",
    },
]


def load_demo(session: Session, *, today: date | None = None,
              in_flight: bool = True) -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo once; return (created, accounts). `in_flight`: also take three 評価書 part of the way through a
    revision and its procedure (app/demo_life.py); the shared test fixture leaves them out (see tests/dbutil.py)."""
    accounts = [(a[0], a[1], a[2]) for a in ACCOUNTS]
    if session.exec(select(Organisation).where(Organisation.name == ORG_NAME)).first():
        return False, accounts
    today = today or date.today()
    org = Organisation(name=ORG_NAME, kind="local", municipality="しののめ市", representative="しののめ市長 東雲 太郎")
    session.add(org)
    session.commit()
    depts: dict[str, Department] = {}
    for name, parent in DEPARTMENTS:
        depts[name] = orgs.create_department(session, actor=SYSTEM, organisation_id=org.id, name=name,
                                             parent_id=depts[parent].id if parent else None)
    for login, password, role, display, dnames in ACCOUNTS:
        orgs.create_user(session, actor=SYSTEM, organisation_id=org.id, login_id=login, display_name=display, role=role,
                         password=password, department_ids=[depts[d].id for d in dnames])
    actor = Actor(user_id=None, login_id="demo", role="system", organisation_id=org.id)
    for spec in JIMU:
        _jimu(session, actor, org, depts, spec, today, spec.get("assessed_on", spec["determined_on"]))
    library.seed(session, organisation_id=org.id)
    annual.seed_checklist(session, organisation_id=org.id)
    members = [u.id for u in session.exec(select(User).where(User.role == "council")).all()]
    council.save_council(session, actor=actor, name="しののめ市個人情報保護審議会", member_ids=members)
    for path in sorted(demo_dir().glob("*.yaml")):
        _assessment(session, actor, demo_content.read(path), today)
    _reviews(session, actor, today)
    for spec in JIMU:  # the yearly re-run of the しきい値判断 after the 評価書 was written
        if "assessed_on" in spec:
            jimu = session.exec(select(Jimu).where(Jimu.name == spec["name"])).one()
            _determine(session, actor, org, jimu, spec["determined_on"], today)
    if in_flight:
        demo_life.run(session, organisation_id=org.id, today=today)  # procedures in flight (issue 14 item 15)
    demo_blocks.seed(session, organisation_id=org.id)  # 共通記載, taken where the 評価書 already hold the wording
    return True, accounts


def demo_dir():
    from app.config import get_settings

    return get_settings().forms_dir / "demo"


# The companion 基礎項目評価書 takes these answers from the 重点/全項目 demo file: basic item <- (full item, focused item)
BASIC_FROM = {
    "I.1.2": ("I.1.2", "I.1.2"), "I.4.1": ("I.6.1", "I.5.1"), "I.4.2": ("I.6.2", "I.5.2"),
    "I.5.2": ("I.7.2", "I.6.2"), "I.6": ("I.8", "I.7"), "I.7.contact": ("V.1.1", "IV.1.1"),
    "I.8.contact": ("V.2.1", "IV.2.1"),
}
SYSTEM_NAME = {"full": ("I.2", "I.2.1"), "focused": ("I.2", "I.2.name")}


def _assessment(session: Session, actor: Actor, doc: dict, today: date) -> None:
    """Create the 評価書 of one demo file (and its companion 基礎) and apply the written answers."""
    jimu = session.exec(select(Jimu).where(Jimu.name == doc["jimu"])).one()
    forms = [doc["form"]] if doc["form"] == "basic" else ["basic", doc["form"]]
    published = (doc.get("version") or {}).get("published_on")
    versions = {form: _in_force(form, published) for form in forms} | {doc["form"]: doc["form_version"]}
    created = assessments.create(session, actor=actor, jimu_id=jimu.id, forms=forms, number=str(doc.get("number", "")),
                                 today=today, form_versions=versions)
    for a in created:
        v = assessments.current_version(session, a.id)
        d = catalogue.definition(a.form, v.form_version)
        if a.form == doc["form"]:
            demo_content.apply(session, d, v, doc, user_id=None)
        else:
            demo_content.apply(session, d, v, _companion_basic(doc), user_id=None)
        _version_state(session, v, doc.get("version") or {})
        session.flush()
        if v.stage == "published":
            _history(session, actor, a, v, doc.get("version") or {}, today)
    session.commit()


def _in_force(form: str, published_on) -> str:
    """The 様式 version in force on the 公表日 (the companion 基礎 of a 評価書 published before 令和6年10月 is on
    the 平成30年5月 様式); the newest one for a 評価書 not published yet."""
    versions = catalogue.catalogue().versions(form)
    if not published_on:
        return versions[-1].version
    day = published_on if isinstance(published_on, date) else date.fromisoformat(str(published_on))
    usable = [d for d in versions if d.manifest.effective_from is None or d.manifest.effective_from <= day]
    return (usable or versions)[-1].version


DEMO_REVIEWS = [("個人住民税の賦課徴収に関する事務", "focused", date(2025, 12, 1), date(2025, 12, 10),
                 "記載した措置はすべて実施されていることを確認した。委託先の研修記録(令和7年10月)を確認した。")]


def _reviews(session: Session, actor: Actor, today: date) -> None:
    """A yearly review already done (so the demo shows a 見直し that falls due within 30 days, not only overdue)."""
    from app.models import Assessment

    for jimu_name, form, started, completed, findings in DEMO_REVIEWS:
        if completed > today:
            continue
        jimu = session.exec(select(Jimu).where(Jimu.name == jimu_name)).one()
        a = session.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == form)).one()
        review = annual.start(session, actor=actor, assessment_id=a.id, today=started)
        _, checks = annual.get(session, actor=actor, review_id=review.id)
        for group in annual.groups_of(annual.outline(session, review, checks)):  # each group, count confirmed
            annual.mark_group(session, actor=actor, review_id=review.id, slug=group.slug, confirmed=group.unanswered)
        annual.complete(session, actor=actor, review_id=review.id, outcome="no_change", findings=findings,
                        completed_on=completed.isoformat(), today=today)


def _companion_basic(doc: dict) -> dict:
    src = (doc.get("answers") or {}).get("", {})
    col = 0 if doc["form"] == "full" else 1
    answers = {basic: src[pair[col]] for basic, pair in BASIC_FROM.items() if pair[col] in src}
    group, child = SYSTEM_NAME[doc["form"]]
    names = [row.get(child, "") for row in src.get(group, []) if row.get(child)]
    if names:
        answers["I.1.3"] = "、".join(names)
    return {"files": [], "answers": {"": answers}}


def _history(session: Session, actor: Actor, a, v, state: dict, today: date) -> None:
    """The procedure records of a version published before the system was introduced (stage events, the
    comment period and the council's 答申 where the form needs them, and the submitted/published files)."""
    from datetime import datetime, time, timezone

    from app.models import Council, PublicComment, Review, StageEvent
    from app.services import snapshots

    def at(d: date) -> datetime:
        return datetime.combine(d, time(10, 0), tzinfo=timezone.utc)

    steps = [("submit_for_check", "draft", "internal_check", None)]
    comment, review = state.get("comment"), state.get("council")
    if comment and a.form != "basic":
        start, end = date.fromisoformat(str(comment["start"])), date.fromisoformat(str(comment["end"]))
        session.add(PublicComment(version_id=v.id, method=comment["method"], start_on=start, end_on=end,
                                  closed_on=end))
        steps += [("start_comment", "internal_check", "public_comment", start),
                  ("close_comment", "public_comment", "comment_revision", end)]
    if review and a.form != "basic":
        body = session.exec(select(Council)).first()
        day = date.fromisoformat(str(review["date"]))
        session.add(Review(version_id=v.id, council_id=body.id, consulted_on=day, method=f"{body.name}への諮問",
                           result=review.get("result", "適当"), answered_on=day, closed_on=day))
        steps += [("start_review", "comment_revision", "third_party_review", day),
                  ("close_review", "third_party_review", "review_revision", day)]
    last = steps[-1][2]
    steps += [("submit", last, "submitted", v.submitted_on), ("publish", "submitted", "published", v.published_on)]
    first = v.submitted_on or today
    for action, src, dst, day in steps:
        session.add(StageEvent(version_id=v.id, action=action, from_stage=src, to_stage=dst, on_date=day,
                               at=at(day or first), actor_login="", note="システム導入前の手続(デモ)"))
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


def _jimu(session: Session, actor: Actor, org: Organisation, depts: dict, spec: dict, today: date, on: str) -> Jimu:
    data = JimuInput(
        name=spec["name"], department_id=str(depts[spec["department"]].id), legal_basis=spec["legal_basis"],
        handlers=str(spec["handlers"]), handlers_as_of=spec["handlers_as_of"],
        dedup_subjects=str(spec.get("dedup_subjects", "")), dedup_note=spec.get("dedup_note", ""),
        files=[FileInput(name=n, subjects=str(s), subjects_as_of=spec["as_of"]) for n, s in spec["files"]],
    )
    jimu = register.create(session, actor=actor, organisation_id=org.id, data=data, today=today)
    _determine(session, actor, org, jimu, on, today)
    return jimu


def _determine(session: Session, actor: Actor, org: Organisation, jimu: Jimu, on_text: str, today: date) -> None:
    on = min(date.fromisoformat(on_text), today)
    reg = determinations.inputs_for(jimu, register.files_of(session, jimu.id), [], org, on)
    determinations.record(session, actor=actor, jimu_id=jimu.id, today=today, data=WizardInput(
        determined_on=on.isoformat(), subjects=str(reg.subjects), handlers=str(reg.handlers), serious_incident="no",
    ))
