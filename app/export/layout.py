"""Print metrics shared by the model builder and both renderers (Word for editing, ODF for the PDF): fonts, sizes
and the estimate of how many lines a table cell prints."""
from __future__ import annotations

import math
from collections.abc import Sequence

from app.export.model import Cell

MINCHO = "ＭＳ 明朝"
GOTHIC = "ＭＳ ゴシック"
BODY_PT = 10.5
CELL_PADDING_MM = 3.8          # Word's default left + right cell margins (0.19 cm each)
PT_MM = 0.3528
ROW_KEEP_LINES = 40            # a row up to this many lines never splits across pages (a page holds about 55)
MAX_PICTURE_MM = 220.0         # a picture taller than this (portrait A4 text area ~247 mm) is scaled down


def width_units(text: str) -> float:
    """Printed width in em: full-width characters 1, ASCII half (MS/IPAex 明朝 metrics, rounded up)."""
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


def cell_lines(c: Cell, width_mm: float) -> int:
    """Estimated printed lines of a cell (line breaks included)."""
    total = 0
    for p in c.blocks:
        per_line = max(1.0, (width_mm - CELL_PADDING_MM) / ((p.size_pt or BODY_PT) * PT_MM))
        for line in p.text.split("\n"):
            total += max(1, math.ceil(width_units(line) / per_line))
    return total


def row_keeps_together(row: Sequence[Cell], widths_mm: Sequence[float]) -> bool:
    """Rows do not split across pages unless a row is longer than most of a page."""
    col, lines = 0, 0
    for c in row:
        span = max(1, min(c.span, len(widths_mm) - col))
        lines = max(lines, cell_lines(c, sum(widths_mm[col:col + span])))
        col += span
    return lines <= ROW_KEEP_LINES
