"""変更箇所 rows: entered by hand, generated from the diff between versions (lifecycle), merged by the user."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from app.domain.policy import Actor
from app.domain.text import text_problem
from app.domain.wareki import date_field
from app.errors import NotFound, ValidationFailed
from app.models import ChangeRow, pk
from app.services import audit
from app.services.assessments import current_version, ensure_writable, get

TIMINGS = ("事前", "事後")


def rows_of(session: Session, assessment_id: int) -> list[ChangeRow]:
    return list(session.exec(select(ChangeRow).where(ChangeRow.assessment_id == assessment_id)
                             .order_by(col(ChangeRow.version_seq), col(ChangeRow.position), col(ChangeRow.id))).all())


def save_row(session: Session, *, actor: Actor, assessment_id: int, data: dict[str, str],
             today: date) -> ChangeRow | None:
    a, _ = get(session, actor=actor, assessment_id=assessment_id, edit=True)
    v = ensure_writable(session, current_version(session, pk(a)))  # a published / in-procedure version: 409
    row = None
    if data.get("id", "").isdigit():
        row = session.get(ChangeRow, int(data["id"]))
        if row is None or row.assessment_id != a.id:
            raise NotFound("変更箇所の行が見つかりません。")
        if row.version_seq != v.seq:
            raise ValidationFailed({"id": "公表済みの版の変更箇所は変更できません。"})
    if data.get("delete") == "1" and row is not None:
        audit.record(session, actor=actor, entity="change_row", entity_id=row.id, action="deleted", before=row)
        session.delete(row)
        session.commit()
        return None
    errors: dict[str, str] = {}
    changed_on = date_field(data.get("changed_on", ""), label="変更日", errors=errors, key="changed_on")
    for key, label, limit in (("item_label", "項目", 500), ("before_text", "変更前の記載", 20000),
                              ("after_text", "変更後の記載", 20000), ("timing_note", "提出時期に係る説明", 2000)):
        problem = text_problem(data.get(key, ""), label=label, max_len=limit, required=key == "item_label")
        if problem:
            errors[key] = problem
    timing = data.get("timing", "")
    if timing and timing not in TIMINGS:
        errors["timing"] = "提出時期は「事前」または「事後」を選択してください。"
    if timing == "事後" and not data.get("timing_note", "").strip():
        errors["timing_note"] = "提出時期が「事後」の場合は、提出時期に係る説明を記入してください。"
    if errors:
        raise ValidationFailed(errors)
    before = audit.jsonable(row) if row else None
    if row is None:
        row = ChangeRow(assessment_id=pk(a), version_seq=v.seq, position=len(rows_of(session, pk(a))), source="manual")
    row.changed_on, row.item_label = changed_on, data["item_label"].strip()
    row.before_text, row.after_text = data.get("before_text", "").strip(), data.get("after_text", "").strip()
    row.timing, row.timing_note = timing, data.get("timing_note", "").strip()
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="change_row", entity_id=row.id, action="updated" if before else "created",
                 before=before, after=row)
    session.commit()
    return row


def comparison_docx(session: Session, *, actor: Actor, assessment_id: int) -> tuple[str, bytes]:
    """変更箇所(新旧対照表)as its own document: every change row across versions, A4 landscape."""
    from app.domain.forms import FORM_LABEL
    from app.domain.wareki import wareki
    from app.export.assessment_doc import CHANGE_COLUMNS, DASH
    from app.export.docx import render
    from app.export.model import Cell, ExportDoc, Para, Table
    from app.services import redaction

    a, jimu = get(session, actor=actor, assessment_id=assessment_id)
    rows = rows_of(session, pk(a))
    keys, secrets = redaction.withheld_of_assessment(session, pk(a))  # a published table: 非公表 text never printed
    title = f"{jimu.name} {FORM_LABEL[a.form]} 変更箇所(新旧対照表)"
    head = [Cell([Para.of(c, bold=True)], shade=True) for c in ("版",) + CHANGE_COLUMNS]
    body = []
    for r in rows:
        before, after = redaction.change_row(r, keys, secrets)
        cells = [f"第{r.version_seq}版", wareki(r.changed_on) if r.changed_on else DASH, r.item_label,
                 before or DASH, after or DASH, r.timing or DASH, r.timing_note or DASH]
        body.append([Cell([Para.of(line) for line in c.split("\n")]) for c in cells])
    if not body:
        body = [[Cell([Para.of(DASH)]) for _ in head]]
    doc = ExportDoc(title=title, header_text=title, landscape=True, footer="n_of_n", subject="変更箇所")
    doc.blocks = [Para.of(title, "Title", align="center"), Table([head] + body, [16, 24, 40, 70, 70, 16, 21], header_rows=1)]
    return f"{jimu.name}_{FORM_LABEL[a.form]}_新旧対照表.docx", render(doc)
