"""Reminder rules (pure): thresholds on an as-of date, whose deadline it is, once-only, opt-out, the mail's text."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain import reminders as r

AS_OF = date(2026, 11, 23)


@pytest.mark.parametrize(("days_left", "expected"), [
    (365, None), (91, None), (90, "90"), (89, "90"), (31, "90"), (30, "30"), (29, "30"), (8, "30"), (7, "7"),
    (6, "7"), (1, "7"), (0, "0"), (-1, "overdue"), (-2, "overdue"), (-400, "overdue"),
])
def test_threshold_for_every_boundary(days_left, expected):
    assert r.threshold_for(AS_OF + timedelta(days=days_left), AS_OF) == expected


def test_threshold_counts_calendar_days_across_month_and_leap_day():
    assert r.threshold_for(date(2028, 3, 1), date(2028, 2, 23)) == "7"    # 29 February counts: 7 days
    assert r.threshold_for(date(2028, 3, 1), date(2028, 2, 22)) == "30"   # 8 days
    assert r.threshold_for(date(2027, 1, 1), date(2026, 12, 31)) == "7"


WHAT = {"review": "見直し(毎年)の期限", "reassessment": "再実施(5年)の期限", "comment": "意見公募の期間の終了",
        "condition": "答申の条件1への対応", "action": "改善策の実施(担当: 市民課長)"}


def _d(key="review:1:2026-12-01", kind="review", dept=10, due=AS_OF + timedelta(days=5), number="3"):
    return r.Deadline(key, kind, 1, dept, number, "住民基本台帳に関する事務 全項目評価書", WHAT[kind], due)


RECORDS = r.Recipient(1, "文書 花子", "records@city.example.lg.jp", "records")
STAFF = r.Recipient(2, "市民 太郎", "shimin@city.example.lg.jp", "staff", frozenset({10, 11}))
OTHER = r.Recipient(3, "税務 次郎", "zeimu@city.example.lg.jp", "staff", frozenset({20}))
ADMIN = r.Recipient(4, "管理 者", "admin@city.example.lg.jp", "admin")
COUNCIL = r.Recipient(5, "委員", "council@example.jp", "council")
STAFF_NO_DEPT = r.Recipient(6, "未所属", "x@city.example.lg.jp", "staff")


@pytest.mark.parametrize(("who", "dept", "expected"), [
    (RECORDS, 10, True), (RECORDS, None, True), (STAFF, 10, True), (STAFF, 11, True), (STAFF, 20, False),
    (STAFF, None, False), (OTHER, 10, False), (OTHER, 20, True), (ADMIN, 10, False), (COUNCIL, 10, False),
    (STAFF_NO_DEPT, 10, False),
])
def test_whose_deadline(who, dept, expected):
    assert r.belongs_to(who, _d(dept=dept)) is expected


def test_plan_one_mail_per_person_with_all_their_deadlines():
    ds = [_d("review:1:x"), _d("action:7:x", "action", dept=20, due=AS_OF - timedelta(days=3)),
          _d("comment:2:x", "comment", due=AS_OF), _d("far:1:x", "reassessment", due=AS_OF + timedelta(days=200))]
    mails = r.plan(ds, [OTHER, STAFF, RECORDS, ADMIN, COUNCIL], as_of=AS_OF, sent=set())
    assert [m.recipient.user_id for m in mails] == [1, 2, 3]
    by = {m.recipient.user_id: [(x.deadline.key, x.threshold, x.days_left) for x in m.reminders] for m in mails}
    assert by[1] == [("action:7:x", "overdue", -3), ("comment:2:x", "0", 0), ("review:1:x", "7", 5)]
    assert by[2] == [("comment:2:x", "0", 0), ("review:1:x", "7", 5)]
    assert by[3] == [("action:7:x", "overdue", -3)]


def test_plan_once_per_threshold_and_again_at_the_next_threshold():
    d = _d("review:1:x", due=AS_OF + timedelta(days=30))
    assert r.plan([d], [STAFF], as_of=AS_OF, sent={(2, "review:1:x", "30")}) == []
    assert r.plan([d], [STAFF], as_of=AS_OF, sent={(2, "review:1:x", "90")})[0].reminders[0].threshold == "30"
    # another person's record does not stop this person's mail
    assert len(r.plan([d], [STAFF], as_of=AS_OF, sent={(1, "review:1:x", "30")})) == 1
    # a moved deadline is a new key: it reminds again
    moved = _d("review:1:y", due=AS_OF + timedelta(days=30))
    assert len(r.plan([moved], [STAFF], as_of=AS_OF, sent={(2, "review:1:x", "30")})) == 1


def test_daily_runs_send_each_threshold_once():
    d = _d("review:1:x", due=AS_OF + timedelta(days=100))
    sent: set = set()
    got = []
    for n in range(0, 110):
        day = AS_OF + timedelta(days=n)
        for m in r.plan([d], [STAFF], as_of=day, sent=sent):
            for x in m.reminders:
                sent.add((2, x.deadline.key, x.threshold))
                got.append((n, x.threshold))
    assert got == [(10, "90"), (70, "30"), (93, "7"), (100, "0"), (101, "overdue")]


def test_missed_runs_send_only_the_tightest_threshold():
    d = _d("review:1:x", due=AS_OF + timedelta(days=5))
    (m,) = r.plan([d], [STAFF], as_of=AS_OF, sent=set())
    assert [x.threshold for x in m.reminders] == ["7"]


@pytest.mark.parametrize("kind", list(r.KINDS))
def test_opt_out_per_kind(kind):
    ds = [_d(f"{k}:1:x", k) for k in r.KINDS]
    who = r.Recipient(2, "市民 太郎", "a@b.jp", "staff", frozenset({10}), frozenset({kind}))
    (m,) = r.plan(ds, [who], as_of=AS_OF, sent=set())
    assert sorted(x.deadline.kind for x in m.reminders) == sorted(set(r.KINDS) - {kind})
    everything = r.Recipient(2, "市民 太郎", "a@b.jp", "staff", frozenset({10}), frozenset(r.KINDS))
    assert r.plan(ds, [everything], as_of=AS_OF, sent=set()) == []


def test_no_address_no_mail():
    nobody = r.Recipient(2, "市民 太郎", "", "staff", frozenset({10}))
    assert r.plan([_d()], [nobody], as_of=AS_OF, sent=set()) == []


def test_mail_text_in_japanese_with_wareki_grouped_by_urgency():
    ds = [_d("review:1:x", due=AS_OF + timedelta(days=25)),
          _d("action:7:x", "action", due=AS_OF - timedelta(days=3), number="5"),
          _d("comment:2:x", "comment", due=AS_OF)]
    (m,) = r.plan(ds, [STAFF], as_of=AS_OF, sent=set())
    assert m.subject == "【特定個人情報保護評価】期限のお知らせ(3件、うち期限超過1件)"
    body = m.body(as_of=AS_OF, sender="総務課")
    assert body.startswith("市民 太郎 様\n\n令和8年11月23日現在")
    assert body.index("■ 期限超過(1件)") < body.index("■ 本日が期限(1件)") < body.index("■ 30日以内(1件)")
    assert "・令和8年11月20日(3日超過) 改善策の実施(担当: 市民課長)\n  評価書番号 5 住民基本台帳に関する事務 全項目評価書" in body
    assert "・令和8年11月23日(本日) 意見公募の期間の終了\n" in body
    assert "・令和8年12月18日(あと25日) 見直し(毎年)の期限\n" in body
    assert "「アカウント」画面の「メール通知」" in body and "http" not in body
    assert r.subject([r.Reminder(ds[0], "30", 25)]) == "【特定個人情報保護評価】期限のお知らせ(1件)"


@pytest.mark.parametrize(("value", "ok"), [
    ("", True), ("taro.yamada@city.example.lg.jp", True), ("a+b@x.jp", True), ("a@localhost", False),
    ("a@@x.jp", False), ("a b@x.jp", False), ("a@x..jp", False), ("太郎@x.jp", False), ("a@x.jp\nBcc: y@z.jp", False),
    ("@x.jp", False), ("a@-x.jp", False), ("a" * 250 + "@x.jp", False),
])
def test_email_problem(value, ok):
    assert (r.email_problem(value) is None) is ok
