"""Reminder mails (pure): which threshold a deadline has reached on a date, whose deadline it is, one mail per
person per run, and the mail's Japanese text. The date is always passed in; nothing here sends or stores.

- Thresholds: 90, 30, 7 and 0 days before the due date, and overdue (the day after it). A run sends the tightest
  threshold the deadline has reached (days left ≤ 90 → "90", ≤ 30 → "30", ≤ 7 → "7", 0 → "0", < 0 → "overdue"),
  once: a threshold that was already sent for that person and deadline is not sent again, and thresholds that a
  missed run skipped are not sent late (the mail says how many days are left, which is what matters).
- Whose: records users (総務・文書担当) get every deadline; staff (担当課職員) those of the 評価書 of their department
  and the departments below it (the same rule as what they may see); admin and council users get none.
- Kinds a person can opt out of: 見直し, 再実施, 意見公募の終了, 答申の条件, 改善策.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from app.domain.wareki import wareki

THRESHOLDS = (90, 30, 7, 0)
OVERDUE = "overdue"
THRESHOLD_ORDER = (OVERDUE, "0", "7", "30", "90")  # the most urgent first (mail sections)
THRESHOLD_LABEL = {OVERDUE: "期限超過", "0": "本日が期限", "7": "7日以内", "30": "30日以内", "90": "90日以内"}

KINDS = {
    "review": "見直し",
    "reassessment": "再実施",
    "comment": "意見公募の終了",
    "condition": "答申の条件",
    "action": "改善策",
}
RECIPIENT_ROLES = ("records", "staff")

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def email_problem(value: str) -> str | None:
    """None when `value` is empty (no mail) or a plain address (ASCII, one @, a dotted domain)."""
    if not value:
        return None
    if len(value) > 254:
        return "メールアドレスは254文字以内で入力してください。"
    if not _EMAIL.match(value) or ".." in value:
        return "メールアドレスの形式が正しくありません(例: taro.yamada@city.example.lg.jp)。"
    return None


def threshold_for(due_on: date, as_of: date) -> str | None:
    """The threshold a deadline has reached on `as_of` ("90", "30", "7", "0", "overdue"), None when more than 90
    days are left."""
    left = (due_on - as_of).days
    if left < 0:
        return OVERDUE
    for t in reversed(THRESHOLDS):  # 0, 7, 30, 90
        if left <= t:
            return str(t)
    return None


@dataclass(frozen=True)
class Deadline:
    """One dated deadline of one 評価書. `key` is stable for as long as the deadline is the same (it includes the
    due date, so a moved deadline is a new one and reminds again)."""

    key: str
    kind: str
    assessment_id: int
    department_id: int | None
    number: str
    title: str
    what: str
    due_on: date


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    email: str
    role: str
    department_ids: frozenset[int] = frozenset()
    opted_out: frozenset[str] = frozenset()


def belongs_to(recipient: Recipient, deadline: Deadline) -> bool:
    """Whose deadline it is (module docstring); opting out of the kind is applied by `plan`."""
    if recipient.role == "records":
        return True
    return recipient.role == "staff" and deadline.department_id in recipient.department_ids


@dataclass(frozen=True)
class Reminder:
    deadline: Deadline
    threshold: str
    days_left: int


@dataclass
class Mail:
    recipient: Recipient
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return subject(self.reminders)

    def body(self, *, as_of: date, sender: str) -> str:
        return body(self.recipient, self.reminders, as_of=as_of, sender=sender)


def plan(deadlines: list[Deadline], recipients: list[Recipient], *, as_of: date,
         sent: set[tuple[int, str, str]]) -> list[Mail]:
    """One mail per person with every deadline of theirs that reached a threshold not yet sent to them.

    `sent` holds (user_id, deadline key, threshold) already sent. Recipients without an address get no mail.
    """
    fired = [(d, t) for d in deadlines if (t := threshold_for(d.due_on, as_of)) is not None]
    mails = []
    for r in sorted(recipients, key=lambda r: r.user_id):
        if not r.email:
            continue
        items = [Reminder(d, t, (d.due_on - as_of).days) for d, t in fired
                 if d.kind not in r.opted_out and belongs_to(r, d) and (r.user_id, d.key, t) not in sent]
        if items:
            items.sort(key=lambda x: (x.deadline.due_on, x.deadline.number, x.deadline.key))
            mails.append(Mail(r, items))
    return mails


def subject(reminders: list[Reminder]) -> str:
    overdue = sum(1 for x in reminders if x.threshold == OVERDUE)
    head = f"【特定個人情報保護評価】期限のお知らせ({len(reminders)}件"
    return head + (f"、うち期限超過{overdue}件)" if overdue else ")")


def _when(x: Reminder) -> str:
    if x.days_left < 0:
        return f"{-x.days_left}日超過"
    if x.days_left == 0:
        return "本日"
    return f"あと{x.days_left}日"


def body(recipient: Recipient, reminders: list[Reminder], *, as_of: date, sender: str) -> str:
    lines = [f"{recipient.name} 様", "",
             f"{wareki(as_of)}現在、次の期限が近づいている、または過ぎています。", ""]
    for t in THRESHOLD_ORDER:
        group = [x for x in reminders if x.threshold == t]
        if not group:
            continue
        lines.append(f"■ {THRESHOLD_LABEL[t]}({len(group)}件)")
        for x in group:
            d = x.deadline
            lines.append(f"・{wareki(d.due_on)}({_when(x)}) {d.what}")
            lines.append(f"  評価書番号 {d.number} {d.title}")
        lines.append("")
    lines += [
        "詳しくは、特定個人情報保護評価 支援システムの「ホーム」または「期限管理」の画面で確認してください。",
        "同じ期限について、同じ段階(90日前・30日前・7日前・当日・期限超過)のお知らせは1回だけ送ります。",
        "お知らせの種類ごとの受信の停止は、システムの「アカウント」画面の「メール通知」で設定できます。",
        "",
        "このメールは送信専用です。",
        f"{sender}",
    ]
    return "\n".join(lines) + "\n"
