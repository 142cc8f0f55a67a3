"""Official-layout 様式 files built from a definition, for the `spia forms verify` tests.

The layout of the PPC's blank 様式: the title, then per section its heading and a table whose rows are
number | label | choices (「＜選択肢＞」 and 1) 2) … one a line). Variants change the definition's wording on the way:
`relabel` {item id: new label}, `drop` {item ids}, `add_after` {item id: (number, label)}.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.forms import Definition
from app.domain.formverify import Expected, expected_entries


@dataclass
class Variant:
    relabel: dict[str, str] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)
    add_after: dict[str, tuple[str, str]] = field(default_factory=dict)


def blocks(d: Definition, v: Variant | None = None) -> list[tuple[str, list[tuple[str, str, tuple[str, ...] | None]]]]:
    """[(heading paragraph, [(number, label, choices), …]), …]; the first block is the title (no rows)."""
    v = v or Variant()
    out: list = []
    for e in expected_entries(d):
        if e.key == "title":
            out.append((v.relabel.get("title", e.label), []))
            continue
        if e.key.startswith(("section:", "toc:", "item_list")):
            if e.key not in v.drop:
                label = v.relabel.get(e.key.replace("toc:", "section:"), e.label)  # the 項目一覧 lists the heading
                out.append((f"{e.number} {label}".strip(), []))
            continue
        if not out or (len(out) == 1):
            out.append(("", []))  # the cover: a table without a heading
        rows = out[-1][1]
        if e.key not in v.drop:
            rows.append((e.number, v.relabel.get(e.key, e.label), e.choices))
        if e.key in v.add_after:
            rows.append((*v.add_after[e.key], None))
    return out


def _choice_text(choices: tuple[str, ...] | None) -> str:
    return "＜選択肢＞\n" + "\n".join(f"{i}) {c}" for i, c in enumerate(choices, start=1)) if choices else ""


def build_docx(d: Definition, v: Variant | None = None) -> bytes:
    from docx import Document

    doc = Document()
    for heading, rows in blocks(d, v):
        if heading:
            doc.add_paragraph(heading)
        if rows:
            table = doc.add_table(rows=0, cols=3)
            table.style = "Table Grid"
            for number, label, choices in rows:
                cells = table.add_row().cells
                cells[0].text, cells[1].text, cells[2].text = number, label, _choice_text(choices)
            doc.add_paragraph("")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def build_xlsx(d: Definition, v: Variant | None = None) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "様式"
    for heading, rows in blocks(d, v):
        if heading:
            ws.append([heading])
        for number, label, choices in rows:
            ws.append([number or None, label, _choice_text(choices) or None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def build_txt(d: Definition, v: Variant | None = None, *, wrap: int = 18) -> bytes:
    """What `pdftotext -layout` prints for the table layout: columns at fixed places, long labels wrapped."""
    lines: list[str] = []
    for heading, rows in blocks(d, v):
        if heading:
            lines += [heading, ""]
        for number, label, choices in rows:
            left = _wrap(label, wrap)
            right = _choice_text(choices).split("\n") if choices else []
            for k in range(max(len(left), len(right))):
                num = number if k == 0 else ""
                lab = left[k] if k < len(left) else ""
                cho = right[k] if k < len(right) else ""
                lines.append(f"  {num}{' ' * (12 - _width(num))}{lab}{' ' * (2 * wrap + 4 - _width(lab))}{cho}".rstrip())
            lines.append("")
    return ("\n".join(lines) + "\n").encode("utf-8")


def pdftotext_of_docx(data: bytes, tmp: Path) -> bytes | None:
    """Convert with LibreOffice and run the real `pdftotext -layout` (None when either is not installed)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftotext"):
        return None
    src = tmp / "yoshiki.docx"
    src.write_bytes(data)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp), str(src)], check=True, capture_output=True, timeout=180)
    subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(tmp / "yoshiki.pdf"), str(tmp / "yoshiki.txt")],
                   check=True, capture_output=True, timeout=60)
    return (tmp / "yoshiki.txt").read_bytes()


def first_numbered_item(d: Definition, number_prefix: str = "") -> Expected:
    """A numbered item of the first body section (the one the variants change)."""
    for e in expected_entries(d):
        if not d.has(e.key) or not e.number or d.section_of(e.key).kind == "cover":
            continue
        if e.number.startswith(number_prefix):
            return e
    raise LookupError(number_prefix)
