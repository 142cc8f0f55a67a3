"""The one redaction step for published artefacts (案・公表用 and everything printed for the public). Pure.

Driven by the 非公表 flags: a 非公表 item prints 「(非公表)」 wherever its text would appear — the body, 変更箇所
rows (before *and* after, so a judgement change reveals neither value), the 新旧対照表 and the data embedded in the
file. The 提出用 (full) edition is internal and keeps everything.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

WITHHELD = "(非公表)"
PUBLIC_EDITIONS = ("draft", "public")
MIN_LEAK_LEN = 2  # shorter answer strings (「1」「有」) are not searched for inside hand-written rows


def is_public(edition: str) -> bool:
    return edition in PUBLIC_EDITIONS


def withheld_keys(answers: Iterable[tuple[str, str, bool]]) -> set[tuple[str, str]]:
    """{(file uid, item id)} of the answers (file uid, item id, withheld) flagged 非公表."""
    return {(uid, item) for uid, item, withheld in answers if withheld}


def text_strings(value: Any) -> set[str]:
    """Every string inside an answer value (lists, group rows, dicts), stripped; for searching leaks."""
    out: set[str] = set()
    if isinstance(value, str):
        s = value.strip()
        if len(s) >= MIN_LEAK_LEN:
            out.add(s)
            out.update(line.strip() for line in s.splitlines() if len(line.strip()) >= MIN_LEAK_LEN)
    elif isinstance(value, dict):
        for v in value.values():
            out |= text_strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            out |= text_strings(v)
    return out


def row_keys(item_id: str, file_uid: str, key: str) -> set[tuple[str, str]]:
    """The (file uid, item id) pairs a 変更箇所 row speaks of: its own item and, for merged rows, every merged key.

    Diff keys are 'file uid|item id|row id|child id' (app.domain.changes.Change.key).
    """
    out = {(file_uid or "", item_id)} if item_id else set()
    raw = key[7:] if key.startswith("merged|") else key
    for k in raw.split("||") if raw else []:
        parts = k.split("|")
        if len(parts) >= 2 and parts[1]:
            out.add((parts[0], parts[1]))
    return out


def change_row_text(*, item_id: str, file_uid: str, key: str, before: str, after: str,
                    withheld: set[tuple[str, str]], secrets: Collection[str] = frozenset()) -> tuple[str, str]:
    """(before, after) as a public document prints them.

    A row about a 非公表 item prints 「(非公表)」 on both sides; a hand-written or merged row that quotes the text
    of a 非公表 answer is withheld too.
    """
    hit = bool(row_keys(item_id, file_uid, key) & withheld) or any(
        s in before or s in after for s in secrets)
    if hit:
        return (WITHHELD if before else ""), (WITHHELD if after else "")
    return before, after


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The embedded data of a public edition: only what the edition prints.

    No 非公表 values or reasons, no improvement actions (content, owner, due date) and no 重要な変更 decisions.
    """
    out = {k: v for k, v in payload.items() if k not in ("actions", "change_classes")}
    answers = []
    for e in payload.get("answers", []):
        e = dict(e)
        if e.get("withheld"):
            e["value"], e["withheld_reason"] = None, ""
        answers.append(e)
    out["answers"] = answers
    if "figures" in payload:  # only the pictures a remaining answer shows (a 非公表 diagram's picture goes with it)
        shown = {s for e in answers for s in text_strings(e.get("value"))}
        out["figures"] = {sha: data for sha, data in (payload.get("figures") or {}).items() if sha in shown}
    return out


MIN_SCRUB_LEN = 4  # free text (opinions, responses, minutes) is scrubbed of 非公表 answer strings this long or longer


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Free text written for the public with every quoted 非公表 answer string replaced by 「(非公表)」."""
    for s in sorted((s for s in secrets if len(s) >= MIN_SCRUB_LEN), key=len, reverse=True):
        if s in text:
            text = text.replace(s, WITHHELD)
    return text
