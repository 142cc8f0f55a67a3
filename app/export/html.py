"""An ExportDoc as simple HTML blocks for read-only viewing in the browser (council view of a snapshot)."""
from __future__ import annotations

from app.export.model import ExportDoc, PageBreak, Para, Table

HEADING_TAG = {"Title": "h2", "Heading 1": "h2", "Heading 2": "h3", "Heading 3": "h4"}


def blocks(doc: ExportDoc) -> list[dict]:
    """[{kind: heading|para|bullet|table, ...}] — plain data, escaped by the template."""
    out = []
    for b in doc.blocks:
        if isinstance(b, PageBreak):
            continue
        if isinstance(b, Para):
            out.append(_para(b))
        elif isinstance(b, Table):
            out.append({"kind": "table", "rows": [[{"paras": [_para(p) for p in c.blocks], "shade": c.shade,
                                                    "span": c.span} for c in row] for row in b.rows]})
    return out


def _para(p: Para) -> dict:
    if p.picture is not None:  # the page's CSP allows data: images; the picture is already a re-encoded PNG
        import base64

        src = "data:image/png;base64," + base64.b64encode(p.picture.data).decode("ascii")
        return {"kind": "figure", "src": src, "alt": p.picture.alt, "text": ""}
    if p.style in HEADING_TAG:
        return {"kind": "heading", "tag": HEADING_TAG[p.style], "text": p.text}
    if p.style == "List Bullet":
        return {"kind": "bullet", "text": p.text}
    return {"kind": "para", "text": p.text, "bold": any(r.bold for r in p.runs), "align": p.align}
