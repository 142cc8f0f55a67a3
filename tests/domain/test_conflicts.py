"""Issue 14 item 11: a refused save says who saved first and when (pure wording)."""
from __future__ import annotations

from datetime import UTC, datetime

from app.domain import conflicts
from app.domain.conflicts import Saver

AT = datetime(2026, 12, 4, 5, 5, tzinfo=UTC)  # 14:05 in Japan


def test_when_is_japan_time_in_wareki():
    assert conflicts.when(AT) == "令和8年12月4日 14:05"
    assert conflicts.when(AT.replace(tzinfo=None)) == "令和8年12月4日 14:05", "naive datetimes are UTC (the database)"


def test_same_user_is_told_it_was_another_window():
    me = Saver(7, "山田 花子", AT)
    assert conflicts.saved_by(me, 7) == "あなたが別の画面で 令和8年12月4日 14:05 に保存しています"
    assert conflicts.heading(me, 7) == "このページは別の画面で先に保存されています"
    assert conflicts.stale_message("この改善策", me, 7, fallback="x") == \
        "この改善策は、あなたが別の画面で 令和8年12月4日 14:05 に保存しています。"


def test_someone_else_is_named():
    other = Saver(8, "山田 花子", AT)
    assert conflicts.saved_by(other, 7) == "山田 花子さんが 令和8年12月4日 14:05 に保存しています"
    assert conflicts.heading(other, 7) == "山田 花子さんが先に保存しました"
    assert "他の利用者" not in conflicts.stale_message("この部署", other, 7, fallback="x")


def test_unknown_saver_keeps_the_form_wording():
    assert conflicts.saved_by(None, 7) == ""
    assert conflicts.stale_message("この部署", None, 7, fallback="他の管理者により先に変更されています。") == \
        "他の管理者により先に変更されています。"
    assert conflicts.heading(None, 7) == "他の利用者が先に保存しました"
    assert conflicts.saved_by(Saver(8, "", AT), 7) == "他の利用者が 令和8年12月4日 14:05 に保存しています"
