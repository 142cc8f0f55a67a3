"""The procedure as an explicit state machine (pure): stages, transitions per form × organisation kind,
roles, guards with Japanese reasons, and municipality-specific steps inserted through configuration.

spia-rules §4.1: 基礎 / 重点: 作成中 → 庁内確認 → 提出済 → 公表済 (重点 may add 意見公募 and 第三者点検);
全項目・地方公共団体等: … → 意見公募中 → 意見反映 → 第三者点検中 → 点検反映 → 提出済 → 公表済;
全項目・行政機関等: the council steps are replaced by 委員会承認申請 → 承認済.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from app.domain.deadlines import period_days
from app.domain.formversion import not_in_force
from app.domain.wareki import wareki


class Stage(StrEnum):
    draft = "draft"
    internal_check = "internal_check"
    public_comment = "public_comment"
    comment_revision = "comment_revision"
    third_party_review = "third_party_review"
    review_revision = "review_revision"
    ppc_approval = "ppc_approval"
    approved = "approved"
    submitted = "submitted"
    published = "published"


# The one registry of stage names (lists, filters, CLI, documents): a municipality's own step is `custom:<key>` and
# is named by stage_label() from its configuration. tests/domain/test_stage_registry.py keeps copies out.
STAGE_LABEL: dict[str, str] = {
    Stage.draft: "作成中", Stage.internal_check: "庁内確認", Stage.public_comment: "意見公募中",
    Stage.comment_revision: "意見反映", Stage.third_party_review: "第三者点検中", Stage.review_revision: "点検反映",
    Stage.ppc_approval: "委員会承認申請", Stage.approved: "承認済", Stage.submitted: "提出済", Stage.published: "公表済",
}
# Where a municipality may insert its own step (before one of these stages).
STEP_POSITIONS: tuple[str, ...] = (Stage.submitted, Stage.published, Stage.internal_check, Stage.third_party_review,
                                   Stage.public_comment)
# Working text may change in these stages (the text under comment / review is a frozen snapshot).
EDITABLE = {"draft", "public_comment", "comment_revision", "third_party_review", "review_revision", "ppc_approval"}

STAFF, RECORDS = "staff", "records"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    source: str
    target: str
    roles: frozenset[str]
    backward: bool = False          # going back: a reason is mandatory
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomStep:
    """A municipality's own step (e.g. 審議会報告) inserted before `before` for the listed forms."""

    key: str
    label: str
    before: str
    forms: frozenset[str]
    org_kinds: frozenset[str] = frozenset({"local", "national"})


def _transition(action: str, label: str, source: str, target: str, roles: Iterable[str] = (RECORDS,),
                backward: bool = False, guards: Iterable[str] = ()) -> Transition:
    return Transition(action, label, source, target, frozenset(roles), backward, tuple(guards))


_CHECK = ("complete",)


