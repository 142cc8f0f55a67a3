"""The procedure state machine: every (form, organisation kind, stage, action, role), guards, custom steps."""
from __future__ import annotations

import itertools
from datetime import date

import pytest

from app.domain import workflow as wf

TODAY = date(2026, 11, 23)
OK = wf.GuardContext(
    today=TODAY, problems=0,
    comment={"method": "HP", "start_on": date(2026, 9, 1), "end_on": date(2026, 9, 30), "reason": "",
             "opinions_without_response": 0},
    review={"consulted_on": date(2026, 10, 1), "answered_on": date(2026, 10, 20), "result": "適当", "open_findings": 0},
    open_conditions=0, approval={"applied_on": date(2026, 10, 1), "approved_on": date(2026, 10, 25)},
    submitted_on=date(2026, 11, 1), published_on=date(2026, 11, 2),
)

# 開始 is pressed on the first day of the period (the day the 案 is published): 30 days counting that day.
STARTING = wf.GuardContext(**{**OK.__dict__, "comment": {**OK.comment, "start_on": TODAY, "end_on": date(2026, 12, 22)}})

# Written out independently of the implementation, from spia-rules §4.1 and the issue.
SPEC = {
    ("basic", "local"): [("draft", "submit_for_check", "internal_check"), ("internal_check", "withdraw", "draft"),
                         ("internal_check", "submit", "submitted"), ("submitted", "publish", "published"),
                         ("submitted", "return_to_draft", "draft")],
    ("focused", "local"): [("draft", "submit_for_check", "internal_check"), ("internal_check", "withdraw", "draft"),
                           ("internal_check", "submit", "submitted"), ("internal_check", "start_comment", "public_comment"),
                           ("public_comment", "close_comment", "comment_revision"),
                           ("internal_check", "start_review", "third_party_review"),
                           ("comment_revision", "start_review", "third_party_review"),
                           ("third_party_review", "close_review", "review_revision"),
                           ("comment_revision", "submit", "submitted"), ("review_revision", "submit", "submitted"),
                           ("submitted", "publish", "published"), ("comment_revision", "return_to_draft", "draft"),
                           ("review_revision", "return_to_draft", "draft"), ("submitted", "return_to_draft", "draft")],
    ("full", "local"): [("draft", "submit_for_check", "internal_check"), ("internal_check", "withdraw", "draft"),
                        ("internal_check", "start_comment", "public_comment"),
                        ("public_comment", "close_comment", "comment_revision"),
                        ("comment_revision", "start_review", "third_party_review"),
                        ("third_party_review", "close_review", "review_revision"),
                        ("review_revision", "reopen_review", "third_party_review"),
                        ("review_revision", "submit", "submitted"), ("submitted", "publish", "published"),
                        ("comment_revision", "return_to_draft", "draft"), ("review_revision", "return_to_draft", "draft"),
                        ("submitted", "return_to_draft", "draft")],
    ("full", "national"): [("draft", "submit_for_check", "internal_check"), ("internal_check", "withdraw", "draft"),
                           ("internal_check", "start_comment", "public_comment"),
                           ("public_comment", "close_comment", "comment_revision"),
                           ("comment_revision", "apply_approval", "ppc_approval"),
                           ("ppc_approval", "record_approval", "approved"), ("approved", "submit", "submitted"),
                           ("submitted", "publish", "published"), ("comment_revision", "return_to_draft", "draft"),
                           ("ppc_approval", "return_to_draft", "draft"), ("approved", "return_to_draft", "draft"),
                           ("submitted", "return_to_draft", "draft")],
}
SPEC[("basic", "national")] = SPEC[("basic", "local")]
SPEC[("focused", "national")] = SPEC[("focused", "local")]
STAGES = list(wf.STAGE_LABEL)
ACTIONS = sorted({a for spec in SPEC.values() for _, a, _ in spec})
ROLES = ["staff", "records", "admin", "council", "system"]
STAFF_ACTIONS = {"submit_for_check", "withdraw"}
CASES = [(f, k, s, a, r) for (f, k) in SPEC for s, a, r in itertools.product(STAGES, ACTIONS, ROLES)]


