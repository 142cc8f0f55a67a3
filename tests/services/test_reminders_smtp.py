"""`spia remind` against a real SMTP server on loopback (aiosmtpd in the test process): content, recipients,
once-only, opt-out, STARTTLS + AUTH, a refusing server and a server that is not there (reported, sent later)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from app.config import Settings
from app.domain.wareki import wareki
from app.models import (
    AuditLog,
    MailOptOut,
    PublicComment,
    Review,
    ReviewCondition,
    User,
)
from app.services import mailer, reminders
from tests import dbutil
from tests.conftest import TEST_SECRET
from tests.services.smtp_server import (
    FROM,
    Collector,
    addr,
    free_port,
    self_signed_cert,
    sent_rows,
    start,
    tls_context,
    with_addresses,
)

TODAY = dbutil.DEMO_TODAY  # 2026-11-23


def settings_for(port: int, **kw) -> Settings:
    return Settings(database_url="sqlite://", secret_key=TEST_SECRET, environment="test", smtp_host="127.0.0.1",
                    smtp_port=port, smtp_from=FROM, smtp_timeout_seconds=5, **kw)


@pytest.fixture
def smtp():
    handler = Collector()
    controller, port = start(handler)
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture
def mail_engine(demo_engine):
    with_addresses(demo_engine)
    return demo_engine


def test_one_japanese_mail_per_person_to_the_right_people(mail_engine, smtp):
    report = reminders.run(mail_engine, settings=settings_for(smtp.port), today=TODAY)
    assert report.failed == 0 and report.count("sent") == 4
    # records get every deadline; staff those of their department; admin and council none
    assert sorted(a for r in smtp.received for a in r.rcpt_tos) == sorted(
        addr(x) for x in ("records", "shimin", "zeimu", "kodomo"))
    assert all(len(r.rcpt_tos) == 1 and r.mail_from == "spia-noreply@city.example.lg.jp" for r in smtp.received)
    (shimin,) = smtp.to(addr("shimin"))
    m = shimin.message
    assert m["Subject"] == "【特定個人情報保護評価】期限のお知らせ(4件、うち期限超過4件)"
    assert m["To"].addresses[0].display_name.startswith("市民課") and m["Auto-Submitted"] == "auto-generated"
    body = shimin.body
    assert "令和8年11月23日現在" in body and "■ 期限超過(4件)" in body
    assert "・令和4年3月15日(1714日超過) 見直し(毎年)の期限\n  評価書番号 1 住民基本台帳に関する事務 全項目評価書" in body
    assert "・令和8年3月15日(253日超過) 再実施(5年)の期限" in body
    assert "個人住民税" not in body and "児童手当" not in body   # other departments' 評価書
    (zeimu,) = smtp.to(addr("zeimu"))
    assert "■ 30日以内(1件)\n・令和8年12月10日(あと17日) 見直し(毎年)の期限" in zeimu.body
    assert "住民基本台帳" not in zeimu.body
    (records,) = smtp.to(addr("records"))
    assert records.message["Subject"] == "【特定個人情報保護評価】期限のお知らせ(7件、うち期限超過6件)"
    for who in ("住民基本台帳", "個人住民税", "児童手当"):
        assert who in records.body
    assert ("records", "review:7:2026-12-10", "30") in sent_rows(mail_engine)
    with Session(mail_engine) as s:
        assert s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "reminder_mail")).one() == 4


def test_once_per_threshold_across_runs(mail_engine, smtp):
    settings = settings_for(smtp.port)
    reminders.run(mail_engine, settings=settings, today=TODAY)
    first = sent_rows(mail_engine)
    assert len(smtp.received) == 4
    again = reminders.run(mail_engine, settings=settings, today=TODAY)
    assert again.results == [] and len(smtp.received) == 4 and sent_rows(mail_engine) == first
    # the next day: nothing new reached a threshold
    assert reminders.run(mail_engine, settings=settings, today=TODAY + timedelta(days=1)).results == []
    # 7 days before 令和8年12月10日: the 重点's 見直し reminds zeimu and records again, once
    day = date(2026, 12, 3)
    report = reminders.run(mail_engine, settings=settings, today=day)
    assert sorted(r.login_id for r in report.results) == ["records", "zeimu"]
    assert [x.threshold for x in report.results[0].mail.reminders] == ["7"]
    assert "■ 7日以内(1件)\n・令和8年12月10日(あと7日)" in smtp.to(addr("zeimu"))[-1].body
    assert reminders.run(mail_engine, settings=settings, today=day).results == []
    assert len(smtp.received) == 6


def test_opt_out_per_kind_and_no_address(mail_engine, smtp):
    with Session(mail_engine) as s:
        shimin = s.exec(select(User).where(User.login_id == "shimin")).one()
        kodomo = s.exec(select(User).where(User.login_id == "kodomo")).one()
        s.add(MailOptOut(user_id=shimin.id, kind="review"))
        s.add(MailOptOut(user_id=kodomo.id, kind="review"))
        zeimu = s.exec(select(User).where(User.login_id == "zeimu")).one()
        zeimu.email = ""
        s.add(zeimu)
        s.commit()
    report = reminders.run(mail_engine, settings=settings_for(smtp.port), today=TODAY)
    status = {r.login_id: r.status for r in report.results}
    assert status == {"records": "sent", "shimin": "sent", "zeimu": "no_address"}  # kodomo had only a 見直し
    (shimin,) = smtp.to(addr("shimin"))
    assert "見直し(毎年)" not in shimin.body and shimin.body.count("再実施(5年)の期限") == 2
    assert not smtp.to(addr("kodomo")) and not smtp.to(addr("zeimu"))
    assert not [k for k in sent_rows(mail_engine) if k[0] in ("zeimu", "kodomo")]


def test_refused_recipient_is_reported_and_sent_next_time(mail_engine, smtp):
    settings = settings_for(smtp.port)
    smtp.refuse.add(addr("shimin"))
    report = reminders.run(mail_engine, settings=settings, today=TODAY)
    status = {r.login_id: (r.status, r.error) for r in report.results}
    assert status["shimin"][0] == "failed" and "550" in status["shimin"][1] and "宛先を受け付けませんでした" in status["shimin"][1]
    assert {k: v[0] for k, v in status.items() if k != "shimin"} == {"records": "sent", "zeimu": "sent", "kodomo": "sent"}
    assert report.failed == 1
    assert not [k for k in sent_rows(mail_engine) if k[0] == "shimin"]     # not recorded
    smtp.refuse.clear()
    later = reminders.run(mail_engine, settings=settings, today=TODAY + timedelta(days=1))
    assert [(r.login_id, r.status) for r in later.results] == [("shimin", "sent")]
    assert len(smtp.to(addr("shimin"))) == 1 and len(smtp.received) == 4


def test_no_server_listening_fails_every_mail_and_records_nothing(mail_engine, smtp):
    report = reminders.run(mail_engine, settings=settings_for(free_port()), today=TODAY)
    assert report.failed == 4 and report.count("sent") == 0
    assert all("サーバーに接続できません" in r.error for r in report.results)
    assert sent_rows(mail_engine) == []
    # the server is back: everything goes out
    assert reminders.run(mail_engine, settings=settings_for(smtp.port), today=TODAY).count("sent") == 4


def test_dry_run_sends_and_records_nothing(mail_engine, smtp):
    report = reminders.run(mail_engine, settings=settings_for(smtp.port), today=TODAY, dry_run=True)
    assert report.count("dry_run") == 4 and smtp.received == [] and sent_rows(mail_engine) == []
    # dry runs need no SMTP settings at all
    bare = Settings(database_url="sqlite://", secret_key=TEST_SECRET, environment="test")
    assert reminders.run(mail_engine, settings=bare, today=TODAY, dry_run=True).count("dry_run") == 4
    with pytest.raises(mailer.MailNotConfigured, match="SPIA_SMTP_HOST"):
        reminders.run(mail_engine, settings=bare, today=TODAY)


def test_starttls_and_auth(mail_engine, tmp_path):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = self_signed_cert(tmp_path)
    handler = Collector()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"spia", b"s3cret-pw")
        if ok:
            handler.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    controller, port = start(handler, tls_context=tls_context(cert, key), require_starttls=True,
                             authenticator=authenticator, auth_require_tls=True)
    try:
        good = settings_for(port, smtp_starttls=True, smtp_ca_file=str(cert), smtp_user="spia",
                            smtp_password="s3cret-pw")
        bad = good.model_copy(update={"smtp_password": "wrong"})
        report = reminders.run(mail_engine, settings=bad, today=TODAY)
        assert report.failed == 4 and all("認証に失敗しました" in r.error for r in report.results)
        plain = settings_for(port)  # without STARTTLS the server refuses the mail
        assert reminders.run(mail_engine, settings=plain, today=TODAY).failed == 4
        assert sent_rows(mail_engine) == [] and handler.received == []
        report = reminders.run(mail_engine, settings=good, today=TODAY)
        assert report.count("sent") == 4 and len(handler.received) == 4 and handler.logins
    finally:
        controller.stop()
    # AUTH without STARTTLS is refused by the configuration (no password in clear text)
    assert "STARTTLS" in mailer.config_problem(settings_for(port, smtp_user="spia", smtp_password="x"))


def test_comment_closing_and_council_conditions(engine, smtp):
    """The in-flight demo: 住基 全項目 第2版 is in 意見公募 (30 days from 12 days ago); a 答申 with a condition is
    recorded on the 個人住民税 重点 第2版's review."""
    rows, _ = dbutil.demo_snapshot(in_flight=True)
    dbutil.load_rows(engine, rows)
    with_addresses(engine)
    with Session(engine) as s:
        review = s.exec(select(Review).where(Review.closed_on.is_(None))).one()
        review.answered_on, review.result = TODAY - timedelta(days=85), "条件付き適当"
        s.add(review)
        s.add(ReviewCondition(review_id=review.id, text="委託先の監査を年1回行うこと"))
        s.commit()
        pc = s.exec(select(PublicComment).where(PublicComment.closed_on.is_(None))).one()
    report = reminders.run(engine, settings=settings_for(smtp.port), today=TODAY)
    assert report.failed == 0
    by = {r.login_id: r.mail.reminders for r in report.results}
    comment = [x for x in by["shimin"] if x.deadline.kind == "comment"]
    assert [(x.threshold, x.deadline.due_on) for x in comment] == [("30", pc.end_on)]
    assert 7 < (pc.end_on - TODAY).days <= 30
    condition = [x for x in by["zeimu"] if x.deadline.kind == "condition"]
    assert [(x.threshold, x.days_left, x.deadline.what) for x in condition] == [
        ("7", 5, "答申(令和8年8月30日)の条件1への対応")]
    assert not [x for x in by["shimin"] if x.deadline.kind == "condition"]
    body = smtp.to(addr("zeimu"))[0].body
    assert "答申(令和8年8月30日)の条件1への対応" in body and "委託先の監査" not in body  # the text stays in the system
    assert f"意見公募の期間の終了({wareki(pc.start_on)}〜{wareki(pc.end_on)})" in smtp.to(addr("shimin"))[0].body


def test_two_runs_at_once_send_each_mail_once(mail_engine, smtp):
    """cron and a person running it by hand: the record is written in the send's transaction, behind the unique
    key, so the run that comes second finds it (already_sent) instead of mailing again."""
    from concurrent.futures import ThreadPoolExecutor

    settings = settings_for(smtp.port)
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: reminders.run(mail_engine, settings=settings, today=TODAY), range(2)))
    statuses = sorted(r.status for rep in reports for r in rep.results)
    assert statuses.count("sent") == 4 and set(statuses) <= {"sent", "already_sent"}
    assert sorted(a for r in smtp.received for a in r.rcpt_tos) == sorted(
        addr(x) for x in ("records", "shimin", "zeimu", "kodomo"))
    assert len(sent_rows(mail_engine)) == 14
