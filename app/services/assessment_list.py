"""Lists of 評価書 (records queue, dashboard, `spia list --json`) in a constant number of queries."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.domain import workflow
from app.domain.forms import FORM_LABEL
from app.domain.policy import Actor
from app.models import Assessment, AssessmentVersion, ImprovementAction, Jimu
from app.services import scope
from app.services.organisation import department_labels, list_departments

# migration: published before this system, registered without a procedure record (services/migration.py)
KIND_LABEL = {"initial": "実施", "correction": "修正", "reassessment": "再実施", "migration": "移行登録(手続の記録なし)"}


@dataclass
class AssessmentRow:
    assessment: Any
    version: Any
    jimu: Any
    department: str
    open_actions: int
    stage_label: str = "-"  # the version's stage by name, the body's own steps included (workflow.stage_label)

    @property
    def title(self) -> str:
        return f"{self.jimu.name} {FORM_LABEL[self.assessment.form]}"


def _filtered(actor: Actor, *, department_id: int | None, jimu_id: int | None, form: str, stage: str,
              assessment_id: int | None, columns: tuple[Any, ...], assessment_ids: list[int] | None = None
              ) -> Select[Any] | None:
    """The visible 評価書 with the filters applied (None: the actor sees none); `stage` is the newest version's."""
    joined: Select[Any] = sa_select(*columns).join(Jimu, col(Jimu.id) == Assessment.jimu_id)
    q = scope.visible(joined, actor, organisation=Assessment.organisation_id, department=Jimu.department_id)
    if q is None:
        return None
    if department_id:
        q = q.where(col(Jimu.department_id) == department_id)
    if jimu_id:
        q = q.where(col(Assessment.jimu_id) == jimu_id)
    if form:
        q = q.where(col(Assessment.form) == form)
    if assessment_id:
        q = q.where(col(Assessment.id) == assessment_id)
    if assessment_ids is not None:
        q = q.where(col(Assessment.id).in_(assessment_ids))
    if stage:
        newest = select(func.max(AssessmentVersion.id)).group_by(col(AssessmentVersion.assessment_id))
        q = q.where(col(Assessment.id).in_(select(AssessmentVersion.assessment_id).where(
            col(AssessmentVersion.id).in_(newest), AssessmentVersion.stage == stage)))
    return q


def count(session: Session, *, actor: Actor, department_id: int | None = None, jimu_id: int | None = None,
          form: str = "", stage: str = "", assessment_id: int | None = None) -> int:
    """How many 評価書 `rows` lists with the same filters (one statement; for paging)."""
    q = _filtered(actor, department_id=department_id, jimu_id=jimu_id, form=form, stage=stage,
                  assessment_id=assessment_id, columns=(func.count(col(Assessment.id)),))
    return int(session.execute(q).scalar_one()) if q is not None else 0


def rows(session: Session, *, actor: Actor, department_id: int | None = None, jimu_id: int | None = None,
         form: str = "", stage: str = "", assessment_id: int | None = None, limit: int | None = None,
         offset: int = 0, assessment_ids: list[int] | None = None) -> list[AssessmentRow]:
    """The visible 評価書 by 評価書番号 and form, each with its newest version; `limit`/`offset`: one page;
    `assessment_ids`: only these."""
    q = _filtered(actor, department_id=department_id, jimu_id=jimu_id, form=form, stage=stage,
                  assessment_id=assessment_id, assessment_ids=assessment_ids,
                  columns=(*inspect(Assessment).columns, col(Jimu.name).label("jimu_name"),
                           col(Jimu.department_id).label("jimu_department"), col(Jimu.status).label("jimu_status"),
                           col(Jimu.end_date).label("jimu_end")))
    if q is None:
        return []
    q = q.order_by(col(Assessment.number), col(Assessment.form), col(Assessment.id))
    if limit is not None or offset:
        q = q.limit(limit).offset(offset)
    found: Sequence[Any] = session.execute(q).all()  # Rows: the columns of Assessment and the 事務's
    ids = [r.id for r in found]
    latest: dict[int, Any] = {}
    counts: dict[int, int] = {}
    if ids:
        newest = (select(func.max(AssessmentVersion.id)).where(col(AssessmentVersion.assessment_id).in_(ids))
                  .group_by(col(AssessmentVersion.assessment_id)))
        for v in session.exec(select(*inspect(AssessmentVersion).columns)
                              .where(col(AssessmentVersion.id).in_(newest))).all():
            latest[v.assessment_id] = v
        for aid, n in session.exec(select(ImprovementAction.assessment_id, func.count())
                                   .where(col(ImprovementAction.assessment_id).in_(ids),
                                          ImprovementAction.status == "open")
                                   .group_by(col(ImprovementAction.assessment_id))).all():
            counts[aid] = n
    labels = department_labels(list_departments(session, actor.organisation_id)) if actor.organisation_id else {}
    custom = _custom_steps(session, {r.organisation_id for r in found})
    out = []
    for r in found:
        v = latest.get(r.id)
        if stage and (v is None or v.stage != stage):
            continue
        jimu = _JimuView(r.jimu_id, r.jimu_name, r.jimu_department, r.jimu_status, r.jimu_end)
        out.append(AssessmentRow(r, v, jimu, labels.get(r.jimu_department, ""), counts.get(r.id, 0),
                                 workflow.stage_label(v.stage, custom.get(r.organisation_id, [])) if v else "-"))
    return out


def _custom_steps(session: Session, organisation_ids: set[int]) -> dict[int, list[workflow.CustomStep]]:
    """Each body's own procedure steps (one query per body listed: one, except for the bare CLI)."""
    from app.services.procedure import custom_steps

    return {oid: custom_steps(session, oid) for oid in organisation_ids if oid is not None}


@dataclass
class _JimuView:
    id: int
    name: str
    department_id: int
    status: str
    end_date: Any
