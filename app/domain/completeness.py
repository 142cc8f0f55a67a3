"""Completeness and consistency of a version against its form definition (pure; clock passed in)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.answer_types import asks_for_action
from app.domain.answers import empty, holds, row_label, skip_reason
from app.domain.forms import Definition, Item, Page


@dataclass(frozen=True)
class Problem:
    kind: str        # missing | check | action
    item_id: str
    file_uid: str
    message: str
    page_id: str


@dataclass(frozen=True)
class FileRef:
    uid: str
    name: str


@dataclass
class PageStatus:
    page_id: str
    file_uid: str
    required: int
    answered: int

    @property
    def state(self) -> str:
        if self.required == 0 or self.answered >= self.required:
            return "complete"
        return "in_progress" if self.answered else "not_started"


def scope_values(values: Mapping[str, Mapping[str, Any]], uid: str) -> dict[str, Any]:
    """Values visible from a scope: a per-file scope also sees the 評価書-wide answers (for skip rules)."""
    if not uid:
        return dict(values.get("", {}))
    return {**values.get("", {}), **values.get(uid, {})}


def _scopes(d: Definition, files: list[FileRef]) -> list[tuple[Page, str, str]]:
    out: list[tuple[Page, str, str]] = []
    for page in d.pages:
        if page.scope == "file":
            out.extend((page, f.uid, f.name) for f in files)
        else:
            out.append((page, "", ""))
    return out


def evaluate(
    d: Definition, values: Mapping[str, Mapping[str, Any]], files: list[FileRef], *,
    prefill: Mapping[str, Mapping[str, Any]] | None = None,
    actions: Mapping[tuple[str, str], Mapping[str, Any]] | None = None, today: date, checks: bool = True,
    deferred: frozenset[str] = frozenset(),
) -> tuple[list[Problem], list[PageStatus]]:
    """All problems (missing required items, failed checks, issues without actions) and per-page counts.

    `deferred`: fill_from prefixes (e.g. "comment.") whose procedure step has not closed yet; those items are
    filled by the procedure later and are not required until then.
    """
    prefill, actions = prefill or {}, actions or {}
    problems: list[Problem] = []
    statuses: list[PageStatus] = []
    for page, uid, fname in _scopes(d, files):
        vals = scope_values(values, uid)
        where = f"【{fname}】" if fname else ""
        required = answered = 0
        for item in page.walk():
            if not item.answerable or item.readonly or skip_reason(d, item.id, vals):
                continue
            if item.fill_from and any(item.fill_from.startswith(p) for p in deferred):
                continue
            value = vals.get(item.id)
            if item.required:
                required += 1
                if empty(item, value):
                    problems.append(Problem("missing", item.id, uid, f"{where}{_path(d, item)}が未記入です。", page.id))
                else:
                    answered += 1
            if item.type == "group" and value:
                problems.extend(_group_rows(d, item, value, uid, where, page.id, vals))
            if asks_for_action(item) and value == item.issue_choice:
                act = actions.get((uid, item.id))
                if not act or not (act.get("content") and act.get("owner") and act.get("due_on")):
                    problems.append(Problem("action", item.id, uid,
                                            f"{where}{_path(d, item)}が「{item.issue_choice}」ですが、改善策(内容・担当・期限)が"
                                            "登録されていません。", page.id))
        statuses.append(PageStatus(page.id, uid, required, answered))
    if checks:
        problems.extend(_checks(d, values, files, prefill, today))
    return problems, statuses


def _group_rows(d: Definition, group: Item, rows: list[dict[str, Any]], uid: str, where: str, page_id: str,
                vals: Mapping[str, Any]) -> list[Problem]:
    out = []
    for n, row in enumerate(rows, 1):
        row_vals = {**vals, **row}  # a row's fields may depend on each other (⑦再委託の有無 → ⑧⑨)
        for child in group.children:
            if skip_reason(d, child.id, row_vals):
                continue
            if child.required and child.answerable and not child.readonly and empty(child, row.get(child.id)):
                out.append(Problem("missing", group.id, uid,
                                   f"{where}{_path(d, group)}の{row_label(group, n)}の「{child.label}」が未記入です。", page_id))
    return out


def item_path(d: Definition, item: Item) -> str:
    """How the official tables cite an item: 「Ⅱ 3.①入手元」."""
    return _path(d, item)


def _path(d: Definition, item: Item) -> str:
    parts = [item.display]
    node = d.parent_of(item.id)
    while node is not None:
        if node.number:
            parts.append(node.number.rstrip(":："))
        node = d.parent_of(node.id)
    section = d.section_of(item.id)
    head = f"{section.number} " if section.number else f"{section.title} "
    return head + "".join(reversed(parts[1:])) + parts[0]


def _checks(d: Definition, values: Mapping[str, Mapping[str, Any]], files: list[FileRef],
            prefill: Mapping[str, Mapping[str, Any]], today: date) -> list[Problem]:
    out = []
    for check in d.manifest.checks:
        section = d.section_of(check.item)
        scopes = [(f.uid, f"【{f.name}】") for f in files] if section.scope == "file" else [("", "")]
        item = d.item(check.item)
        page_id = d.page_of(check.item).id
        for uid, where in scopes:
            vals = scope_values(values, uid)
            if skip_reason(d, check.item, vals) and check.kind != "no_rows_when":
                continue
            v = vals.get(check.item)
            when = check.when is None or holds(check.when, vals)
            failed = False
            if check.kind == "rows_when":
                failed = when and not v
            elif check.kind == "no_rows_when":
                failed = when and bool(v)
            elif check.kind == "requires_when":
                failed = when and empty(item, v)
            elif check.kind == "matches_prefill":
                expected = (prefill.get(uid) or {}).get(check.item)
                failed = expected not in (None, "") and not empty(item, v) and v != expected
            elif check.kind == "not_future":
                failed = bool(v) and isinstance(v, str) and v > today.isoformat()
            if failed:
                out.append(Problem("check", check.item, uid, f"{where}{check.message}", page_id))
    return out


def percent(statuses: list[PageStatus]) -> int:
    req = sum(s.required for s in statuses)
    ans = sum(min(s.answered, s.required) for s in statuses)
    return 100 if req == 0 else int(ans * 100 / req)
