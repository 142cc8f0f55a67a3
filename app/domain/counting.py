"""From register facts to しきい値判断 inputs (pure): 対象人数, exclusions, 重大事故 within 1 year."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.threshold import Exclusion, OrgKind, ThresholdInput, ThresholdResult, determine


@dataclass(frozen=True)
class FileFact:
    name: str
    kind: str  # system | other_electronic | manual
    subjects: int
    staff_only: bool = False
    subjects_as_of: date | None = None


@dataclass(frozen=True)
class IncidentFact:
    id: int
    occurred_on: date
    involves_specific: bool = True
    attributable: bool = True


@dataclass(frozen=True)
class RegisterInputs:
    subjects: int
    subjects_source: str  # sum | dedup
    subjects_as_of: date | None
    counted_files: tuple[str, ...]
    excluded_files: tuple[str, ...]
    handlers: int
    handlers_as_of: date | None
    incident_ids: tuple[int, ...]
    exclusions: frozenset[Exclusion]
    org_kind: OrgKind

    def threshold_input(self) -> ThresholdInput:
        return ThresholdInput(
            subjects=self.subjects, handlers=self.handlers, serious_incident=bool(self.incident_ids),
            exclusions=self.exclusions, org_kind=self.org_kind,
        )


def one_year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def incidents_within_year(incidents: Sequence[IncidentFact], on: date) -> tuple[int, ...]:
    """重大事故 involving 特定個人情報, attributable to the body, in (on - 1 year, on]."""
    start = one_year_before(on)
    return tuple(i.id for i in incidents
                 if i.involves_specific and i.attributable and start < i.occurred_on <= on)


def register_inputs(
    files: Sequence[FileFact], *, handlers: int, handlers_as_of: date | None, dedup_subjects: int | None,
    incidents: Sequence[IncidentFact], on: date, org_kind: str,
) -> RegisterInputs:
    """Staff-only files do not count toward 対象人数; the de-duplicated total wins when entered."""
    counted = [f for f in files if not f.staff_only]
    excluded = [f for f in files if f.staff_only]
    exclusions: set[Exclusion] = set()
    if files and all(f.staff_only for f in files):
        exclusions.add(Exclusion.staff_only)
    if files and all(f.kind == "manual" for f in files):
        exclusions.add(Exclusion.manual_only)
    total = sum(f.subjects for f in counted)
    as_of_dates = [f.subjects_as_of for f in counted if f.subjects_as_of]
    source = "sum"
    if dedup_subjects is not None:
        total, source = dedup_subjects, "dedup"
    return RegisterInputs(
        subjects=total, subjects_source=source, subjects_as_of=min(as_of_dates) if as_of_dates else None,
        counted_files=tuple(f.name for f in counted), excluded_files=tuple(f.name for f in excluded),
        handlers=handlers, handlers_as_of=handlers_as_of,
        incident_ids=incidents_within_year(incidents, on), exclusions=frozenset(exclusions),
        org_kind=OrgKind(org_kind),
    )


def evaluate(inputs: RegisterInputs) -> ThresholdResult:
    return determine(inputs.threshold_input())
