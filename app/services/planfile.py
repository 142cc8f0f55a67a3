"""Reading a 計画管理書 file: .xlsx (openpyxl) or .csv (UTF-8, else Shift_JIS/cp932) → its header row and rows
of text. Macro-enabled, password-protected, corrupt, oversized or header-less files are refused with a Japanese
message (PlanFileError) before anything is written."""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain import plansheet as ps

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED = 50 * 1024 * 1024
MAX_ROWS = 3000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted OOXML file (or an old .xls) is an OLE container


class PlanFileError(ValueError):
    """The file cannot be read as a 計画管理書: the message is for the user; nothing was written."""


@dataclass
class Table:
    file_name: str
    headers: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]

    def to_json(self) -> dict[str, Any]:
        return {"n": self.file_name, "h": self.headers, "l": self.header_line, "r": self.rows}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Table:
        return cls(str(data["n"]), [str(h) for h in data["h"]], int(data["l"]),
                   [(int(n), [str(c) for c in cells]) for n, cells in data["r"]])


def read_table(name: str, data: bytes, *, max_bytes: int = MAX_BYTES) -> Table:
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in (".xlsm", ".xltm", ".xlsb"):
        raise PlanFileError("マクロを含むブック(.xlsm など)は取り込めません。マクロなしの Excel ブック(.xlsx)で保存し直してください。")
    if suffix == ".xls":
        raise PlanFileError("古い形式の Excel ファイル(.xls)は取り込めません。Excel ブック(.xlsx)で保存し直してください。")
    if suffix not in (".xlsx", ".csv"):
        raise PlanFileError("取り込めるのは Excel ブック(.xlsx)と CSV(.csv、UTF-8 または Shift_JIS)だけです。")
    if len(data) > max_bytes:
        raise PlanFileError(f"ファイルが大きすぎます(上限 {max_bytes / (1024 * 1024):g}MB)。")
    if not data.strip():
        raise PlanFileError("ファイルが空です。")
    grid = _xlsx_grid(data) if suffix == ".xlsx" else _csv_grid(data)
    best = max(range(min(len(grid), 20)), key=lambda i: _header_score(grid[i]), default=None)
    if best is None or _header_score(grid[best]) < 2:
        raise PlanFileError("見出し行(評価書番号、事務の名称、公表日 など)が見つかりません。先頭の20行以内に見出しを置いてください。")
    body = [(n + 1, cells) for n, cells in enumerate(grid) if n > best and any(c.strip() for c in cells)]
    if len(body) > MAX_ROWS:
        raise PlanFileError(f"行が多すぎます(上限 {MAX_ROWS}行)。")
    return Table(name.rsplit("/", 1)[-1][:200], grid[best], best + 1, body)


def _header_score(cells: list[str]) -> int:
    """plansheet.header_score of a row of text (it takes a list[object], which a list[str] is not to mypy)."""
    return ps.header_score(list[object](cells))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()[:2000]


def _xlsx_grid(data: bytes) -> list[list[str]]:
    if data[:8] == OLE_MAGIC:
        raise PlanFileError("パスワードで保護されたファイルは取り込めません。パスワードを解除して保存し直してください。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            unpacked = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise PlanFileError("Excel ファイルとして読み込めません(壊れているか、形式が違います)。") from None
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise PlanFileError("マクロを含むブックは取り込めません。マクロなしの Excel ブック(.xlsx)で保存し直してください。")
    if unpacked > MAX_UNPACKED:
        raise PlanFileError("ファイルの展開後の大きさが上限を超えています。")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise PlanFileError("Excel ファイルとして読み込めません(壊れているか、形式が違います)。") from None
    try:
        for ws in wb.worksheets:  # the first sheet that has a header row
            grid = []
            for values in ws.iter_rows(values_only=True):
                grid.append([_cell(v) for v in values])
                if len(grid) > MAX_ROWS + 20:
                    raise PlanFileError(f"行が多すぎます(上限 {MAX_ROWS}行)。")
            if any(_header_score(r) >= 2 for r in grid[:20]):
                return grid
    except PlanFileError:
        raise
    except Exception:
        raise PlanFileError("Excel ファイルとして読み込めません(壊れているか、形式が違います)。") from None
    finally:
        wb.close()
    return []


def _csv_grid(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PlanFileError("CSV の文字コードを判別できません。UTF-8 または Shift_JIS で保存してください。")
    if "\x00" in text:
        raise PlanFileError("CSV ファイルとして読み込めません(バイナリのファイルです)。")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error:
        raise PlanFileError("CSV ファイルとして読み込めません(引用符の対応が崩れています)。") from None
