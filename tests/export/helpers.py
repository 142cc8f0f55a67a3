"""Reading exported documents back: python-docx for content/order/styles, the zip for leak checks."""
from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.oxml.ns import qn


def open_docx(data: bytes):
    return Document(io.BytesIO(data))


def _style_names(doc) -> dict[str | None, str]:
    names = {None: "Normal"}
    for style in doc.styles.element.iterchildren(qn("w:style")):
        name = style.find(qn("w:name"))
        names[style.get(qn("w:styleId"))] = name.get(qn("w:val")) if name is not None else ""
    # python-docx reports built-in names with their UI casing ("heading 1" -> "Heading 1")
    return {k: (v[0].upper() + v[1:] if v else v) for k, v in names.items()}


def _para(p_el, names) -> tuple[str, str]:
    ppr = p_el.find(qn("w:pPr"))
    style = ppr.find(qn("w:pStyle")) if ppr is not None else None
    style_id = style.get(qn("w:val")) if style is not None else None
    text = []
    for node in p_el.iter(qn("w:t"), qn("w:tab"), qn("w:br")):
        if node.tag == qn("w:t"):
            text.append(node.text or "")
        elif node.tag == qn("w:tab"):
            text.append("\t")
        elif node.get(qn("w:type")) != "page":
            text.append("\n")
    return names.get(style_id, style_id or "Normal"), "".join(text)


def body_sequence(doc) -> list[tuple[str, str]]:
    """(style name, text) for every paragraph and table cell in body order (each cell once)."""
    names = _style_names(doc)
    out = []
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            out.append(_para(child, names))
        elif child.tag == qn("w:tbl"):
            for tc in child.iter(qn("w:tc")):
                for p_el in tc.iterchildren(qn("w:p")):
                    out.append(_para(p_el, names))
    return out


def all_text(data: bytes) -> str:
    """Every part of the package, decoded (document, headers, footers, core props, custom parts)."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            parts.append(z.read(name).decode("utf-8", errors="replace"))
    return "\n".join(parts)


def _east_asia_of(element) -> str | None:
    rpr = element.find(qn("w:rPr")) if element is not None else None
    rfonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    if rfonts is None:
        return None
    assert rfonts.get(qn("w:eastAsiaTheme")) is None, "a theme font would win over the named font in Word"
    return rfonts.get(qn("w:eastAsia"))


def east_asia_fonts(doc) -> set[str | None]:
    """The east-Asian font each run is printed in, as Word resolves it: the run's own rFonts, else its paragraph
    style and the styles that one is based on, else the document defaults (None: no font named anywhere)."""
    root = doc.styles.element
    styles = {st.get(qn("w:styleId")): st for st in root.iterchildren(qn("w:style"))}
    defaults = root.find(qn("w:docDefaults"))
    default = _east_asia_of(defaults.find(qn("w:rPrDefault"))) if defaults is not None else None
    normal = next((sid for sid, st in styles.items()
                   if st.get(qn("w:type")) == "paragraph" and st.get(qn("w:default")) in ("1", "true")), None)

    def of_style(sid: str | None) -> str | None:
        seen = set()
        while sid and sid in styles and sid not in seen:
            seen.add(sid)
            font = _east_asia_of(styles[sid])
            if font:
                return font
            based = styles[sid].find(qn("w:basedOn"))
            sid = based.get(qn("w:val")) if based is not None else None
        return default

    fonts = set()
    for p in doc.element.body.iter(qn("w:p")):
        ppr = p.find(qn("w:pPr"))
        pstyle = ppr.find(qn("w:pStyle")) if ppr is not None else None
        style_font = of_style(pstyle.get(qn("w:val")) if pstyle is not None else normal)
        for r in p.iterchildren(qn("w:r")):
            fonts.add(_east_asia_of(r) or style_font)
    return fonts
