"""Issue 13 item 3: the PDF is printed from an OpenDocument rendering of the same document model as the Word file.

The .odt is read back and held against the .docx of the same demo 評価書: the same paragraphs and cells with the
same styles and text in the same order, headings as outline levels (the PDF's bookmarks), rows that keep together,
repeated header rows, shading, bold, the picture, the frame at the foot of the cover, page breaks, spaces and
control characters, page size and footer, file properties. A PDF through the service is converted from the .odt.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest

from app.export import odt
from app.export.model import Cell, ExportDoc, PageBreak, Para, Picture, Run, Table
from app.services import exports, pdf
from tests.export.helpers import body_sequence, open_docx
from tests.export.test_layout import FORMS, TODAY, demo_version

N = {"office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
     "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
     "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
     "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
     "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
     "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
     "xlink": "http://www.w3.org/1999/xlink",
     "dc": "http://purl.org/dc/elements/1.1/",
     "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
     "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"}


def q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{N[prefix]}}}{local}"


class Odt:
    """An .odt read back: its parts parsed, and what each paragraph style resolves to."""

    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.content = ET.fromstring(self.zip.read("content.xml"))
        self.styles = ET.fromstring(self.zip.read("styles.xml"))
        self.meta = ET.fromstring(self.zip.read("meta.xml"))
        self.auto = {s.get(q("style:name")): s for s in self.content.iter(q("style:style"))}
        self.named = {s.get(q("style:name")): s for s in self.styles.iter(q("style:style"))}

    def prop(self, style_name: str | None, kind: str, attr: str) -> str | None:
        """A property of an automatic style, else of the named style it is based on (as LibreOffice resolves it)."""
        while style_name:
            st = self.auto.get(style_name) or self.named.get(style_name)
            if st is None:
                return None
            props = st.find(q(f"style:{kind}"))
            if props is not None and props.get(q(attr)) is not None:
                return props.get(q(attr))
            style_name = st.get(q("style:parent-style-name"))
        return None

    def display(self, style_name: str | None) -> str:
        """The named style a paragraph prints in, under its Word name (Standard -> Normal)."""
        st = self.auto.get(style_name)
        if st is not None:
            style_name = st.get(q("style:parent-style-name"))
        named = self.named[style_name]
        return {"Standard": "Normal"}.get(style_name, named.get(q("style:display-name")) or style_name)

    def body(self):
        return self.content.find(q("office:body")).find(q("office:text"))


def _text(el) -> str:
    out = [el.text or ""]
    for child in el:
        if child.tag == q("text:line-break"):
            out.append("\n")
        elif child.tag == q("text:tab"):
            out.append("\t")
        elif child.tag == q("text:s"):
            out.append(" " * int(child.get(q("text:c"), "1")))
        elif child.tag == q("text:span"):
            out.append(_text(child))
        out.append(child.tail or "")
    return "".join(out)


def _para(doc: Odt, p) -> tuple[str, str]:
    box = p.find(f"{q('draw:frame')}/{q('draw:text-box')}")
    if box is not None:  # the frame at the foot of the cover: its paragraph is the printed one
        p = box[0]
    return doc.display(p.get(q("text:style-name"))), _text(p)


def odt_sequence(doc: Odt) -> list[tuple[str, str]]:
    """(style name, text) for every paragraph and table cell in body order, as body_sequence reads a .docx."""
    out = []
    for child in doc.body():
        if child.tag in (q("text:p"), q("text:h")):
            out.append(_para(doc, child))
        elif child.tag == q("table:table"):
            for cell in child.iter(q("table:table-cell")):
                out.extend(_para(doc, p) for p in cell if p.tag in (q("text:p"), q("text:h")))
    return out


def _odt_of(db, system, form: str, monkeypatch) -> bytes:
    """The .odt the service hands to LibreOffice for the PDF of a demo 評価書."""
    seen = {}

    def capture(document, exe, suffix=".docx"):
        seen["doc"], seen["suffix"] = document, suffix
        return b"%PDF-1.7 captured"
    monkeypatch.setattr(pdf, "convert", capture)
    monkeypatch.setattr(exports.shutil, "which", lambda name: "/usr/bin/soffice")
    v = demo_version(db, form)
    out = exports.export(db, actor=system, version_id=v.id, edition="full", fmt="pdf", today=TODAY)
    assert out.content == b"%PDF-1.7 captured" and seen["suffix"] == ".odt"
    return seen["doc"]


@pytest.mark.parametrize("form", FORMS)
def test_the_pdf_source_prints_what_the_word_file_prints(db, system, form, monkeypatch):
    v = demo_version(db, form)
    word = body_sequence(open_docx(exports.export(db, actor=system, version_id=v.id, edition="full",
                                                  today=TODAY).content))
    doc = Odt(_odt_of(db, system, form, monkeypatch))
    assert odt_sequence(doc) == word
    assert len(word) > 100


def test_the_demo_odt_carries_headings_rows_and_the_cover_frame(db, system, monkeypatch):
    doc = Odt(_odt_of(db, system, "full", monkeypatch))
    body = doc.body()
    headings = [(h.get(q("text:outline-level")), _text(h)) for h in body.iter(q("text:h"))]
    assert ("1", "項目一覧") in headings and any(level == "2" for level, _ in headings)
    rows = list(body.iter(q("table:table-row")))
    kept = [r for r in rows if doc.prop(r.get(q("table:style-name")), "table-row-properties", "fo:keep-together")
            == "always"]
    assert len(kept) > 0.9 * len(rows)
    shaded = [c for c in body.iter(q("table:table-cell"))
              if doc.prop(c.get(q("table:style-name")), "table-cell-properties", "fo:background-color") == "#e7e6e6"]
    assert shaded and all(doc.prop(c.get(q("table:style-name")), "table-cell-properties", "fo:border")
                          == "0.5pt solid #000000" for c in body.iter(q("table:table-cell")))
    bold = [s for s in body.iter(q("text:span"))
            if doc.prop(s.get(q("text:style-name")), "text-properties", "fo:font-weight") == "bold"]
    assert any(_text(s) == "評価実施機関名" for s in bold)
    frames = [f for f in body.iter(q("draw:frame")) if f.find(q("draw:text-box")) is not None]
    assert len(frames) == 1
    assert doc.prop(frames[0].get(q("draw:style-name")), "graphic-properties", "style:vertical-pos") == "bottom"
    assert re.fullmatch(r"\[.*様式.*\]", _text(frames[0].find(q("draw:text-box"))[0]))
    breaks = [p for p in body.iter(q("text:p"))
              if doc.prop(p.get(q("text:style-name")), "paragraph-properties", "fo:break-before") == "page"]
    assert breaks
    images = [f for f in body.iter(q("draw:frame")) if f.find(q("draw:image")) is not None]
    assert images, "(別添1) carries the demo's flow diagram"
    href = images[0].find(q("draw:image")).get(q("xlink:href"))
    assert doc.zip.read(href).startswith(b"\x89PNG")
    manifest = doc.zip.read("META-INF/manifest.xml").decode()
    assert href in manifest
    assert doc.zip.namelist()[0] == "mimetype" and doc.zip.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    assert doc.meta.find(f"{q('office:meta')}/{q('dc:title')}").text.startswith("住民基本台帳に関する事務")


def _tiny_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "PNG")
    return out.getvalue()


def _model(**kw) -> ExportDoc:
    blocks = [
        Para.of("見出し", "Heading 1", keep_with_next=True),
        Para([Run("  前に二つ空白 と  間に二つ\tタブ\n改行", bold=False), Run("太字", bold=True)], size_pt=12),
        PageBreak(),
        Table([[Cell([Para.of("項目")], shade=True), Cell([Para.of("値")])],
               [Cell([Para.of("結合")], span=2)],
               [Cell([Para.of("短い行")])]],
              widths_mm=[40.0, 130.0], header_rows=1),
        Para([], picture=Picture(_tiny_png(), 40, 20, 100.0, alt="図の説明")),
        Para.of("制御\x00文字\x07と\x1b", align="center"),
    ]
    base = dict(title="題名\x01", header_text="ヘッダー", blocks=blocks, author="しののめ市長",
                created=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    return ExportDoc(**{**base, **kw})


def test_text_tables_and_pages_of_a_small_model():
    doc = Odt(odt.render(_model()))
    seq = odt_sequence(doc)
    assert seq[0] == ("Heading 1", "見出し")
    assert seq[1] == ("Normal", "  前に二つ空白 と  間に二つ\tタブ\n改行太字")
    assert ("Normal", "制御文字と") in seq  # control characters never reach the XML
    body = doc.body()
    table = body.find(q("table:table"))
    header = table.find(q("table:table-header-rows"))
    assert header is not None and len(header) == 1  # the first row repeats on every page
    rows = list(table.iter(q("table:table-row")))
    assert [len(r) for r in rows] == [2, 2, 2]  # spanned: a covered cell; short: padded
    assert rows[1][0].get(q("table:number-columns-spanned")) == "2" and rows[1][1].tag == q("table:covered-table-cell")
    widths = [doc.prop(c.get(q("table:style-name")), "table-column-properties", "style:column-width")
              for c in table.iter(q("table:table-column"))]
    assert widths == ["40.00mm", "130.00mm"]
    frame = next(f for f in body.iter(q("draw:frame")) if f.find(q("draw:image")) is not None)
    assert (frame.get(q("svg:width")), frame.get(q("svg:height"))) == ("100.00mm", "50.00mm")
    layout = doc.styles.find(f".//{q('style:page-layout-properties')}")
    assert (layout.get(q("fo:page-width")), layout.get(q("fo:page-height"))) == ("210mm", "297mm")
    footer = doc.styles.find(f".//{q('style:footer')}")
    assert footer.find(f".//{q('text:page-number')}") is not None and footer.find(f".//{q('text:page-count')}") is None
    meta = doc.meta.find(q("office:meta"))
    assert meta.find(q("dc:title")).text == "題名"
    assert meta.find(q("dc:creator")).text == "しののめ市長"
    assert meta.find(q("meta:creation-date")).text == "2026-12-01T09:30:00"


def test_landscape_and_page_n_of_n():
    doc = Odt(odt.render(_model(landscape=True, footer="n_of_n")))
    layout = doc.styles.find(f".//{q('style:page-layout-properties')}")
    assert (layout.get(q("fo:page-width")), layout.get(q("fo:page-height"))) == ("297mm", "210mm")
    assert layout.get(q("style:print-orientation")) == "landscape"
    footer = doc.styles.find(f".//{q('style:footer')}")
    assert footer.find(f".//{q('text:page-count')}") is not None


def test_the_pdf_from_odt_has_the_pages_and_text_of_the_pdf_from_word(db, system):
    """LibreOffice prints the .odt and the .docx of the demo 全項目 alike: the same pages and the same words."""
    exe = shutil.which("soffice")
    if not exe or not shutil.which("pdftotext"):
        pytest.skip("LibreOffice (soffice) and poppler-utils (pdftotext) are needed")
    v = demo_version(db, "full")
    b = exports.bundle(db, actor=system, version_id=v.id, edition="full", embed_json=False)
    from app.export import assessment_doc
    from app.export.docx import render as render_docx

    model = assessment_doc.build(b, "full")
    from_word = pdf.convert(render_docx(model), exe, ".docx")
    from_odt = pdf.convert(odt.render(model), exe, ".odt")

    def pages_and_text(data: bytes) -> tuple[int, str]:
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        lines = [line.strip() for line in text.splitlines()]
        printed = [line for line in lines  # the header and the page numbers aside
                   if line and line != model.header_text and not re.fullmatch(r"-\s*\d+\s*-", line)]
        return text.count("\f"), "".join("".join(printed).split())

    (n_word, text_word), (n_odt, text_odt) = pages_and_text(from_word), pages_and_text(from_odt)
    assert abs(n_odt - n_word) <= 1, (n_odt, n_word)
    # every printed character (but "-": pdftotext sometimes reads a page number "- n -" into a neighbouring line)
    assert Counter(text_odt.replace("-", "")) == Counter(text_word.replace("-", ""))
    assert len(text_odt) > 10_000
