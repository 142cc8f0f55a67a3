"""The demo's procedures in flight (spia issue 14 item 15): after the published 評価書 are loaded, three of them
are revised and taken part of the way through their procedure THROUGH the services, as the 総務課 文書担当 would,
so the stage events, snapshots, 変更箇所 and audit entries are the real ones:

- 住民基本台帳 全項目: 5年経過前の再実施 → 庁内確認 → 意見公募中 (two opinions received, one answered);
- 個人住民税 重点項目: 見直しの結果の再実施(入力業務の委託) → 庁内確認 → 第三者点検中 (one meeting held, one 指摘事項 not answered yet);
- 児童手当 基礎項目: 修正 with its 変更箇所 rows → 庁内確認中.

With the 国民健康保険 全項目 being written (作成中) and the 基礎 still in force (公表済), `spia list` shows five
stages. Dates are counted back from `today` so the demo stays current whenever it is loaded.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlmodel import Session, select

from app.domain import changes as diffs
from app.domain import item_picker
from app.domain.answers import ParsedPage
from app.domain.policy import Actor
from app.models import Assessment, Jimu, PageLock, User
from app.services import answers, assessments, catalogue, changes, comments, council, procedure, revisions

JUKI, ZEIMIN, JIDOU = "住民基本台帳に関する事務", "個人住民税の賦課徴収に関する事務", "児童手当の支給に関する事務"


def run(session: Session, *, organisation_id: int, today: date) -> None:
    records = session.exec(select(User).where(User.login_id == "records")).one()
    actor = Actor(user_id=records.id, login_id=records.login_id, role="records", organisation_id=organisation_id)
    _juki_comment(session, actor, today)
    _zeimin_review(session, actor, today)
    _jidou_correction(session, actor, today)


def _assessment(session: Session, jimu_name: str, form: str) -> Assessment:
    jimu = session.exec(select(Jimu).where(Jimu.name == jimu_name)).one()
    return session.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == form)).one()


def _revise(session: Session, actor: Actor, a: Assessment, reason: str, edits: dict[str, str], cls: str,
            changed_on: date, today: date, timing_note: str = ""):
    """改訂 + the edits (through the editor's save) + the ※ answers + the 変更箇所 rows with their dates."""
    v = revisions.revise(session, actor=actor, assessment_id=a.id, reason=reason, planned_change_on=changed_on)
    d = catalogue.definition(a.form, v.form_version)
    stored = answers.version_values(session, v.id).get("", {})
    for item_id, addition in edits.items():
        page = d.page_of(item_id)
        lock = session.get(PageLock, (v.id, page.id, "")).lock
        answers.save_page(session, actor=actor, version_id=v.id, page_id=page.id, file_uid="", lock=str(lock),
                          today=today, parsed=ParsedPage(values={item_id: f"{stored.get(item_id) or ''}\n{addition}"
                                                                 .strip()}))
    if a.form != "basic":
        for c in diffs.unclassified(revisions.pending(session, v, a), revisions.classes(session, v.id)):
            revisions.classify(session, actor=actor, version_id=v.id, file_uid=c.file_uid, item_id=c.item_id, cls=cls)
    revisions.generate_rows(session, actor=actor, version_id=v.id, today=today)
    session.refresh(v)  # generate_rows re-read the kind (再実施 / 修正) from the ※ answers
    for row in changes.rows_of(session, a.id):
        if row.version_seq != v.seq:
            continue
        timing = "事前" if v.kind == "reassessment" else "事後"
        changes.save_row(session, actor=actor, assessment_id=a.id, today=today, data={
            "id": str(row.id), "changed_on": changed_on.isoformat(), "item_label": row.item_label,
            "before_text": row.before_text, "after_text": row.after_text, "timing": timing,
            "timing_note": "" if timing == "事前" else timing_note})
    return assessments.current_version(session, a.id)


def _fire(session: Session, actor: Actor, v, action: str, day: date, reason: str = "") -> None:
    session.refresh(v)
    fired = procedure.fire(session, actor=actor, version_id=v.id, action=action, lock=str(v.stage_lock), reason=reason,
                           today=day)
    session.refresh(v)
    # The service stamps "now"; the demo's step happened on `day` (days in stage, the timeline's dates).
    at = datetime.combine(day, time(10, 0), tzinfo=timezone.utc)
    fired.event.at, v.stage_since = at, at
    session.add_all([fired.event, v])
    session.commit()


def _juki_comment(session: Session, actor: Actor, today: date) -> None:
    a = _assessment(session, JUKI, "full")
    start = today - timedelta(days=12)
    v = _revise(session, actor, a, "five_year", {
        "I.1.2": "令和8年度から、住民記録システムを地方公共団体情報システムの標準化に関する法律に基づく標準準拠"
                 "システムへ移行し、ガバメントクラウド上で運用する。",
    }, "important", today + timedelta(days=60), start - timedelta(days=10))
    _fire(session, actor, v, "submit_for_check", start - timedelta(days=7))
    comments.setup(session, actor=actor, version_id=v.id, method="市ホームページへの掲載、市民課・各行政センター窓口での閲覧",
                   start=start.isoformat(), end=(start + timedelta(days=30)).isoformat(), reason="", today=start)
    _fire(session, actor, v, "start_comment", start)
    comments.save_opinion(session, actor=actor, version_id=v.id, today=today, data={
        "received_on": (start + timedelta(days=3)).isoformat(), "channel": "電子メール", "submitter": "市内在住者",
        "text": "ガバメントクラウドへ移行した後、住民票のデータはどこに保管され、誰が管理するのか分かりにくい。"
                "委託先の事業者が個人番号を見られるのかを明記してほしい。",
        "response": "データは国が調達したクラウド基盤上の本市専用の領域に保管し、本市が管理します。クラウド事業者は"
                    "データにアクセスしない契約としており、その旨をⅢ6の記載に追記します。",
        "items": ["I.1.2"]})
    comments.save_opinion(session, actor=actor, version_id=v.id, today=today, data={
        "received_on": (start + timedelta(days=8)).isoformat(), "channel": "郵送",
        "text": "窓口の端末で住民票を見る職員の操作記録は、どのくらいの期間保存しているのか。",
        "response": "", "items": []})


def _zeimin_review(session: Session, actor: Actor, today: date) -> None:
    a = _assessment(session, ZEIMIN, "focused")
    consulted = today - timedelta(days=20)
    v = _revise(session, actor, a, "review_reassess", {
        "I.1.2": "令和8年度課税分から、紙で提出された給与支払報告書等の入力業務を、新たに外部事業者へ委託する"
                 "(委託先の作業は市役所本庁舎内の専用室に限り、データの持出しは行わない)。",
    }, "important", today + timedelta(days=90), consulted - timedelta(days=14))
    _fire(session, actor, v, "submit_for_check", consulted - timedelta(days=7))
    body = council.councils(session, a.organisation_id)[0]
    council.setup_review(session, actor=actor, version_id=v.id, council_id=str(body.id),
                         consulted_on=consulted.isoformat(), method=f"{body.name}への諮問(任意の第三者点検)")
    _fire(session, actor, v, "start_review", consulted)
    meeting = council.save_meeting(session, actor=actor, version_id=v.id, data={
        "session_name": "令和8年度第3回", "held_on": (consulted + timedelta(days=10)).isoformat(),
        "place": "市役所本庁舎 第2委員会室", "agenda": "個人住民税の賦課徴収に関する事務 重点項目評価書(修正)について",
        "attendance": "委員5名、市民税課長、総務課文書担当", "public": True,
        "minutes": [{"speaker": "委員", "text": "委託先の従業者が作業室に私物のスマートフォン等を持ち込めないことは、"
                                                "どのように確認するのか。"},
                    {"speaker": "市民税課長", "text": "入室時に市職員が確認し、入退室記録を毎日点検します。契約書にも"
                                                    "持込み禁止を定めます。"}]})
    zei = assessments.files(session, v.id)[0]  # the 委託 risk of the 個人住民税ファイル: the picker names the file
    council.add_finding(session, actor=actor, version_id=v.id, data={
        "meeting_id": str(meeting.id), "items": ["I.1.2", item_picker.encode(zei.uid, "III.4.r1.m")],
        "text": "委託先の作業室での持出し防止の措置(私物の持込み禁止、入退室記録の点検)と、委託先従業者への"
                "研修の実施状況の確認方法を、Ⅲ(リスク対策)の委託の記載に具体的に記載すること。"})


def _jidou_correction(session: Session, actor: Actor, today: date) -> None:
    a = _assessment(session, JIDOU, "basic")
    v = _revise(session, actor, a, "change", {
        "I.1.2": "令和6年10月の児童手当法の改正(所得制限の撤廃、支給対象の高校生年代までの延長)に伴い、"
                 "支給対象者の認定及び額の改定の事務を行う。",
    }, "", today - timedelta(days=5), today - timedelta(days=9),
        timing_note="法改正に伴う記載の修正であり、重要な変更に当たらないため、変更後に提出する。")
    _fire(session, actor, v, "submit_for_check", today - timedelta(days=3))
