"""Who saved first, said to the person whose save was refused (409): the same user in another window reads
「あなたが別の画面で 令和8年12月4日 14:05 に保存しています」, someone else 「山田 花子さんが … に保存しています」.

Pure: the caller passes the saver (from the row's updated_by/updated_at or the audit log), the current user's id
and the time already converted to Japan time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.wareki import TOKYO, wareki


@dataclass(frozen=True)
class Saver:
    """The last save of a row or editor page: by whom (None: unknown, e.g. the CLI) and when."""

    user_id: int | None
    name: str = ""
    at: datetime | None = None


def when(at: datetime) -> str:
    """令和8年12月4日 14:05 (Japan time; a naive datetime is UTC, as the database stores it)."""
    if at.tzinfo is None:
        from datetime import UTC

        at = at.replace(tzinfo=UTC)
    local = at.astimezone(TOKYO)
    return f"{wareki(local.date())} {local:%H:%M}"


def is_me(saver: Saver | None, me_id: int | None) -> bool:
    return saver is not None and saver.user_id is not None and saver.user_id == me_id


def saved_by(saver: Saver | None, me_id: int | None) -> str:
    """「あなたが別の画面で … に保存しています」 / 「山田 花子さんが … に保存しています」; "" when nobody is known."""
    if saver is None or saver.at is None or (saver.user_id is None and not saver.name):
        return ""
    stamp = when(saver.at)
    if is_me(saver, me_id):
        return f"あなたが別の画面で {stamp} に保存しています"
    who = f"{saver.name}さん" if saver.name else "他の利用者"
    return f"{who}が {stamp} に保存しています"


def heading(saver: Saver | None, me_id: int | None) -> str:
    """The title of the editor's conflict panel."""
    if is_me(saver, me_id):
        return "このページは別の画面で先に保存されています"
    if saver is not None and saver.name:
        return f"{saver.name}さんが先に保存しました"
    return "他の利用者が先に保存しました"


def stale_message(what: str, saver: Saver | None, me_id: int | None, *, fallback: str) -> str:
    """The 409 message of an optimistic-locked form: 「この改善策は、あなたが別の画面で … に保存しています。」;
    `fallback` (the form's own wording) when the last save is not known."""
    said = saved_by(saver, me_id)
    return f"{what}は、{said}。" if said else fallback
