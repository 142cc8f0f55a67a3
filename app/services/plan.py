"""特定個人情報保護評価計画管理書: one row per 評価書 of the organisation (Word, A4 landscape, and CSV)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain import deadlines
from app.domain import threshold as th
from app.domain.forms import FORM_LABEL
from app.domain.policy import Actor
from app.domain.wareki import wareki
from app.models import Answer, AssessmentVersion, Determination, Organisation
from app.services import assessment_list, catalogue, due, migration
from app.services.organisation import get_organisation

COLUMNS = ("評価書番号", "評価書名", "事務の名称", "担当部署", "義務付けられる評価", "実施する評価", "対象人数", "取扱者数",
           "重大事故", "しきい値判断結果", "しきい値判断日", "提出日", "公表日", "次回の見直し期限", "再実施の期限", "備考")
# on the screen these are shown on request (「列をすべて表示」), so the table fits 1280 px; Word and CSV have all
SCREEN_OPTIONAL = ("事務の名称", "対象人数", "取扱者数", "重大事故", "しきい値判断結果")


@dataclass
class PlanRow:
    values: dict[str, str]


def count(session: Session, *, actor: Actor) -> int:
    """How many rows the 計画管理書 has (one per visible 評価書; for paging the screen)."""
    return assessment_list.count(session, actor=actor)


def rows(session: Session, *, actor: Actor, today: date, limit: int | None = None,
         offset: int = 0) -> tuple[Organisation, list[PlanRow]]:
    """The rows of the 計画管理書; `limit`/`offset`: one page of the screen (Word and CSV have every row)."""
    org = get_organisation(session, actor.organisation_id)
    due_rows = due.rows(session, actor=actor, today=today, limit=limit, offset=offset)
    listed = [d.listed for d in due_rows]
    version_ids = [r.version.id for r in listed]
    titles = dict(session.exec(select(Answer.version_id, Answer.value).where(
        col(Answer.version_id).in_(version_ids), col(Answer.item_id).in_(catalogue.title_items()),
        Answer.file_uid == "", Answer.withheld == False)).all()) if version_ids else {}
    det_ids = [r.version.determination_id for r in listed if r.version.determination_id]
    dets = {d.id: d for d in session.exec(select(Determination).where(col(Determination.id).in_(det_ids))).all()} \
        if det_ids else {}
    dues = {d.assessment.id: d for d in due_rows}
    submitted = _last_submitted(session, [r.assessment.id for r in listed])
    missing = migration.without_content(session, [r.version for r in listed])
    migrated = _migrated_on(session, [r.assessment.id for r in listed])
    out = []
    for r in listed:
        v, det = r.version, dets.get(r.version.determination_id)
        d = dues.get(r.assessment.id)
        published = d.published_on if d else v.published_on  # the latest publication, also while a revision is open
        review = d.next_review_due if d else None
        reassess = d.reassessment_due if d else None
        notes = remarks(d)
        if r.version.kind == migration.KIND:  # 「移行登録(手続の記録なし)」, 「・内容未取込」 from a sheet row
            notes.insert(0, migration.label(r.version, missing))
        elif published and migrated.get(r.assessment.id) == published:  # a revision is open on top of it
            notes.insert(0, migration.LABEL)
        if r.jimu.status == "ended" and r.jimu.end_date:
            notes.append(f"事務終了({wareki(r.jimu.end_date)})、{wareki(deadlines.keep_published_until(r.jimu.end_date))}まで公表")
        if r.open_actions:
            notes.append(f"未完了の改善策 {r.open_actions}件")
        out.append(PlanRow({
            "評価書番号": str(r.assessment.number),
            "評価書名": str(titles.get(v.id) or f"{r.jimu.name} {FORM_LABEL[r.assessment.form]}"),
            "事務の名称": r.jimu.name, "担当部署": r.department,
            "義務付けられる評価": _required(det), "実施する評価": FORM_LABEL[r.assessment.form],
            "対象人数": det.band if det else "", "取扱者数": ("500人以上" if det.handlers >= 500 else "500人未満") if det else "",
            "重大事故": ("発生あり" if det.serious_incident else "発生なし") if det else "",
            "しきい値判断結果": th.RESULT_LABEL[det.result] if det else "",
            "しきい値判断日": wareki(det.determined_on) if det else "",
            "提出日": wareki(v.submitted_on or submitted.get(r.assessment.id)),
            "公表日": wareki(published),
            "次回の見直し期限": wareki(review), "再実施の期限": wareki(reassess), "備考": "、".join(notes),
        }))
    return org, out


def remarks(d: due.DueRow | None) -> list[str]:
    """備考 from the due flags: overdue 見直し・再実施, a 再実施 the register calls for, deadlines within 30 days.
    (事務終了 is written by the caller with the date until which the 評価書 stays published.)"""
    if d is None:
        return []
    notes = [f for f in d.flags if not f.startswith("事務終了")]
    for item in d.items:
        if item.kind in ("review", "reassessment") and item.status == "due_30":
            what = "見直し" if item.kind == "review" else "再実施"
            notes.append(f"{what}の期限が30日以内です({wareki(item.due_on)})")
    return notes


def _required(det: Determination | None) -> str:
    if det is None:
        return ""
    return "・".join(th.LEVEL_LABEL[th.Level(x)] for x in det.required) or "義務なし"


def _last_submitted(session: Session, assessment_ids: list[int]) -> dict[int, date | None]:
    """The latest 提出日 per assessment (a revision in progress has none of its own yet)."""
    if not assessment_ids:
        return {}
    return dict(session.exec(select(AssessmentVersion.assessment_id, func.max(AssessmentVersion.submitted_on))
                             .where(col(AssessmentVersion.assessment_id).in_(assessment_ids))
                             .group_by(col(AssessmentVersion.assessment_id))).all())


def _migrated_on(session: Session, assessment_ids: list[int]) -> dict[int, date | None]:
    """The 公表日 of each 評価書's 移行登録 version (a revision may be open on top of it)."""
    if not assessment_ids:
        return {}
    return dict(session.exec(select(col(AssessmentVersion.assessment_id), col(AssessmentVersion.published_on)).where(
        col(AssessmentVersion.assessment_id).in_(assessment_ids), AssessmentVersion.kind == migration.KIND)).all())


