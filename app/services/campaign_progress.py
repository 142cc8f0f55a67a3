"""一括変更の進捗: every 評価書 the campaign opened a version for — its stage, the next step and the last day it can
start (from the campaign's planned change date), overdue first — and the progress report (Word / CSV) for the
council and the 庁議."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.domain import campaign as C
from app.domain import workflow
from app.domain.forms import FORM_LABEL
from app.domain.policy import Actor
from app.domain.wareki import wareki
from app.models import Assessment, AssessmentVersion, Campaign, CampaignLink, Jimu
from app.services import campaigns

COLUMNS = ("評価書番号", "事務", "評価書", "区分", "版", "現在の段階", "次の手続", "開始期限", "状況")


@dataclass(frozen=True)
class ProgressRow:
    assessment: Assessment
    jimu: Jimu
    version: AssessmentVersion
    stage_label: str
    next_label: str
    latest_start: date | None
    overdue: bool

    @property
    def kind_label(self) -> str:
        return C.KIND_LABEL.get(self.version.kind, "")

    @property
    def status(self) -> str:
        if self.version.stage == "published":
            return "公表済(完了)"
        return "期限超過" if self.overdue else "予定どおり"

    def values(self) -> dict[str, str]:
        a = self.assessment
        return {"評価書番号": str(a.number), "事務": self.jimu.name, "評価書": FORM_LABEL[a.form], "区分": self.kind_label,
                "版": f"第{self.version.seq}版", "現在の段階": self.stage_label, "次の手続": self.next_label or "-",
                "開始期限": wareki(self.latest_start) if self.latest_start else "-", "状況": self.status}


def rows(session: Session, *, actor: Actor, campaign: Campaign, today: date) -> list[ProgressRow]:
    spec = campaigns.parse(campaign.spec)
    org, custom = campaigns._org(session, campaign.organisation_id)
    labels = {f"custom:{c.key}": c.label for c in custom}
    out = []
    for link, a, jimu in session.exec(select(CampaignLink, Assessment, Jimu)
                                      .join(Assessment, col(Assessment.id) == CampaignLink.assessment_id)
                                      .join(Jimu, col(Jimu.id) == Assessment.jimu_id)
                                      .where(CampaignLink.campaign_id == campaign.id)).all():
        v = session.get(AssessmentVersion, link.version_id)
        if v is None:  # the link's version is a foreign key: always there
            continue
        stages = campaigns.route(a.form, org, custom, v.kind)
        steps = {s.stage: s for s in C.schedule(stages, spec.planned_on, spec.durations, labels)}
        nxt = C.next_step(stages, v.stage)
        # the step to take now is the one after the current stage; while 作成中, starting 作成 is already done
        step = steps.get(nxt) if nxt else None
        out.append(ProgressRow(a, jimu, v, workflow.stage_label(v.stage, custom), step.label if step else "",
                               step.latest_start if step else None, bool(step and step.latest_start < today)))
    return sorted(out, key=lambda r: (not r.overdue, r.latest_start or date.max, r.assessment.number, r.assessment.form))


def to_csv(progress: list[ProgressRow]) -> bytes:
    from app.export.csv_safe import to_csv_bytes

    return to_csv_bytes(COLUMNS, ([r.values()[c] for c in COLUMNS] for r in progress))


def to_docx(campaign: Campaign, progress: list[ProgressRow], today: date) -> bytes:
    from app.export.docx import render
    from app.export.model import Cell, ExportDoc, Para, Table

    title = f"一括変更の進捗状況({campaign.name})"
    head = [Cell([Para.of(c, bold=True)], shade=True) for c in COLUMNS]
    body = [[Cell([Para.of(r.values()[c])]) for c in COLUMNS] for r in progress] or [[Cell([Para.of("-")]) for _ in COLUMNS]]
    overdue = sum(r.overdue for r in progress)
    doc = ExportDoc(title=title, header_text=title, landscape=True, footer="n_of_n", subject="一括変更の進捗状況")
    doc.blocks = [Para.of(title, "Title", align="center"), Para.of(f"作成日: {wareki(today)}", align="right"),
                  Para.of(f"変更の理由: {campaign.reason}"), Para.of(f"変更予定日: {wareki(campaign.planned_on)}"),
                  Para.of(f"対象の評価書: {len(progress)}件(うち開始期限を過ぎた手続があるもの {overdue}件)"),
                  Table([head] + body, [16, 48, 26, 14, 12, 24, 30, 28, 22], header_rows=1)]
    return render(doc)
