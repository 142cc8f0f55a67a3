"""Parsing the posted 事務 form (its files table and row buttons) into service inputs (services validate)."""
from __future__ import annotations

import re

from starlette.datastructures import FormData

from app.services.register import FileInput, JimuInput

_FILE_FIELD = re.compile(r"^files-(\d+)-(\w+)$")


def jimu_input(form: FormData) -> JimuInput:
    rows: dict[int, FileInput] = {}
    for key, value in form.multi_items():
        m = _FILE_FIELD.match(key)
        if not m:
            continue
        idx, attr = int(m.group(1)), m.group(2)
        if idx > 200:
            continue
        row = rows.setdefault(idx, FileInput())
        if attr == "staff_only":
            row.staff_only = True
        elif attr == "id":
            row.id = int(value) if str(value).isdigit() else None
        elif attr in ("name", "kind", "subjects", "subjects_as_of"):
            setattr(row, attr, str(value))
    get = lambda k: str(form.get(k, ""))
    return JimuInput(
        name=get("name"), department_id=get("department_id"), legal_basis=get("legal_basis"),
        status=get("status") or "active", handlers=get("handlers"), handlers_as_of=get("handlers_as_of"),
        dedup_subjects=get("dedup_subjects"), dedup_note=get("dedup_note"), lock_version=get("lock_version"),
        files=[rows[i] for i in sorted(rows)],
    )


def apply_row_op(data: JimuInput, op: str) -> bool:
    """Handle 'add_file' / 'remove_file:N' buttons. Returns True when the op was a row operation."""
    if op == "add_file":
        data.files.append(FileInput())
        return True
    if op.startswith("remove_file:"):
        idx = op.split(":", 1)[1]
        if idx.isdigit() and int(idx) < len(data.files):
            data.files.pop(int(idx))
        return True
    return False