def to_csv(plan_rows: list[PlanRow]) -> bytes:
    """CSV with a BOM so that Excel opens it as UTF-8; cells are neutralised against formula injection."""
    from app.export.csv_safe import to_csv_bytes

    return to_csv_bytes(COLUMNS, ([r.values[c] for c in COLUMNS] for r in plan_rows))


def to_docx(org: Organisation, plan_rows: list[PlanRow], today: date) -> bytes:
    from app.export.docx import render
    from app.export.model import Cell, ExportDoc, Para, Table

    cols = ("評価書番号", "評価書名", "担当部署", "義務付けられる評価", "実施する評価", "しきい値判断結果", "しきい値判断日", "提出日",
            "公表日", "次回の見直し期限", "再実施の期限", "備考")
    widths: list[float] = [14, 40, 22, 24, 20, 28, 20, 20, 20, 20, 20, 29]
    head = [Cell([Para.of(c, bold=True)], shade=True) for c in cols]
    body = [[Cell([Para.of(r.values[c] or "-")]) for c in cols] for r in plan_rows]
    doc = ExportDoc(title=f"特定個人情報保護評価計画管理書({org.name})",
                    header_text=f"特定個人情報保護評価計画管理書 {org.name}", landscape=True, footer="n_of_n",
                    author=org.name, subject="特定個人情報保護評価計画管理書")
    doc.blocks = [Para.of("特定個人情報保護評価計画管理書", "Title", align="center"),
                  Para.of(f"評価実施機関名: {org.name}"), Para.of(f"作成日: {wareki(today)}", align="right"),
                  Table([head] + body, widths, header_rows=1)]
    return render(doc)
