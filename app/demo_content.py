"""Demo 評価書 content (the 評価書 files listed in assessments/demo/city.yaml): answers written for this project,
applied over the prefill.

File format (YAML):
    jimu: 事務の名称            form: full | focused | basic        form_version: r06-10
    number: 評価書番号 (optional)
    files: [{uid, name}]        # per-file sections use these uids; names match the register's files
    answers: {"": {item: value}, <uid>: {item: value}}
    withheld: [{file, item, reason}]
    actions: [{file, item, content, owner, due_on, status}]
    version: {kind, stage, published_on, submitted_on, ...}   # applied by the demo loader
Values use the shapes of app/domain/answers.py (measures: {external: [text...], staff: [text...]} is accepted).
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from app.domain.answers import clean_value, new_id
from app.domain.forms import AUDIENCES, Definition
from app.errors import ValidationFailed
from app.models import Answer, AssessmentVersion, ImprovementAction, VersionFile, pk

FIGURES = Path(__file__).resolve().parent.parent / "assessments" / "demo" / "figures"


@lru_cache(maxsize=16)
def demo_figure(name: str):
    """A demo diagram (assessments/demo/figures/*.png, drawn by draw.py there), through the same re-encoding as an
    upload."""
    from app.services.figures import sanitise

    path = FIGURES / name
    if path.parent != FIGURES or not path.is_file():
        raise ValidationFailed({"demo": f"figure {name!r} is not in assessments/demo/figures"})
    return sanitise(path.read_bytes())


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _normalise(d: Definition, item_id: str, value: Any) -> Any:
    """Accept the short hand forms written in demo files (measures as lists of strings, group rows without ids)."""
    item = d.item(item_id)
    if item.type == "measures" and isinstance(value, dict):
        return {aud: [m if isinstance(m, dict) else {"id": new_id("m"), "text": str(m)} for m in value.get(aud, [])]
                for aud in AUDIENCES}
    if item.type == "group" and isinstance(value, list):
        rows = []
        for row in value:
            row = dict(row)
            row.setdefault("_id", new_id("r"))
            for child in item.children:
                if child.id in row and child.type == "measures":
                    row[child.id] = _normalise(d, child.id, row[child.id])
            rows.append(row)
        return rows
    if item.type == "figure" and isinstance(value, list):  # {file: name.png, caption} -> the stored picture's key
        return [{"id": f.get("id") or new_id("g"), "sha": demo_figure(f["file"]).sha, "caption": f.get("caption", "")}
                if isinstance(f, dict) and "file" in f else f for f in value]
    if item.type in ("date",) and isinstance(value, date):
        return value.isoformat()
    return value


def check(d: Definition, doc: dict) -> list[str]:
    """Every problem in a demo file (unknown items, wrong scope, invalid values)."""
    problems = []
    uids = {f["uid"] for f in doc.get("files", [])}
    for uid, items in (doc.get("answers") or {}).items():
        if uid and uid not in uids:
            problems.append(f"unknown file uid {uid!r}")
            continue
        for item_id, value in (items or {}).items():
            if not d.has(item_id):
                problems.append(f"{uid or '評価書'}: unknown item {item_id!r}")
                continue
            scope = d.section_of(item_id).scope
            if (scope == "file") != bool(uid):
                problems.append(f"{item_id}: belongs to {'each file' if scope == 'file' else 'the 評価書'}")
                continue
            _, err = clean_value(d.item(item_id), _normalise(d, item_id, value))
            if err:
                problems.append(f"{uid or '評価書'} {item_id}: {err}")
    return problems


def apply(session: Session, d: Definition, version: AssessmentVersion, doc: dict, *, user_id: int | None) -> None:
    """Write the demo answers into a freshly created version (files are matched by name to keep register links)."""
    problems = check(d, doc)
    if problems:
        raise ValidationFailed({"demo": "; ".join(problems[:10])})
    existing = {f.name: f for f in session.exec(select(VersionFile).where(VersionFile.version_id == version.id)).all()}
    uid_map = {}
    for pos, f in enumerate(doc.get("files", [])):
        vf = existing.get(f["name"])
        if vf is None:
            raise ValidationFailed({"demo": f"file {f['name']!r} is not in the register of the 事務"})
        vf.position = pos
        session.add(vf)
        uid_map[f["uid"]] = vf.uid
    stored = {(a.file_uid, a.item_id): a for a in session.exec(select(Answer).where(Answer.version_id == version.id))}
    for uid, items in (doc.get("answers") or {}).items():
        real = uid_map.get(uid, "")
        for item_id, value in (items or {}).items():
            clean, _ = clean_value(d.item(item_id), _normalise(d, item_id, value))
            if d.item(item_id).type == "figure":
                from app.services.figures import store

                for f in value or []:
                    store(session, demo_figure(f["file"]))
            row = stored.get((real, item_id)) or Answer(version_id=pk(version), file_uid=real, item_id=item_id)
            row.value, row.updated_by_id = clean, user_id
            session.add(row)
            stored[(real, item_id)] = row
    for w in doc.get("withheld") or []:
        key = (uid_map.get(w.get("file", ""), ""), w["item"])
        row = stored.get(key) or Answer(version_id=pk(version), file_uid=key[0], item_id=key[1])
        row.withheld, row.withheld_reason = True, w.get("reason", "")
        session.add(row)
    for act in doc.get("actions") or []:
        session.add(ImprovementAction(
            assessment_id=version.assessment_id, version_id=pk(version), file_uid=uid_map.get(act.get("file", ""), ""),
            item_id=act["item"], content=act["content"], owner=act.get("owner", ""),
            due_on=act.get("due_on"), status=act.get("status", "open"), created_by_id=user_id))
    session.flush()
