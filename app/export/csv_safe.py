"""The only CSV writer of the product: every cell is neutralised against formula injection.

A spreadsheet treats a cell that starts with = + - @ (or their full-width forms, which Excel folds), a tab or
a line break as a formula. Such text cells get a leading apostrophe; real numbers are written as they are.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value: Any) -> str:
    """The cell as text, prefixed with ' when a spreadsheet could read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return str(value)  # a real number (even a negative one) is data, not a formula
    text = str(value)
    return "'" + text if text.startswith(TRIGGERS) else text


def to_csv_bytes(header: Iterable[Any], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> bytes:
    """CSV (CRLF, UTF-8, with a BOM so that Excel opens it as UTF-8) with every cell neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in (header, *rows):
        writer.writerow([neutralise(c) for c in row])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")