def test_tables_match_the_spec():
    for (form, kind), spec in SPEC.items():
        assert sorted((t.source, t.action, t.target) for t in wf.transitions(form, kind)) == sorted(spec), (form, kind)


@pytest.mark.parametrize(("form", "kind", "stage", "action", "role"), CASES)
def test_every_combination(form, kind, stage, action, role):
    table = wf.transitions(form, kind)
    expected = {(s, a): t for s, a, t in SPEC[(form, kind)]}
    reason = "理由" if action in ("withdraw", "return_to_draft", "reopen_review") else ""
    OK = STARTING if action == "start_comment" else globals()["OK"]
    if (stage, action) not in expected:
        with pytest.raises(wf.TransitionRefused) as exc:
            wf.apply(table, stage, action, role, OK, reason)
        assert exc.value.status == 409 and "できません" in exc.value.reason
        return
    allowed = role in ("records", "admin", "system") or (role == "staff" and action in STAFF_ACTIONS)
    if not allowed:
        with pytest.raises(wf.TransitionRefused) as exc:
            wf.apply(table, stage, action, role, OK, reason)
        assert exc.value.status == 403
        return
    assert wf.apply(table, stage, action, role, OK, reason).target == expected[(stage, action)]


@pytest.mark.parametrize(("form", "kind"), list(SPEC))
def test_going_back_needs_a_reason(form, kind):
    table = wf.transitions(form, kind)
    for t in table:
        if t.backward:
            with pytest.raises(wf.TransitionRefused) as exc:
                wf.apply(table, t.source, t.action, "records", OK, "  ")
            assert exc.value.status == 422 and "理由" in exc.value.reason


def ctx(**kw) -> wf.GuardContext:
    base = wf.GuardContext(**{**OK.__dict__})
    for k, v in kw.items():
        setattr(base, k, v)
    return base


@pytest.mark.parametrize(("action", "stage", "context", "fragment"), [
    ("start_comment", "internal_check", ctx(problems=3), "未記入・不整合が3件"),
    ("submit", "review_revision", ctx(problems=1), "完成度100%"),
    ("start_comment", "internal_check", ctx(comment=None), "方法・期間を登録"),
    ("start_comment", "internal_check", ctx(comment={**STARTING.comment, "end_on": date(2026, 12, 21)}), "30日未満"),
    ("start_comment", "internal_check", ctx(comment={**STARTING.comment, "end_on": date(2026, 11, 1)}), "開始日より前"),
    ("start_comment", "internal_check", ctx(), "開始日(令和8年9月1日)が過ぎています"),
    ("close_comment", "public_comment", ctx(today=date(2026, 9, 30)), "期間中です"),
    ("close_comment", "public_comment", ctx(comment={**OK.comment, "opinions_without_response": 2}), "市の考え方が未記入"),
    ("start_review", "comment_revision", ctx(review=None), "諮問日を登録"),
    ("close_review", "third_party_review", ctx(review={**OK.review, "answered_on": None}), "答申"),
    ("close_review", "third_party_review", ctx(review={**OK.review, "open_findings": 1}), "回答していない指摘事項が1件"),
    ("submit", "review_revision", ctx(open_conditions=2), "答申の条件のうち対応が完了していないものが2件"),
    ("submit", "review_revision", ctx(submitted_on=None), "提出日を入力"),
    ("submit", "review_revision", ctx(submitted_on=date(2026, 10, 1)), "答申日"),
    ("publish", "submitted", ctx(submitted_on=None), "先に提出日"),
    ("publish", "submitted", ctx(published_on=date(2026, 10, 31)), "公表日(令和8年10月31日)が提出日(令和8年11月1日)より前"),
])
def test_guards_refuse_in_japanese(action, stage, context, fragment):
    table = wf.transitions("full", "local")
    context.earlier_dates = {"答申日": date(2026, 10, 20)}
    with pytest.raises(wf.TransitionRefused) as exc:
        wf.apply(table, stage, action, "records", context)
    assert exc.value.status == 409 and fragment in exc.value.reason


