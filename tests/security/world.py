"""The demo city plus the records the matrix needs ids for (a council review with its snapshot, meeting, finding
and condition; an API and a calendar token; a yearly review; a revised version; a workflow step; a checklist item;
a 変更箇所 row), built once per session and copied into each test's database as rows (like the demo itself)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from app.domain.policy import Actor
from app.models import (
    AnnualReviewCheck,
    Answer,
    ApiToken,
    Assessment,
    AssessmentVersion,
    ChangeRow,
    ChecklistItem,
    Department,
    Determination,
    Finding,
    ImprovementAction,
    Jimu,
    LibraryMeasure,
    Meeting,
    ReviewCondition,
    Snapshot,
    TextBlock,
    UnmappedAnswer,
    User,
    VersionFile,
    WorkflowStep,
)
from tests import dbutil


@dataclass
class Ids:
    """Ids of the demo and of the extra records, by name."""

    values: dict[str, int | str] = field(default_factory=dict)

    def __getitem__(self, key: str):
        return self.values[key]


_world: tuple[dict, dict, Ids] | None = None


def world_snapshot() -> tuple[dict, dict, Ids]:
    """(rows, {login: session token}, ids), built once per session."""
    global _world
    if _world is None:
        rows, tokens = dbutil.demo_snapshot()
        engine = dbutil.sqlite_file_engine()
        try:
            dbutil.load_rows(engine, rows)
            with Session(engine, expire_on_commit=False) as session:
                ids = _build(session, dbutil.DEMO_TODAY)
                other_ids, other_tokens = _build_second_body(session, dbutil.DEMO_TODAY)
                ids.values.update(other_ids)
            _world = (dbutil.dump_rows(engine), {**tokens, **other_tokens}, ids)
        finally:
            dbutil.dispose(engine)
    return _world


def _one(session, stmt):
    return session.exec(stmt).one()


def _build(session: Session, today: date) -> Ids:
    from app.services import annual, auth, changes, council, revisions, snapshots

    org_id = 1
    system = Actor(user_id=None, login_id="security-tests", role="system", organisation_id=org_id)
    jimu = {j.name: j for j in session.exec(select(Jimu)).all()}
    kokuho, juki = jimu["国民健康保険に関する事務"], jimu["住民基本台帳に関する事務"]

    def assessment(j: Jimu, form: str) -> Assessment:
        return _one(session, select(Assessment).where(Assessment.jimu_id == j.id, Assessment.form == form))

    def version(a: Assessment) -> AssessmentVersion:
        return session.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id)
                            .order_by(AssessmentVersion.seq.desc())).first()

    k_full, j_full, j_basic = assessment(kokuho, "full"), assessment(juki, "full"), assessment(juki, "basic")
    kv = version(k_full)
    users = {u.login_id: u for u in session.exec(select(User)).all()}
    council_id = session.exec(select(council.Council.id)).first()

    # 第三者点検 of the draft 国保 全項目: sent to the council (snapshot), one meeting, a finding, a condition
    council.setup_review(session, actor=system, version_id=kv.id, council_id=str(council_id),
                         consulted_on="2026-10-28", method="しののめ市個人情報保護審議会への諮問")
    review = council.current_review(session, kv.id)
    snap = snapshots.take(session, actor=system, version_id=kv.id, purpose="council", today=today)
    review.snapshot_id = snap.id
    session.add(review)
    session.commit()
    council.save_meeting(session, actor=system, version_id=kv.id, data={
        "session_name": "令和8年度第3回", "held_on": "2026-11-05", "agenda": "国民健康保険 全項目評価書", "public": True,
        "minutes": [{"speaker": "委員", "text": "委託先の研修は?"}]})
    meeting = session.exec(select(Meeting)).first()
    council.add_finding(session, actor=system, version_id=kv.id,
                        data={"text": "ログの分析頻度を明記すること。", "items": [], "meeting_id": str(meeting.id)})
    council.record_answer(session, actor=system, version_id=kv.id, result="条件付き適当", answered_on="2026-11-10",
                          text="おおむね適当である。", conditions=["立入検査の結果を報告すること。"])

    # tokens of the owning department's staff member
    hoken = auth.actor_for(session, users["hoken"])
    auth.create_api_token(session, actor=hoken, name="連携用")
    calendar_token = auth.create_api_token(session, actor=hoken, name="カレンダー", purpose="calendar")
    api_token_id = session.exec(select(ApiToken.id).where(ApiToken.purpose == "api")).first()

    # the organisation's own settings
    step = WorkflowStep(organisation_id=org_id, key="council_report", label="審議会報告", before="submitted",
                        forms=["full"])
    session.add(step)
    session.commit()
    annual.save_checklist_item(session, actor=system, text="アクセス権限の棚卸しを実施したか。")
    changes.save_row(session, actor=system, assessment_id=k_full.id, today=today,
                     data={"item_label": "Ⅱ 4 委託の有無", "before_text": "委託しない", "after_text": "委託する"})

    # after publication: a yearly review of the 住基 基礎, and a revision of the 住基 全項目 onto the newer 様式
    annual_review = annual.start(session, actor=system, assessment_id=j_basic.id, today=today)
    newest = max(r.form_version for r in session.exec(select(AssessmentVersion)).all())
    j_full_published = version(j_full)
    revised = revisions.revise(session, actor=system, assessment_id=j_full.id, reason="change", form_version=newest)
    # an answer of the older 様式 that found no place in the newer one (kept until the user resolves it)
    unmapped = UnmappedAnswer(version_id=revised.id, old_item_id="III.9.old", label="旧様式の項目",
                              value="旧様式の記載", text="旧様式の記載")
    session.add(unmapped)
    session.commit()
    # a change campaign (一括変更) of the demo example, not applied
    from app.services import campaigns

    campaign = campaigns.save(session, actor=system, raw=campaigns.read_yaml(campaigns.example_text()))

    return Ids({
        "org": org_id, "council": council_id,
        "kokuho_jimu": kokuho.id, "kodomo_jimu": jimu["児童手当の支給に関する事務"].id,
        "kokuho_file_uid": session.exec(select(VersionFile.uid).where(VersionFile.version_id == kv.id)
                                        .order_by(VersionFile.position)).first(), "kokuho_full": k_full.id, "kokuho_full_v": kv.id,
        "juki_jimu": juki.id, "juki_full": j_full.id, "juki_basic": j_basic.id,
        "juki_full_published_v": j_full_published.id, "juki_basic_v": version(j_basic).id,
        "juki_det": session.exec(select(Determination.id).where(Determination.jimu_id == juki.id)
                                 .order_by(Determination.id.desc())).first(),
        "juki_full_revised_v": revised.id,
        "kokuho_det": session.exec(select(Determination.id).where(Determination.jimu_id == kokuho.id)
                                   .order_by(Determination.id.desc())).first(),
        "kokuho_figure": session.exec(select(Answer.value).where(Answer.version_id == kv.id,
                                                                 Answer.item_id == "annex1.diagram")).one()[0]["sha"],
        "juki_figure": session.exec(select(Answer.value).where(Answer.version_id == revised.id,
                                                               Answer.item_id == "annex1.diagram")).one()[0]["sha"],
        "kokuho_action": session.exec(select(ImprovementAction.id).where(
            ImprovementAction.assessment_id == k_full.id)).first(),
        "council_snapshot": snap.id,
        "juki_submission_snapshot": session.exec(select(Snapshot.id).where(
            Snapshot.purpose == "submission", Snapshot.version_id == j_full_published.id)).first(),
        "meeting": meeting.id, "finding": session.exec(select(Finding.id)).first(),
        "condition": session.exec(select(ReviewCondition.id)).first(),
        "hoken_user": users["hoken"].id, "hoken_api_token": api_token_id, "hoken_calendar": calendar_token,
        "workflow_step": step.id, "checklist_item": session.exec(select(ChecklistItem.id)).first(),
        "library_measure": session.exec(select(LibraryMeasure.id)).first(),
        "annual_review": annual_review.id, "unmapped": unmapped.id, "campaign": campaign.id,
        "block": session.exec(select(TextBlock.id).order_by(TextBlock.id.desc())).first(),
        "proposal_block": session.exec(select(TextBlock.id).where(TextBlock.revision > 1)).first(),  # changed: proposals
        "annual_check": session.exec(select(AnnualReviewCheck.id).where(AnnualReviewCheck.review_id == annual_review.id)
                                     .order_by(AnnualReviewCheck.position)).first(),
        "change_row": session.exec(select(ChangeRow.id)).first(),
        "department": session.exec(select(Department.id).where(Department.name == "市民課")).one(),
    })


# A second 評価実施機関 on the same server (issue 16 §3): the city's board of education, with its own department,
# users and one 評価書 (its 評価書番号 is 1, like the city's first). Plus the server's system administrator.
SECOND_BODY = "しののめ市教育委員会"
SECOND_JIMU = "就学援助に関する事務"  # a name no list of the city may show
SECOND_ACCOUNTS = {"kyoi_admin": "admin", "kyoi_records": "records", "kyoi_staff": "staff", "kyoi_council": "council"}
SECOND_PASSWORD = "Kyoiku-Demo-2025"
SYSADMIN_LOGIN, SYSADMIN_PASSWORD = "sysadmin", "System-Demo-2025"


def _build_second_body(session: Session, today: date) -> tuple[dict, dict[str, str]]:
    from app.domain.policy import SYSTEM
    from app.services import assessments, auth, bodies, determinations, register
    from app.services import organisation as orgs

    org, _ = bodies.create_body(session, actor=SYSTEM, name=SECOND_BODY, municipality="しののめ市",
                                admin_login="kyoi_admin", admin_password=SECOND_PASSWORD)
    dept = orgs.create_department(session, actor=SYSTEM, organisation_id=org.id, name="学務課", parent_id=None)
    for login, role in SECOND_ACCOUNTS.items():
        if role != "admin":
            orgs.create_user(session, actor=SYSTEM, organisation_id=org.id, login_id=login, display_name=login,
                             role=role, password=SECOND_PASSWORD, department_ids=[dept.id] if role == "staff" else [])
    # the system administrator's account lives in the first body (User.organisation_id is required)
    orgs.create_user(session, actor=SYSTEM, organisation_id=1, login_id=SYSADMIN_LOGIN, display_name="システム管理者",
                     role="sysadmin", password=SYSADMIN_PASSWORD, department_ids=[])
    board = Actor(user_id=None, login_id="security-tests", role="system", organisation_id=org.id)
    jimu = register.create(session, actor=board, organisation_id=org.id, today=today, data=register.JimuInput(
        name=SECOND_JIMU, department_id=str(dept.id), handlers="12", handlers_as_of="2026-04-01",
        files=[register.FileInput(name="就学援助ファイル", subjects="2400", subjects_as_of="2026-04-01")]))
    det = determinations.record(session, actor=board, jimu_id=jimu.id, today=today, data=determinations.WizardInput(
        determined_on=today.isoformat(), subjects="2400", handlers="12", serious_incident="no"))
    (basic,) = assessments.create(session, actor=board, jimu_id=jimu.id, forms=["basic"], today=today)
    version = session.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == basic.id)).one()
    users = {u.login_id: u for u in session.exec(select(User).where(User.login_id.in_([*SECOND_ACCOUNTS, SYSADMIN_LOGIN]))).all()}
    tokens = {}
    for login in [*SECOND_ACCOUNTS, SYSADMIN_LOGIN]:
        password = SYSADMIN_PASSWORD if login == SYSADMIN_LOGIN else SECOND_PASSWORD
        tokens[login], _ = auth.login(session, login_id=login, password=password, session_hours=24 * 365 * 20)
    return {"b_org": org.id, "b_department": dept.id, "b_jimu": jimu.id, "b_det": det.id, "b_basic": basic.id,
            "b_basic_v": version.id, "b_user": users["kyoi_staff"].id, "b_admin_user": users["kyoi_admin"].id,
            "sysadmin_user": users[SYSADMIN_LOGIN].id}, tokens
