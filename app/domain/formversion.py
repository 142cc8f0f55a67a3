"""Whether a 様式 version was in force on the 公表日 of an assessment version (pure).

A 評価書 prints on its cover the 版 label of the 様式 it was written on; a version whose `effective_from` is after
the 公表日 would print a 様式 that was not in force yet. The 公表 transition refuses it and the editor warns.
"""
from __future__ import annotations

from datetime import date

from app.domain.wareki import wareki


def not_in_force(label: str, effective_from: date | None, published_on: date | None, today: date) -> str | None:
    """None when the 様式 `label` (in force from `effective_from`) may be printed on a 評価書 published on
    `published_on`; while the 公表日 is not known yet, today stands for it. Else the Japanese reason naming both dates."""
    if effective_from is None:
        return None
    day = published_on or today
    if day >= effective_from:
        return None
    when = f"公表日({wareki(day)})" if published_on else f"本日({wareki(day)}、公表日は未定)"
    return (f"この版が使う様式 {label} の適用開始日は{wareki(effective_from)}で、{when}より後です。"
            "公表日の時点で適用されている様式の版で作成してください。")
