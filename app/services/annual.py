"""見直し (yearly review): every declared measure of the published version and the audit checklist, an outcome,
and — for 修正が必要 / 再実施が必要 — the next version opened with the findings attached."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.domain.completeness import item_path
from app.domain.forms import AUDIENCES
from app.domain.policy import Actor, can_manage_register_settings
from app.domain.text import text_problem
from app.domain.wareki import BadDate, parse_date
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models import AnnualReview, AnnualReviewCheck, AssessmentVersion, ChecklistItem
from app.services import assessments, audit, catalogue, locking, revisions
from app.services.answers import version_values

STATUS = {"in_place": "実施中", "partial": "一部実施", "not_in_place": "未実施"}
OUTCOMES = {"no_change": "変更なし", "correction": "修正が必要", "reassessment": "再実施が必要"}


def checklist(session: Session, organisation_id: int, *, active_only: bool = True) -> list[ChecklistItem]:
    q = select(ChecklistItem).where(ChecklistItem.organisation_id == organisation_id)
    if active_only:
        q = q.where(ChecklistItem.active)
    return list(session.exec(q.order_by(ChecklistItem.position, ChecklistItem.id)).all())


def seed_checklist(session: Session, *, organisation_id: int, path=None) -> int:
    """Load the shipped checklist (assessments/checklist.yaml) for an organisation that has none yet."""
    import yaml

    from app.config import get_settings

    if checklist(session, organisation_id, active_only=False):
        return 0
    path = path or get_settings().forms_dir / "checklist.yaml"
    texts = [str(t).strip() for t in (yaml.safe_load(path.read_text(encoding="utf-8")) or []) if str(t).strip()]
    for pos, text in enumerate(texts):
        session.add(ChecklistItem(organisation_id=organisation_id, text=text[:1000], position=pos))
    session.commit()
    return len(texts)


def save_checklist_item(session: Session, *, actor: Actor, text: str, item_id: int | None = None,
                        active: bool = True, lock_version: str | None = None) -> ChecklistItem:
    if not can_manage_register_settings(actor):
        raise Forbidden("内部監査チェックリストは総務・文書担当と管理者が管理します。")
    problem = text_problem(text, label="チェック項目", max_len=1000, required=True)
    if problem:
        raise ValidationFailed({"text": problem})
    row = session.get(ChecklistItem, item_id) if item_id else None
    if item_id and (row is None or row.organisation_id != actor.organisation_id):
        raise NotFound("チェック項目が見つかりません。")
    if row is not None:
        locking.claim_row(session, row, lock_version, message="このチェック項目は他の利用者により先に更新されています。",
                          what="このチェック項目", entity="checklist_item", actor_id=actor.user_id,
                          describe=lambda c: f"「{c.text[:200]}」({'使用中' if c.active else '停止中'})")
    row = row or ChecklistItem(organisation_id=actor.organisation_id, text=text,
                               position=len(checklist(session, actor.organisation_id, active_only=False)))
    row.text, row.active = text.strip(), active
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="checklist_item", entity_id=row.id, action="saved", after=row)
    session.commit()
    return row


def start(session: Session, *, actor: Actor, assessment_id: int, today: date) -> AnnualReview:
    """Open a review of the latest published version: one question per measure, then the checklist."""
    a, _ = assessments.get(session, actor=actor, assessment_id=assessment_id, edit=True)
    assessments.lock_assessment(session, a.id)  # a concurrent start waits, then finds the open review
    v = session.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id,
                                                     AssessmentVersion.stage == "published")
                     .order_by(AssessmentVersion.seq.desc())).first()
    if v is None:
        raise Conflict("見直しは公表済みの評価書について行います。")
    open_review = session.exec(select(AnnualReview).where(AnnualReview.assessment_id == a.id,
                                                          AnnualReview.completed_on.is_(None))).first()
    if open_review:
        return open_review
    review = AnnualReview(assessment_id=a.id, version_id=v.id, started_on=today, reviewer_id=actor.user_id)
    with locking.unique_or_conflict(session, "この評価書の見直しは既に開始されています。開始済みの見直しを開いてください。"):
        session.add(review)  # ux_annualreview_open: one open review per 評価書
    d = catalogue.definition(a.form, v.form_version)
    files = {f.uid: f.name for f in assessments.files(session, v.id)}
    pos = 0
    for uid, items in sorted(version_values(session, v.id).items(), key=lambda kv: (kv[0] != "", kv[0])):
        for item_id, value in items.items():
            if not d.has(item_id) or d.item(item_id).type != "measures" or not isinstance(value, dict):
                continue
            where = f"【{files[uid]}】" if uid in files else ""
            for aud, aud_label in AUDIENCES.items():
                for m in value.get(aud, []):
                    if not str(m.get("text", "")).strip():
                        continue
                    session.add(AnnualReviewCheck(review_id=review.id, kind="measure", file_uid=uid, item_id=item_id,
                                                  measure_id=str(m.get("id", "")), audience=aud, position=pos,
                                                  label=f"{where}{item_path(d, d.item(item_id))}({aud_label})",
                                                  text=str(m["text"])[:4000]))
                    pos += 1
    for c in checklist(session, a.organisation_id):
        session.add(AnnualReviewCheck(review_id=review.id, kind="checklist", label="内部監査チェックリスト", text=c.text,
                                      position=pos))
        pos += 1
    audit.record(session, actor=actor, entity="annual_review", entity_id=review.id, action="started",
                 after={"version_id": v.id, "questions": pos})
    session.commit()
    return review


def get(session: Session, *, actor: Actor, review_id: int) -> tuple[AnnualReview, list[AnnualReviewCheck]]:
    review = session.get(AnnualReview, review_id)
    if review is None:
        raise NotFound("見直しの記録が見つかりません。")
    assessments.get(session, actor=actor, assessment_id=review.assessment_id)
    checks = list(session.exec(select(AnnualReviewCheck).where(AnnualReviewCheck.review_id == review.id)
                               .order_by(AnnualReviewCheck.position)).all())
    return review, checks


def can_edit(session: Session, *, actor: Actor, review: AnnualReview) -> bool:
    try:
        assessments.get(session, actor=actor, assessment_id=review.assessment_id, edit=True)
    except Forbidden:
        return False
    return True


def save_answers(session: Session, *, actor: Actor, review_id: int, answers: dict[int, tuple[str, str]]) -> None:
    review, checks = get(session, actor=actor, review_id=review_id)
    assessments.get(session, actor=actor, assessment_id=review.assessment_id, edit=True)
    if review.completed_on:
        raise Conflict("完了した見直しは変更できません。")
    errors = {}
    for c in checks:
        if c.id not in answers:
            continue
        status, note = answers[c.id]
        if status and status not in STATUS:
            errors[f"status-{c.id}"] = "実施状況を選択してください。"
        problem = text_problem(note, label="メモ", max_len=2000)
        if problem:
            errors[f"note-{c.id}"] = problem
        if status in ("partial", "not_in_place") and not note.strip():
            errors[f"note-{c.id}"] = f"「{STATUS[status]}」の場合は、状況をメモに記入してください。"
    if errors:
        raise ValidationFailed(errors)
    for c in checks:
        if c.id in answers:
            c.status, c.note = answers[c.id][0], answers[c.id][1].strip()
            session.add(c)
    audit.record(session, actor=actor, entity="annual_review", entity_id=review.id, action="answered",
                 after={k: v[0] for k, v in answers.items()})
    session.commit()


def mark_unanswered(session: Session, *, actor: Actor, review_id: int, status: str = "in_place") -> int:
    """Answer every still-unanswered question at once (then correct the exceptions one by one)."""
    review, checks = get(session, actor=actor, review_id=review_id)
    if status not in ("in_place",):
        raise ValidationFailed({"status": "一括で設定できるのは「実施中」だけです。"})
    answers = {c.id: (status, c.note) for c in checks if not c.status}
    if answers:
        save_answers(session, actor=actor, review_id=review.id, answers=answers)
    return len(answers)


def complete(session: Session, *, actor: Actor, review_id: int, outcome: str, findings: str, completed_on: str,
             today: date) -> AnnualReview:
    review, checks = get(session, actor=actor, review_id=review_id)
    assessments.get(session, actor=actor, assessment_id=review.assessment_id, edit=True)
    if review.completed_on:
        raise Conflict("この見直しは既に完了しています。")
    errors = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "見直しの結果を選択してください。"
    unanswered = [c for c in checks if not c.status]
    if unanswered:
        errors["checks"] = f"実施状況が未回答の項目が{len(unanswered)}件あります。"
    missing = [c for c in checks if c.status in ("partial", "not_in_place")]
    if missing and outcome == "no_change":
        errors["outcome"] = f"未実施・一部実施の措置が{len(missing)}件あります。「変更なし」にはできません。"
    try:
        day = parse_date(completed_on or today.isoformat(), label="完了日")
        if day > today:
            errors["completed_on"] = "完了日に未来の日付は指定できません。"
    except BadDate as exc:
        errors["completed_on"] = str(exc)
        day = today
    problem = text_problem(findings, label="見直しの所見", max_len=20000, required=outcome != "no_change")
    if problem:
        errors["findings"] = problem
    if errors:
        raise ValidationFailed(errors)
    review.outcome, review.findings, review.completed_on = outcome, findings.strip(), day
    if outcome in ("correction", "reassessment"):
        # the next version opens with the findings attached, in the same transaction as the review
        nv = revisions.revise(session, actor=actor, assessment_id=review.assessment_id, commit=False,
                              reason="review" if outcome == "correction" else "review_reassess")
        review.next_version_id = nv.id
    session.add(review)
    audit.record(session, actor=actor, entity="annual_review", entity_id=review.id, action="completed",
                 after={"outcome": outcome, "next_version_id": review.next_version_id, "findings": findings})
    session.commit()
    return review


def opened(session: Session, version_id: int) -> AnnualReview | None:
    """The review whose outcome opened this version (its findings are shown with the version)."""
    return session.exec(select(AnnualReview).where(AnnualReview.next_version_id == version_id)).first()


def shortfalls(session: Session, review_id: int) -> list[AnnualReviewCheck]:
    """Measures and checklist items a review found 未実施 or 一部実施."""
    return list(session.exec(select(AnnualReviewCheck).where(
        AnnualReviewCheck.review_id == review_id, AnnualReviewCheck.status.in_(["partial", "not_in_place"]))
        .order_by(AnnualReviewCheck.position)).all())


def reviews_of(session: Session, assessment_id: int) -> list[AnnualReview]:
    return list(session.exec(select(AnnualReview).where(AnnualReview.assessment_id == assessment_id)
                             .order_by(AnnualReview.started_on.desc(), AnnualReview.id.desc())).all())


def report_docx(session: Session, *, actor: Actor, review_id: int) -> tuple[str, bytes]:
    from app.domain.forms import FORM_LABEL
    from app.domain.wareki import wareki
    from app.export.docx import render
    from app.export.model import Cell, ExportDoc, Para, Table

    review, checks = get(session, actor=actor, review_id=review_id)
    a, jimu = assessments.get(session, actor=actor, assessment_id=review.assessment_id)
    title = f"{jimu.name} {FORM_LABEL[a.form]} 見直しの結果"
    head = [Cell([Para.of(h, bold=True)], shade=True) for h in ("項目", "措置・確認事項", "実施状況", "メモ")]
    rows = [head] + [[Cell([Para.of(c.label)]), Cell([Para.of(c.text)]), Cell([Para.of(STATUS.get(c.status, "-"))]),
                      Cell([Para.of(c.note or "-")])] for c in checks]
    info = [("見直しの開始日", wareki(review.started_on)), ("完了日", wareki(review.completed_on) if review.completed_on else "-"),
            ("結果", OUTCOMES.get(review.outcome, "(未完了)")), ("所見", review.findings or "-")]
    doc = ExportDoc(title=title, header_text=title, subject="見直しの結果")
    doc.blocks = [Para.of(title, "Title", align="center"),
                  Table([[Cell([Para.of(k, bold=True)], shade=True), Cell([Para.of(x) for x in v.split("\n")])]
                         for k, v in info], [40, 130]),
                  Para.of("確認した措置と内部監査チェックリスト", "Heading 1"), Table(rows, [44, 76, 18, 32], header_rows=1)]
    return f"{jimu.name}_{FORM_LABEL[a.form]}_見直し_{review.started_on.isoformat()}.docx", render(doc)