def test_shortened_comment_with_a_reason_is_accepted():
    short = ctx(comment={**STARTING.comment, "end_on": date(2026, 12, 2), "reason": "法改正の施行日に間に合わせるため"})
    assert wf.apply(wf.transitions("full", "local"), "internal_check", "start_comment", "records", short).target \
        == "public_comment"


def test_national_approval_guards():
    table = wf.transitions("full", "national")
    with pytest.raises(wf.TransitionRefused):
        wf.apply(table, "comment_revision", "apply_approval", "records", ctx(approval=None))
    with pytest.raises(wf.TransitionRefused):
        wf.apply(table, "ppc_approval", "record_approval", "records", ctx(approval={"applied_on": date(2026, 1, 1)}))


def test_custom_step_is_inserted_before_submission_by_configuration():
    step = wf.CustomStep("council_report", "審議会報告", "submitted", frozenset({"full"}))
    table = wf.transitions("full", "local", [step])
    assert wf.apply(table, "review_revision", "submit", "records", OK).target == "custom:council_report"
    done = wf.apply(table, "custom:council_report", "complete:council_report", "records", OK)
    assert done.target == "submitted"
    assert wf.stage_label("custom:council_report", [step]) == "審議会報告"
    # other forms are untouched
    assert all(not t.target.startswith("custom:") for t in wf.transitions("basic", "local", [step]))


def test_editable_stages():
    assert wf.editable("draft") and wf.editable("public_comment") and wf.editable("review_revision")
    assert not wf.editable("internal_check") and not wf.editable("submitted") and not wf.editable("published")


# --- issue 11 item 18: the public-comment period --------------------------------------------------------------
D = date


@pytest.mark.parametrize(("start", "end", "reason", "today", "expected"), [
    # starts no earlier than the day 開始 is pressed
    (D(2026, 10, 20), D(2026, 11, 25), "", D(2026, 12, 2), "過ぎています"),       # the reported case
    (D(2026, 12, 1), D(2026, 12, 31), "", D(2026, 12, 2), "過ぎています"),        # one day in the past
    (D(2026, 12, 1), D(2026, 12, 31), "特段の理由", D(2026, 12, 2), "過ぎています"),  # a reason does not excuse it
    (D(2026, 12, 2), D(2026, 12, 31), "", D(2026, 12, 2), None),                  # today, 30 days: the minimum
    (D(2026, 12, 3), D(2027, 1, 1), "", D(2026, 12, 2), None),                    # tomorrow, 30 days
    (D(2026, 12, 2), D(2026, 12, 30), "", D(2026, 12, 2), "29日で30日未満"),       # 29 days
    (D(2026, 12, 2), D(2026, 12, 30), "年度内の施行に間に合わせるため", D(2026, 12, 2), None),
    (D(2026, 12, 2), D(2026, 12, 30), "  ", D(2026, 12, 2), "30日未満"),            # blank is no reason
    (D(2026, 12, 2), D(2026, 12, 2), "", D(2026, 12, 2), "1日で30日未満"),          # a single day
    (D(2026, 12, 10), D(2026, 12, 9), "", D(2026, 12, 2), "開始日より前"),
    (None, D(2026, 12, 31), "", D(2026, 12, 2), "開始日と終了日を入力"),
    (D(2026, 12, 2), None, "", D(2026, 12, 2), "開始日と終了日を入力"),
    (D(2027, 2, 1), D(2027, 3, 2), "", D(2026, 12, 2), None),                     # 28-day February + 2: 30 days
    (D(2027, 2, 1), D(2027, 3, 1), "", D(2026, 12, 2), "29日で30日未満"),
    (D(2026, 10, 20), D(2026, 11, 25), "", None, None),                           # registering: no clock yet
])
def test_comment_period_rule(start, end, reason, today, expected):
    problem = wf.comment_period_problem(start, end, reason, today)
    if expected is None:
        assert problem is None
    else:
        assert problem and expected in problem