def base_transitions(form: str, org_kind: str) -> list[Transition]:
    t = [
        _transition("submit_for_check", "庁内確認に回す", "draft", "internal_check", (STAFF, RECORDS)),
        _transition("withdraw", "作成中に戻す(取下げ)", "internal_check", "draft", (STAFF, RECORDS), backward=True),
    ]
    if form in ("basic", "focused"):
        t.append(_transition("submit", "個人情報保護委員会に提出", "internal_check", "submitted",
                    guards=_CHECK + ("submitted_on",)))
    if form == "focused":  # optional public comment and third-party check (spia-rules §4.1)
        t += [
            _transition("start_comment", "意見公募を開始(任意)", "internal_check", "public_comment", guards=_CHECK + ("comment_ready",)),
            _transition("close_comment", "意見公募を終了", "public_comment", "comment_revision", guards=("comment_ended",)),
            _transition("start_review", "第三者点検に付す(任意)", "internal_check", "third_party_review", guards=_CHECK + ("review_ready",)),
            _transition("start_review", "第三者点検に付す(任意)", "comment_revision", "third_party_review", guards=("review_ready",)),
            _transition("close_review", "第三者点検を終了", "third_party_review", "review_revision", guards=("review_answered",)),
            _transition("submit", "個人情報保護委員会に提出", "comment_revision", "submitted", guards=_CHECK + ("submitted_on",)),
            _transition("submit", "個人情報保護委員会に提出", "review_revision", "submitted",
               guards=_CHECK + ("conditions_met", "submitted_on")),
        ]
    if form == "full":
        t += [
            _transition("start_comment", "意見公募を開始", "internal_check", "public_comment", guards=_CHECK + ("comment_ready",)),
            _transition("close_comment", "意見公募を終了", "public_comment", "comment_revision", guards=("comment_ended",)),
        ]
        if org_kind == "local":
            t += [
                _transition("start_review", "第三者点検(審議会への諮問)", "comment_revision", "third_party_review",
                   guards=("review_ready",)),
                _transition("close_review", "第三者点検を終了(答申)", "third_party_review", "review_revision",
                   guards=("review_answered",)),
                _transition("reopen_review", "再度の点検を求める", "review_revision", "third_party_review", backward=True),
                _transition("submit", "個人情報保護委員会に提出", "review_revision", "submitted",
                   guards=_CHECK + ("conditions_met", "submitted_on")),
            ]
        else:
            t += [
                _transition("apply_approval", "委員会に承認を申請", "comment_revision", "ppc_approval",
                   guards=_CHECK + ("approval_applied",)),
                _transition("record_approval", "委員会の承認を記録", "ppc_approval", "approved", guards=("approved_on",)),
                _transition("submit", "個人情報保護委員会に提出", "approved", "submitted", guards=_CHECK + ("submitted_on",)),
            ]
    t.append(_transition("publish", "公表", "submitted", "published", guards=("published_on", "form_in_force")))
    if form in ("focused", "full"):  # a 重点/全項目 is submitted and published with its 基礎 (spia issue 11 item 17)
        t = [replace(x, guards=x.guards + ("partner",)) if x.action in ("submit", "publish") else x for x in t]
    for source in ("comment_revision", "review_revision", "ppc_approval", "approved", "submitted"):
        if any(x.source == source or x.target == source for x in t):
            t.append(_transition("return_to_draft", "作成中に差し戻す", source, "draft", backward=True))
    return t


def transitions(form: str, org_kind: str, custom: list[CustomStep] | tuple[CustomStep, ...] = (),
                kind: str = "initial") -> list[Transition]:
    """The table for one form and organisation kind, with the municipality's own steps inserted.

    A 修正 (kind "correction") is re-submitted and re-published without public comment, council review or
    approval, whatever the form; an 実施 or 再実施 follows the full procedure of its form (spia-rules §5.1).
    """
    table = base_transitions("basic" if kind == "correction" else form, org_kind)
    for step in custom:
        if form not in step.forms or org_kind not in step.org_kinds:
            continue
        stage = f"custom:{step.key}"
        redirected = []
        for tr in table:
            if tr.target == step.before and not tr.backward:
                redirected.append(Transition(tr.action, tr.label, tr.source, stage, tr.roles, False, tr.guards))
            else:
                redirected.append(tr)
        before_guards = next((tr.guards for tr in table if tr.target == step.before and not tr.backward), ())
        redirected.append(Transition(f"complete:{step.key}", f"{step.label}を完了", stage, step.before,
                                     frozenset({RECORDS}), False, before_guards))
        redirected.append(Transition("return_to_draft", "作成中に差し戻す", stage, "draft", frozenset({RECORDS}), True))
        table = redirected
    return table


def stage_choices(custom: list[CustomStep] | tuple[CustomStep, ...] = ()) -> dict[str, str]:
    """Every stage a version of this body can be in, with its name (a filter's options): the built-in ones and the
    body's own steps."""
    return {**STAGE_LABEL, **{f"custom:{c.key}": c.label for c in custom}}


def stage_label(stage: str, custom: list[CustomStep] | tuple[CustomStep, ...] = ()) -> str:
    if stage.startswith("custom:"):
        key = stage.split(":", 1)[1]
        return next((c.label for c in custom if c.key == key), key)
    return STAGE_LABEL.get(stage, stage)


# The name of each step as the 経過 and the history show it (one name per action, whatever the form; the button
# labels in base_transitions may add 「(任意)」 or the council's name).
STEP_LABEL = {
    "submit_for_check": "庁内確認に回す", "withdraw": "作成中に戻す(取下げ)", "submit": "個人情報保護委員会に提出",
    "start_comment": "意見公募を開始", "close_comment": "意見公募を終了", "start_review": "第三者点検に付す",
    "close_review": "第三者点検を終了(答申)", "reopen_review": "再度の点検を求める",
    "apply_approval": "委員会に承認を申請", "record_approval": "委員会の承認を記録", "publish": "公表",
    "return_to_draft": "作成中に差し戻す", "migrate": "移行登録(手続の記録なし)",
}


