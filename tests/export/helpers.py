"""Reading exported documents back: python-docx for content/order/styles, the zip for leak checks."""
from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.oxml.ns import qn


def open_docx(data: bytes):
    return Document(io.BytesIO(data))


def body_sequence(doc) -> list[tuple[str, str]]:
    """(style name, text) for every paragraph and table cell in body order."""
    out = []
    body = doc.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            from docx.text.paragraph import Paragraph

            p = Paragraph(child, doc)
            out.append((p.style.name, p.text))
        elif child.tag == qn("w:tbl"):
            from docx.table import Table

            t = Table(child, doc)
            seen = set()
            for row in t.rows:
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    for p in cell.paragraphs:
                        out.append((p.style.name, p.text))
    return out


def all_text(data: bytes) -> str:
    """Every XML part of the package, decoded (document, headers, footers, core props, custom parts)."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            parts.append(z.read(name).decode("utf-8", errors="replace"))
    return "\n".join(parts)


def east_asia_fonts(doc) -> set[str | None]:
    fonts = set()
    for r in doc.element.body.iter(qn("w:r")):
        rpr = r.find(qn("w:rPr"))
        rfonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
        fonts.add(rfonts.get(qn("w:eastAsia")) if rfonts is not None else None)
    return fonts
