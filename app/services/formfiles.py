"""Reading an official 様式 file into rows of cells for app/domain/formverify.py.

.docx: paragraphs and table rows in document order (a merged cell once, nested tables after their row);
.xlsx: every sheet, row by row; .txt: `pdftotext -layout` output (columns split at two or more spaces; a wrapped
label is joined when aligning, see formverify.join_wrapped). Anything else, an oversize file or a file
that does not open is refused with a Japanese message (FormFileError).
"""
from __future__ import annotations

import io
import re
import zipfile

Rows = list[tuple[str, list[str]]]
SUFFIXES = (".docx", ".xlsx", ".txt")
MAX_BYTES = 10 * 1024 * 1024          # the file itself
MAX_UNPACKED = 100 * 1024 * 1024      # .docx / .xlsx: the unpacked parts together (zip bombs)


class FormFileError(ValueError):
    """The file cannot be read as a 様式 file (type, size, content): the message is for the user."""


def read_rows(name: str, data: bytes, *, max_bytes: int = MAX_BYTES) -> Rows:
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in SUFFIXES:
        raise FormFileError("照合できるのは Word(.docx)、Excel(.xlsx)、pdftotext -layout のテキスト(.txt)だけです。")
    if len(data) > max_bytes:
        raise FormFileError(f"ファイルが大きすぎます(上限 {max_bytes // (1024 * 1024)}MB)。")
    if not data:
        raise FormFileError("ファイルが空です。")
    if suffix == ".txt":
        return text_rows(data)
    _check_zip(data)
    try:
        return docx_rows(data) if suffix == ".docx" else xlsx_rows(data)
    except FormFileError:
        raise
    except Exception:
        kind = "Word" if suffix == ".docx" else "Excel"
        raise FormFileError(f"{kind} ファイルとして読み込めません(壊れているか、形式が違います)。") from None


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            total = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise FormFileError("Word / Excel ファイルとして読み込めません(壊れているか、形式が違います)。") from None
    if total > MAX_UNPACKED:
        raise FormFileError("ファイルの展開後の大きさが上限を超えています。")


# ---------------------------------------------------------------- .docx

def docx_rows(data: bytes) -> Rows:
    from docx import Document
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

    doc = Document(io.BytesIO(data))
    rows: Rows = []
    counter = {"table": 0, "para": 0}

    def table(tbl: Table) -> None:
        counter["table"] += 1
        t = counter["table"]
        for r, row in enumerate(tbl.rows, start=1):
            cells, nested = [], []
            for tc in row._tr.tc_lst:      # each physical cell once: a horizontal merge is one w:tc
                if tc.vMerge == "continue":  # a vertical merge: the text is in the cell above
                    continue
                cell = _Cell(tc, tbl)
                cells.append("\n".join(p.text for p in cell.paragraphs))
                nested.extend(cell.tables)
            rows.append((f"表{t} {r}行", cells))
            for inner in nested:
                table(inner)

    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            counter["para"] += 1
            text = Paragraph(child, doc).text
            if text.strip():
                rows.append((f"段落{counter['para']}", [text]))
        elif tag == "tbl":
            table(Table(child, doc))
    return rows


# ---------------------------------------------------------------- .xlsx

def xlsx_rows(data: bytes) -> Rows:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a dependency of the project
        raise FormFileError("Excel ファイルを読むためのライブラリ(openpyxl)がありません。") from None
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows: Rows = []
    try:
        for ws in wb.worksheets:
            for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [str(v) for v in values if v is not None and str(v).strip()]
                if cells:
                    rows.append((f"{ws.title} {r}行", cells))
    finally:
        wb.close()
    return rows


# ---------------------------------------------------------------- pdftotext -layout

_COLUMN_GAP = re.compile(r"[ \u3000]{2,}|\t")


def text_rows(data: bytes) -> Rows:
    """A line is a row; two or more spaces separate its cells (a wrapped label is joined when aligning)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormFileError("テキストファイルは UTF-8 で保存してください(pdftotext -enc UTF-8 -layout)。") from None
    if "\x00" in text:
        raise FormFileError("テキストファイルとして読み込めません。")
    rows: Rows = []
    for n, line in enumerate(text.replace("\f", "\n").splitlines(), start=1):
        cells = [c.strip() for c in _COLUMN_GAP.split(line) if c.strip()]
        if cells:
            rows.append((f"{n}行", cells))
    return rows