def step_label(action: str, custom: list[CustomStep] | tuple[CustomStep, ...] = ()) -> str:
    """「庁内確認に回す」 for submit_for_check; 「審議会報告を完了」 for a municipality's own step; never the code."""
    if action.startswith("complete:"):
        key = action.split(":", 1)[1]
        return f"{next((c.label for c in custom if c.key == key), '独自の手続')}を完了"
    return STEP_LABEL.get(action, "その他の操作")


def editable(stage: str) -> bool:
    return stage in EDITABLE


class TransitionRefused(Exception):
    """`status` 403 (role) or 409 (not from this stage / a guard failed); `reason` in Japanese."""

    def __init__(self, reason: str, status: int = 409):
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass
class GuardContext:
    """Facts the guards look at, gathered by the service (everything is plain data)."""

    today: date
    problems: int = 0
    comment: dict[str, Any] | None = None        # {method, start_on, end_on, reason, opinions_without_response}
    review: dict[str, Any] | None = None         # {consulted_on, answered_on, result, open_findings}
    open_conditions: int = 0
    approval: dict[str, Any] | None = None       # {applied_on, approved_on}
    submitted_on: date | None = None
    published_on: date | None = None
    earlier_dates: dict[str, date] = field(default_factory=dict)   # label -> date (for 公表日 ≥ every earlier date)
    partner: str | None = None         # pairing: why the 基礎項目評価書 is not ready for this step (None: ready)
    form_label: str = ""               # the 版 label of the 様式 version the assessment version uses
    form_effective_from: date | None = None   # ... and the day that 様式 came into force


COMMENT_MIN_DAYS = 30


def comment_period_problem(start: date | None, end: date | None, reason: str, today: date | None = None) -> str | None:
    """The 意見公募 period: it starts no earlier than the day 開始 is pressed (the day the 案 is published; `today`,
    when known) and lasts at least 30 days counting the first day, unless a 特段の理由 is recorded."""
    if not start or not end:
        return "意見公募の開始日と終了日を入力してください。"
    if end < start:
        return "意見公募の終了日が開始日より前になっています。"
    if today is not None and start < today:
        return (f"意見公募の開始日({wareki(start)})が過ぎています。開始日は案を公表する日(意見公募を開始する日、"
                f"{wareki(today)})以降にしてください。")
    days = period_days(start, end)
    if days < COMMENT_MIN_DAYS and not reason.strip():
        return f"意見公募の期間が{days}日で30日未満です。期間を短縮する特段の理由を入力してください。"
    return None


def early_close_problem(end: date | None, today: date, reason: str) -> str | None:
    """終了 before the period is over (on or before its end date) needs an explicit reason, printed in the results."""
    if end and today <= end and not reason.strip():
        return (f"意見公募の期間中です(終了日 {wareki(end)})。終了日より前に終了するには、"
                "その理由を入力してください(意見と考え方に記載されます)。")
    return None


def check_guard(name: str, ctx: GuardContext) -> str | None:
    """None when the guard passes, else the Japanese reason it refuses."""
    if name == "complete":
        return None if ctx.problems == 0 else (
            f"未記入・不整合が{ctx.problems}件あります。すべて解消してから次の手続に進んでください(完成度100%が必要です)。")
    if name == "comment_ready":
        c = ctx.comment
        if not c or not c.get("method", "").strip():
            return "意見公募の方法・期間を登録してください。"
        return comment_period_problem(c.get("start_on"), c.get("end_on"), c.get("reason", ""), ctx.today)
    if name == "comment_ended":
        c = ctx.comment or {}
        if c.get("opinions_without_response"):
            return f"市の考え方が未記入の意見が{c['opinions_without_response']}件あります。"
        return None
    if name == "review_ready":
        r = ctx.review
        if not r or not r.get("consulted_on"):
            return "第三者点検(審議会への諮問)の内容と諮問日を登録してください。"
        return None
    if name == "review_answered":
        r = ctx.review or {}
        if not r.get("answered_on") or not r.get("result"):
            return "答申(結論と日付)を登録してください。"
        if r.get("open_findings"):
            return f"回答していない指摘事項が{r['open_findings']}件あります。すべての指摘事項に回答してください。"
        return None
    if name == "conditions_met":
        return None if not ctx.open_conditions else (
            f"答申の条件のうち対応が完了していないものが{ctx.open_conditions}件あります。")
    if name == "approval_applied":
        return None if ctx.approval and ctx.approval.get("applied_on") else "委員会への承認申請日を登録してください。"
    if name == "approved_on":
        return None if ctx.approval and ctx.approval.get("approved_on") else "委員会の承認日を登録してください。"
    if name == "partner":
        return ctx.partner
    if name == "submitted_on":
        if not ctx.submitted_on:
            return "提出日を入力してください。"
        return _order_problem("提出日", ctx.submitted_on, ctx.earlier_dates)
    if name == "published_on":
        if not ctx.submitted_on:
            return "公表するには先に提出日が必要です。"
        if not ctx.published_on:
            return "公表日を入力してください。"
        return _order_problem("公表日", ctx.published_on, {**ctx.earlier_dates, "提出日": ctx.submitted_on})
    if name == "form_in_force":  # the cover prints the 様式's 版 label: it must be in force on the 公表日
        return not_in_force(ctx.form_label, ctx.form_effective_from, ctx.published_on, ctx.today)
    raise KeyError(name)


