"""The home page: the actor's 事務 with their latest しきい値判断 (a constant number of queries).

Lists read plain rows (column selects), not ORM objects: building hundreds of ORM instances per
request was the largest cost of the page.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

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
             columns: tuple[Any, ...] | None = None) -> Select[Any] | None:
    """The visible 事務 (all the columns of Jimu unless `columns`) with the filters applied (None: none visible)."""
    chosen: Select[Any] = sa_select(*(columns if columns is not None else inspect(Jimu).columns))
    q = scope.visible(chosen, actor, organisation=Jimu.organisation_id, department=Jimu.department_id)
    if q is None:
        return None
    if department_id:
        q = q.where(col(Jimu.department_id) == department_id)
    if jimu_id:
        q = q.where(col(Jimu.id) == jimu_id)
    if jimu_ids is not None:
        q = q.where(col(Jimu.id).in_(jimu_ids))
    return q


def jimu_count(session: Session, *, actor: Actor, department_id: int | None = None) -> int:
    """How many 事務 `jimu_rows` lists for the same user and department (one statement; for paging)."""
    q = _visible(actor, department_id, None, columns=(func.count(col(Jimu.id)),))
    return int(session.execute(q).scalar_one()) if q is not None else 0


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
    q = q.order_by(col(Jimu.department_id), col(Jimu.id))
    if limit is not None or offset:
        q = q.limit(limit).offset(offset)
    jimus: Sequence[Any] = session.execute(q).all()  # Rows with the columns of Jimu
    ids = [j.id for j in jimus]
    files: dict[int, list[Any]] = {i: [] for i in ids}
    latest: dict[int, Any] = {}
    if ids:
        # the same 事務 as a subquery: a list of a thousand ids would be a statement of a thousand placeholders
        chosen: Any = ids if len(ids) <= 100 else q.with_only_columns(col(Jimu.id)).scalar_subquery()
        for f in session.execute(sa_select(*inspect(SpecificFile).columns)
                                 .where(col(SpecificFile.jimu_id).in_(chosen))
                                 .order_by(col(SpecificFile.jimu_id), col(SpecificFile.position),
                                           col(SpecificFile.id))).all():
            files[f.jimu_id].append(f)
        newest = (select(func.max(Determination.id)).where(col(Determination.jimu_id).in_(chosen))
                  .group_by(col(Determination.jimu_id)))
        d_cols: tuple[Any, ...] = ((col(Determination.id), col(Determination.jimu_id), col(Determination.determined_on),
                                    col(Determination.result), col(Determination.required)) if lean
                                   else tuple(inspect(Determination).columns))
        for d in session.execute(sa_select(*d_cols).where(col(Determination.id).in_(newest))).all():
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
