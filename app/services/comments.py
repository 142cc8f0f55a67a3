"""公示・意見聴取: the period (30 days or a stated reason), the opinion register, and the results document."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.domain import workflow
from app.domain.policy import Actor
from app.domain.text import text_problem
from app.domain.wareki import date_field, wareki
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models import Opinion, PublicComment, pk
from app.services import assessments, audit, catalogue, locking

CHANNELS = ("郵送", "電子メール", "FAX", "持参", "フォーム")


def _records_only(actor: Actor) -> None:
    if actor.role not in ("records", "admin", "system"):
        raise Forbidden("意見公募は総務・文書担当が管理します。")


def current(session: Session, version_id: int) -> PublicComment | None:
    from app.services.procedure import current_comment

    return current_comment(session, version_id)


def setup(session: Session, *, actor: Actor, version_id: int, method: str, start: str, end: str,
          reason: str, today: date | None = None) -> PublicComment:
    """Register (or change, before it starts) the method and period of the public comment."""
    _records_only(actor)
    v, _a, _ = assessments.get_version(session, actor=actor, version_id=version_id)
    c = current(session, pk(v))
    if c and c.snapshot_id:
        raise Conflict("意見公募は既に開始しています。期間を変える場合は、いったん手続を戻してください。")
    errors: dict[str, str] = {}
    problem = text_problem(method, label="意見聴取の方法", max_len=1000, required=True)
    if problem:
        errors["method"] = problem
    start_on = date_field(start, label="開始日", errors=errors, key="start_on", required=True)
    end_on = date_field(end, label="終了日", errors=errors, key="end_on", required=True)
    problem = text_problem(reason, label="期間を短縮する特段の理由", max_len=2000)
    if problem:
        errors["shortening_reason"] = problem
    if start_on and end_on:
        period = workflow.comment_period_problem(start_on, end_on, reason, today)
        if period:
            key = "end_on" if end_on < start_on else ("start_on" if today and start_on < today else "shortening_reason")
            errors[key] = period
    if errors:
        raise ValidationFailed(errors)
    before = audit.jsonable(c) if c else None
    c = c or PublicComment(version_id=pk(v))
    c.method, c.start_on, c.end_on, c.shortening_reason = method.strip(), start_on, end_on, reason.strip()
    with locking.unique_or_conflict(session, "この版の意見公募は他の利用者が先に登録しました。画面を再読み込みしてください。"):
        session.add(c)  # ux_publiccomment_open: one open public comment per version
    audit.record(session, actor=actor, entity="public_comment", entity_id=c.id, action="saved", before=before, after=c)
    session.commit()
    return c


def opinions(session: Session, comment_id: int) -> list[Opinion]:
    return list(session.exec(select(Opinion).where(Opinion.comment_id == comment_id)
                             .order_by(col(Opinion.position), col(Opinion.id))).all())


def save_opinion(session: Session, *, actor: Actor, version_id: int, data: dict[str, Any], today: date) -> Opinion:
    _records_only(actor)
    v, a, _ = assessments.get_version(session, actor=actor, version_id=version_id)
    c = current(session, pk(v))
    if c is None or not c.snapshot_id:
        raise Conflict("意見公募を開始してから意見を登録してください。")
    d = catalogue.definition(a.form, v.form_version)
    errors: dict[str, str] = {}
    received = date_field(data.get("received_on", ""), label="受付日", errors=errors, key="received_on", required=True)
    if received and c.start_on and received < c.start_on:
        errors["received_on"] = "受付日が意見公募の開始日より前です。"
    if received and received > today:
        errors["received_on"] = "受付日に未来の日付は指定できません。"
    if data.get("channel") not in CHANNELS:
        errors["channel"] = "受付方法を選択してください。"
    for key, label, limit, required in (("text", "意見の内容", 20000, True), ("response", "市の考え方", 20000, False),
                                         ("submitter", "提出者", 500, False)):
        problem = text_problem(data.get(key, ""), label=label, max_len=limit, required=required)
        if problem:
            errors[key] = problem
    op = None
    if str(data.get("id", "")).isdigit():
        op = session.get(Opinion, int(data["id"]))
        if op is None or op.comment_id != c.id:
            raise NotFound("意見が見つかりません。")
    picker = assessments.item_picker_of(session, d, pk(v))
    items, problem = picker.check(data.get("items", []), kept=(op.items or []) if op else [])
    if problem:
        errors["items"] = problem
    changed_item = str(data.get("changed_item", "")).strip()
    problem = picker.check([changed_item], "修正した項目", kept=[op.changed_item] if op else [])[1]
    if problem:
        errors["changed_item"] = problem
    if data.get("led_to_change") and not changed_item:
        errors["changed_item"] = "評価書を修正した場合は、修正した項目を選択してください。"
    if errors or received is None:  # (received_on is required: a missing date is in errors)
        raise ValidationFailed(errors)
    before = audit.jsonable(op) if op else None
    op = op or Opinion(comment_id=pk(c), received_on=received, channel="", text="",
                       position=len(opinions(session, pk(c))))
    op.received_on, op.channel, op.submitter = received, data["channel"], data.get("submitter", "").strip()
    op.text, op.response, op.items = data["text"].strip(), data.get("response", "").strip(), items
    op.led_to_change, op.changed_item = bool(data.get("led_to_change")), changed_item if data.get("led_to_change") else ""
    session.add(op)
    session.flush()
    audit.record(session, actor=actor, entity="opinion", entity_id=op.id, action="updated" if before else "created",
                 before=before, after=op)
    session.commit()
    return op


def results_docx(session: Session, *, actor: Actor, version_id: int) -> tuple[str, bytes]:
    """意見募集結果: 意見の概要 and 市の考え方, with no submitter data."""
    from app.domain.forms import FORM_LABEL
    from app.export.docx import render
    from app.export.model import Cell, ExportDoc, Para, Table
    from app.services.organisation import get_organisation

    v, a, jimu = assessments.get_version(session, actor=actor, version_id=version_id)
    c = current(session, pk(v))
    if c is None:
        raise NotFound("意見公募の記録がありません。")
    d = catalogue.definition(a.form, v.form_version)
    org = get_organisation(session, a.organisation_id)
    title = f"{jimu.name} {FORM_LABEL[a.form]}(案)に対する意見募集の結果"
    rows = [[Cell([Para.of(h, bold=True)], shade=True) for h in ("番号", "関連する項目", "意見の概要", f"{org.municipality or '市'}の考え方")]]
    from app.domain.redaction import scrub
    from app.services.redaction import withheld_of_assessment

    _, secrets = withheld_of_assessment(session, pk(a))  # published: a quoted 非公表 answer prints 「(非公表)」
    picker = assessments.item_picker_of(session, d, pk(v))
    for n, o in enumerate(opinions(session, pk(c)), 1):
        where = [picker.path(i) for i in (o.items or [])] or ["全般"]  # full paths, a file's item with its name
        rows.append([Cell([Para.of(str(n))]), Cell([Para.of(w) for w in where]),
                     Cell([Para.of(line) for line in scrub(o.text, secrets).split("\n")]),
                     Cell([Para.of(line) for line in scrub(o.response or "-", secrets).split("\n")])])
    if len(rows) == 1:
        rows.append([Cell([Para.of("-")]), Cell([Para.of("-")]), Cell([Para.of("意見はありませんでした。")]), Cell([Para.of("-")])])
    period = f"{wareki(c.start_on)}から{wareki(c.end_on)}まで" if c.start_on and c.end_on else "-"
    doc = ExportDoc(title=title, header_text=title, author=org.name, subject="意見募集の結果")
    doc.blocks = [
        Para.of(title, "Title", align="center"),
        Para.of("1 意見募集の概要", "Heading 1"),
        Para.of(f"募集期間: {period}"), Para.of(f"募集方法: {c.method}"),
        *([Para.of(f"期間を短縮した特段の理由: {c.shortening_reason}")] if c.shortening_reason else []),
        *([Para.of(f"終了日前の終了: {wareki(c.closed_on)}に終了しました。理由: {c.early_close_reason}")]
          if c.early_close_reason and c.closed_on else []),
        Para.of(f"意見の件数: {len(rows) - 1 if rows[1][0].blocks[0].text != '-' else 0}件"),
        Para.of("2 意見の概要と考え方", "Heading 1"),
        Table(rows, [12, 36, 62, 60], header_rows=1),
        Para.of("※ 提出者の氏名・連絡先等は公表していません。"),
    ]
    return f"{jimu.name}_{FORM_LABEL[a.form]}_意見募集結果.docx", render(doc)