def _order_problem(label: str, value: date, earlier: dict[str, date]) -> str | None:
    for other, d in earlier.items():
        if d and value < d:
            return f"{label}({wareki(value)})が{other}({wareki(d)})より前になっています。"
    return None


def find(table: list[Transition], stage: str, action: str) -> Transition:
    for tr in table:
        if tr.source == stage and tr.action == action:
            return tr
    raise TransitionRefused(f"現在の段階({stage_label(stage)})では「{action}」の操作はできません。")


def available(table: list[Transition], stage: str, role: str) -> list[Transition]:
    return [tr for tr in table if tr.source == stage and role_allows(tr, role)]


def role_allows(tr: Transition, role: str) -> bool:
    if role in ("records", "admin", "system"):
        return True
    return role in tr.roles


def apply(table: list[Transition], stage: str, action: str, role: str, ctx: GuardContext,
          reason: str = "") -> Transition:
    """Validate one transition; return it, or raise TransitionRefused with the Japanese reason."""
    tr = find(table, stage, action)
    if not role_allows(tr, role):
        raise TransitionRefused(f"「{tr.label}」は総務・文書担当が行います。", status=403)
    if tr.backward and not reason.strip():
        raise TransitionRefused("戻す理由を入力してください。", status=422)
    problems = unmet(tr, role, ctx)
    if tr.action == "close_comment":
        problems.append(early_close_problem((ctx.comment or {}).get("end_on"), ctx.today, reason) or "")
    problems = [p for p in problems if p]
    if problems:
        raise TransitionRefused(problems[0])
    return tr


def closes_early(tr: Transition, ctx: GuardContext) -> bool:
    """True when this is 終了 of a public comment whose period is not over (the button then asks for a reason)."""
    end: date | None = (ctx.comment or {}).get("end_on")
    if tr.action != "close_comment" or not end:
        return False
    return ctx.today <= end


def unmet(tr: Transition, role: str, ctx: GuardContext) -> list[str]:
    """The preconditions of `tr` not met yet (Japanese, one per missing step); empty when it can be fired.
    Inputs typed with the button (dates, reasons) are not counted when the form has a field for them."""
    if not role_allows(tr, role):
        return [f"「{tr.label}」は総務・文書担当が行います。"]
    problems = []
    for guard in tr.guards:
        problem = check_guard(guard, ctx)
        if problem:
            problems.append(problem)
    return problems


# What an irreversible step does, said on the confirmation page before it is taken (spia issue 11 item 19).
CONFIRM = {
    "start_comment": ("案を公表します。意見公募用の案(非公表の項目を伏せたもの)をこの時点の内容で固定して保存し、"
                      "公示・意見聴取を始めます。",
                      "公表した案は取り消せません。期間中に入力を直しても、公表した案は変わりません。"),
    "submit": ("この版を提出用として固定します。提出日を記録し、提出した内容をこの時点で保存します。",
               "提出後は、公表するか作成中に差し戻すまで、この版の内容は変更できません。"),
    "publish": ("この版を凍結します。公表日を記録し、公表用の評価書をこの時点の内容で保存します。",
                "公表後はこの版を変更できません。変更は新しい版(修正・再実施)で行います。"),
}


def needs_confirmation(action: str) -> bool:
    return action in CONFIRM
