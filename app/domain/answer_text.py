"""Plain-text rendering of answers (conflict view, 変更箇所, exports of other documents). Pure."""
from __future__ import annotations

from typing import Any

from app.domain.answers import row_label
from app.domain.forms import AUDIENCES, Item


def answer_text(item: Item, value: Any, *, empty: str = "") -> str:
    if value is None or value == "" or value == [] or value == {}:
        return empty
    t = item.type
    if t in ("text", "longtext", "ref", "choice", "judgement", "date"):
        return str(value)
    if t == "number":
        return f"{value}{item.unit}"
    if t == "multi":
        return "、".join(value) or empty
    if t == "multi_text":
        parts = []
        for label in value.get("checked", []):
            text = value.get("texts", {}).get(label, "")
            parts.append(f"{label}({text})" if text else label)
        return "、".join(parts) or empty
    if t == "measures":
        return measures_text(value) or empty
    if t == "figure":
        return figures_text(value) or empty
    if t == "group":
        lines = []
        for n, row in enumerate(value, 1):
            lines.append(f"【{row_label(item, n)}】")
            for child in item.children:
                v = answer_text(child, row.get(child.id), empty="-")
                lines.append(f"{child.number}{child.label}: {v}")
        return "\n".join(lines) or empty
    return str(value)


def measures_text(value: dict) -> str:
    """The audiences that have measures, each under its 【heading】, one 「・」 line per measure; "" when none."""
    lines = []
    for aud, label in AUDIENCES.items():
        entries = [str(m.get("text", "")).strip() for m in value.get(aud, []) if isinstance(m, dict)]
        entries = [t for t in entries if t]
        if entries:
            lines.append(f"【{label}】")
            lines.extend(f"・{t}" for t in entries)
    return "\n".join(lines)


def figures_text(value: Any) -> str:
    """One line per figure, 「図1 表題」; a frozen version's old text reference prints as it was."""
    if not isinstance(value, list):
        return str(value or "")
    return "\n".join(f"図{n} {f.get('caption') or '(表題なし)'}" for n, f in enumerate(value, 1) if isinstance(f, dict))