@pytest.mark.parametrize(("end", "today", "reason", "early"), [
    (D(2026, 12, 31), D(2026, 12, 2), "", True),        # a minute after 開始: refused without a reason
    (D(2026, 12, 31), D(2026, 12, 31), "", True),       # the end date itself is still in the period
    (D(2026, 12, 31), D(2027, 1, 1), "", False),        # the day after: an ordinary 終了
    (D(2026, 12, 31), D(2026, 12, 2), "  ", True),
    (D(2026, 12, 31), D(2026, 12, 2), "応募が見込まれないため", False),
    (None, D(2026, 12, 2), "", False),
])
def test_early_close_needs_a_reason(end, today, reason, early):
    assert (wf.early_close_problem(end, today, reason) is not None) == early
    context = ctx(today=today, comment={**OK.comment, "end_on": end})
    table = wf.transitions("full", "local")
    if early:
        with pytest.raises(wf.TransitionRefused) as exc:
            wf.apply(table, "public_comment", "close_comment", "records", context, reason)
        assert "理由" in exc.value.reason
    else:
        assert wf.apply(table, "public_comment", "close_comment", "records", context, reason).target == "comment_revision"
    tr = wf.find(table, "public_comment", "close_comment")
    assert wf.closes_early(tr, context) == (end is not None and today <= end)


def test_period_days_counts_the_first_day():
    from app.domain.deadlines import period_days

    assert period_days(D(2026, 12, 2), D(2026, 12, 31)) == 30
    assert period_days(D(2026, 12, 2), D(2026, 12, 2)) == 1
    assert period_days(D(2028, 2, 1), D(2028, 3, 1)) == 30   # leap year


# --- issue 11 items 17 and 19: pairing guard, unmet preconditions, confirmation ---------------------------------
@pytest.mark.parametrize(("form", "kind"), list(SPEC))
def test_submit_and_publish_of_focused_and_full_wait_for_the_basic(form, kind):
    table = wf.transitions(form, kind)
    waiting = ctx(partner="基礎項目評価書がまだ提出されていません")
    for tr in table:
        if tr.action not in ("submit", "publish"):
            continue
        if form == "basic":
            assert "partner" not in tr.guards
            continue
        assert "partner" in tr.guards
        with pytest.raises(wf.TransitionRefused) as exc:
            wf.apply(table, tr.source, tr.action, "records", waiting)
        assert "基礎項目評価書" in exc.value.reason
        assert "基礎項目評価書がまだ提出されていません" in wf.unmet(tr, "records", waiting)
    corrections = wf.transitions(form, kind, kind="correction")
    assert all("partner" not in tr.guards for tr in corrections), "a 修正 is re-submitted on its own"


def test_unmet_names_every_missing_step_and_the_role():
    table = wf.transitions("full", "local")
    tr = wf.find(table, "review_revision", "submit")
    assert wf.unmet(tr, "records", OK) == []
    missing = wf.unmet(tr, "records", ctx(problems=2, open_conditions=1, submitted_on=None))
    assert [m[:8] for m in missing] == ["未記入・不整合が", "答申の条件のうち", "提出日を入力して"]
    assert wf.unmet(tr, "staff", OK) == ["「個人情報保護委員会に提出」は総務・文書担当が行います。"]


@pytest.mark.parametrize(("action", "says"), [("start_comment", "案を公表します"), ("submit", "提出用として固定"),
                                         ("publish", "この版を凍結します")])
def test_irreversible_steps_ask_for_confirmation(action, says):
    assert wf.needs_confirmation(action)
    assert any(says in s for s in wf.CONFIRM[action])


@pytest.mark.parametrize("action", ["submit_for_check", "withdraw", "close_comment", "start_review", "close_review",
                                    "reopen_review", "return_to_draft", "apply_approval", "record_approval"])
def test_reversible_steps_go_at_once(action):
    assert not wf.needs_confirmation(action)
