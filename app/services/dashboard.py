"""The home page: the actor's 事務 with their latest しきい値判断 (a constant number of queries).

Lists read plain rows (column selects), not ORM objects: building hundreds of ORM instances per
request was the largest cost of the page.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.domain import threshold as th
from app.domain.counting import FileFact, IncidentFact, register_inputs
from app.domain.policy import Actor
from app.models import Determination, Jimu, Organisation, SpecificFile, pk
from app.services import determinations as dets
from app.services import scope
from app.services.organisation import department_labels, list_departments


@dataclass
class JimuRow:
    jimu: Any  # a Row with the columns of Jimu
    department: str
    files: list[Any]  # Rows with the columns of SpecificFile
    current: th.ThresholdResult
    subjects: int
    latest: Any | None  # a Row with the columns of Determination
    warning: str | None


def _visible(actor: Actor, department_id: int | None, jimu_id: int | None, jimu_ids: list[int] | None = None,
             columns: tuple = tuple(Jimu.__table__.c)):
    q = scope.visible(select(*columns), actor, organisation=Jimu.organisation_id, department=Jimu.department_id)
    if q is None:
        return None
    if department_id:
        q = q.where(Jimu.department_id == department_id)
    if jimu_id:
        q = q.where(Jimu.id == jimu_id)
    if jimu_ids is not None:
        q = q.where(Jimu.id.in_(jimu_ids))
    return q


def jimu_count(session: Session, *, actor: Actor, department_id: int | None = None) -> int:
    """How many 事務 `jimu_rows` lists for the same user and department (one statement; for paging)."""
    q = _visible(actor, department_id, None, columns=(func.count(Jimu.id),))
    return int(session.exec(q).one()) if q is not None else 0


def jimu_rows(session: Session, *, actor: Actor, org: Organisation, today: date,
              department_id: int | None = None, jimu_id: int | None = None, jimu_ids: list[int] | None = None,
              limit: int | None = None, offset: int = 0, lean: bool = False,
              keep: Callable[[Any], bool] | None = None) -> list[JimuRow]:
    """The visible 事務 by department; `jimu_ids`: only these; `limit`/`offset`: one page. `lean`: the latest
    determination with only the columns the 「再実施が必要」 check reads (id, 事務, date, result, required) —
    the rest are JSON columns that cost more to decode than the whole query when every 事務 is read. `keep`: only the
    事務 (rows of Jimu) it accepts get a row — the threshold is not computed for the others (the same statements)."""
    if jimu_ids is not None and not jimu_ids:
        return []
    q = _visible(actor, department_id, jimu_id, jimu_ids)
    if q is None:
        return []
    q = q.order_by(Jimu.department_id, Jimu.id)
    if limit is not None or offset:
        q = q.limit(limit).offset(offset)
    jimus = session.exec(q).all()
    ids = [j.id for j in jimus]
    files: dict[int, list[Any]] = {i: [] for i in ids}
    latest: dict[int, Any] = {}
    if ids:
        # the same 事務 as a subquery: a list of a thousand ids would be a statement of a thousand placeholders
        chosen = ids if len(ids) <= 100 else q.with_only_columns(Jimu.id).scalar_subquery()
        for f in session.exec(select(*SpecificFile.__table__.c).where(SpecificFile.jimu_id.in_(chosen))
                              .order_by(SpecificFile.jimu_id, SpecificFile.position, SpecificFile.id)).all():
            files[f.jimu_id].append(f)
        newest = (select(func.max(Determination.id)).where(Determination.jimu_id.in_(chosen))
                  .group_by(Determination.jimu_id))
        d_cols = (Determination.id, Determination.jimu_id, Determination.determined_on, Determination.result,
                  Determination.required) if lean else tuple(Determination.__table__.c)
        for d in session.exec(select(*d_cols).where(Determination.id.in_(newest))).all():
            latest[d.jimu_id] = d
    incidents = [IncidentFact(pk(i), i.occurred_on, i.involves_specific, i.attributable)
                 for i in dets.incidents_of(session, pk(org))]
    labels = department_labels(list_departments(session, pk(org)))
    rows = []
    for j in jimus:
        if keep is not None and not keep(j):
            continue
        facts = [FileFact(f.name, f.kind, f.subjects, f.staff_only, f.subjects_as_of) for f in files[j.id]]
        inputs = register_inputs(facts, handlers=j.handlers, handlers_as_of=j.handlers_as_of,
                                 dedup_subjects=j.dedup_subjects, incidents=incidents, on=today, org_kind=org.kind)
        current = th.determine(inputs.threshold_input())
        rows.append(JimuRow(
            jimu=j, department=labels.get(j.department_id, ""), files=files[j.id], current=current,
            subjects=inputs.subjects, latest=latest.get(j.id), warning=dets.rerun_warning(current, latest.get(j.id)),
        ))
    return rows
