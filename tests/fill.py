"""Fill every answerable item of a definition with valid, recognisable values (for export and round-trip tests)."""
from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, select

from app.domain.forms import Definition, Item
from app.models import Answer, VersionFile


def value_for(item: Item, tag: str) -> Any:
    t = item.type
    if t in ("text", "ref"):
        return f"{item.label or item.id}の回答{tag}"
    if t == "longtext":
        return f"{item.label or item.id}について記載する。{tag}\n二行目の記載。"
    if t in ("choice", "judgement"):
        return item.choice_labels[min(1, len(item.choice_labels) - 1)]
    if t == "multi":
        return item.choice_labels[:1]
    if t == "multi_text":
        first = item.choices[0]
        texted = next((c for c in item.choices if c.text), None)
        checked = [first.label] + ([texted.label] if texted and texted.label != first.label else [])
        return {"checked": checked, "texts": {texted.label: f"具体的な内容{tag}"} if texted else {}}
    if t == "date":
        return "2025-04-01"
    if t == "number":
        return 3
    if t == "measures":
        h = hashlib.md5(tag.encode()).hexdigest()[:8]
        return {"external": [{"id": f"e{h}a", "text": f"市民向けの措置A{tag}"},
                             {"id": f"e{h}b", "text": f"委託先向けの措置B{tag}"}],
                "staff": [{"id": f"s{h}a", "text": f"職員向けの措置C{tag}"}]}
    if t == "group":
        rows = []
        for n in (1, 2):
            row = {"_id": f"r{n}{hashlib.md5(tag.encode()).hexdigest()[:8]}"}
            for child in item.children:
                if child.answerable:
                    row[child.id] = value_for(child, f"{tag}-{n}")
            rows.append(row)
        return rows
    return None


def png(tag: str, size: tuple[int, int] = (64, 40)) -> bytes:
    """A small PNG whose pixels depend on `tag` (so each figure is a different picture)."""
    import io

    from PIL import Image

    colour = tuple(hashlib.md5(tag.encode()).digest()[:3])
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def figure_value(session: Session, tag: str) -> list[dict]:
    """Two stored pictures with captions (a figure answer needs its pictures in the database)."""
    from app.services import figures

    out = []
    for n in (1, 2):
        blob = figures.ingest(session, png(f"{tag}-{n}"))
        h = hashlib.md5(f"{tag}-{n}".encode()).hexdigest()[:8]
        out.append({"id": f"g{h}", "sha": blob.sha, "caption": f"図の表題{n}{tag}"})
    return out


def fill(session: Session, d: Definition, version_id: int, *, skip_readonly: bool = True,
         keep_prefill: bool = True) -> dict[str, dict[str, Any]]:
    """Write a value for every answerable item (per file for per-file sections); return what was written."""
    files = [f.uid for f in session.exec(select(VersionFile).where(VersionFile.version_id == version_id)
                                         .order_by(VersionFile.position)).all()]
    written: dict[str, dict[str, Any]] = {}
    existing = {(a.file_uid, a.item_id): a for a in session.exec(select(Answer).where(Answer.version_id == version_id))}
    for s in d.sections:
        for uid in (files if s.scope == "file" else [""]):
            for item in s.walk():
                if not item.answerable or (skip_readonly and item.readonly):
                    continue
                if keep_prefill and item.prefill and (uid, item.id) in existing:
                    continue
                tag = f"[{uid or 'A'}:{item.id}]"
                value = figure_value(session, tag) if item.type == "figure" else value_for(item, tag)
                row = existing.get((uid, item.id)) or Answer(version_id=version_id, file_uid=uid, item_id=item.id)
                row.value = value
                session.add(row)
                written.setdefault(uid, {})[item.id] = value
    session.commit()
    return written


def complete(session: Session, d: Definition, version_id: int) -> int:
    """Answer every still-empty required item (keeps what is there), so the completeness guard passes."""
    from app.domain.answers import empty, skip_reason

    files = [f.uid for f in session.exec(select(VersionFile).where(VersionFile.version_id == version_id)).all()]
    rows = {(a.file_uid, a.item_id): a for a in session.exec(select(Answer).where(Answer.version_id == version_id))}
    n = 0
    for s in d.sections:
        for uid in (files if s.scope == "file" else [""]):
            vals = {i: a.value for (u, i), a in rows.items() if u in ("", uid)}
            for item in s.walk():
                if not item.answerable or item.readonly:
                    continue
                row = rows.get((uid, item.id))
                if row is not None and not empty(item, row.value):
                    continue
                if skip_reason(d, item.id, vals) or item.fill_from:
                    continue  # skipped, or filled by the procedure when its step closes
                if item.type == "judgement":
                    value = item.choice_labels[1]
                elif item.type == "figure":
                    value = figure_value(session, f"[{uid or 'A'}:{item.id}]")[:1]
                else:
                    value = value_for(item, f"[{uid or 'A'}:{item.id}]")
                if item.type == "group":
                    value = value[:1]
                row = row or Answer(version_id=version_id, file_uid=uid, item_id=item.id)
                row.value = value
                session.add(row)
                vals[item.id] = value  # later skip rules see what was just answered (e.g. 委託しない)
                n += 1
    session.commit()
    return n
