"""What the guided editor needs to render one page (a fixed number of queries, whatever the size)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from app.domain.answers import empty, skip_reason
from app.domain.completeness import Problem, percent
from app.domain.completeness import scope_values as completeness_scope
from app.domain.forms import Definition, Page
from app.domain.formversion import not_in_force
from app.models import Assessment, AssessmentVersion, ImprovementAction, Jimu, VersionFile, pk
from app.services import catalogue, completeness, formnotice, prefill
from app.services.answers import actions_of, page_lock, version_values, withheld_flags
from app.services.assessments import files as version_files


@dataclass
class OutlineEntry:
    page: Page
    file: VersionFile | None
    status: str
    current: bool


@dataclass
class EditorContext:
    version: AssessmentVersion
    assessment: Assessment
    jimu: Jimu
    definition: Definition
    page: Page
    file: VersionFile | None
    files: list[VersionFile]
    values: dict[str, Any]
    answers: dict[str, Any]   # {item id: .withheld / .withheld_reason} of the page's stored answers
    prefill: dict[str, Any]
    prefill_diff: set[str]
    skipped: dict[str, str]
    actions: dict[str, ImprovementAction]
    lock: int
    outline: list[OutlineEntry]
    problems: list[Problem]
    percent: int
    label: str
    errors: dict[str, str] = field(default_factory=dict)
    editable: bool = True
    readonly_reason: str = ""  # why not editable (assessments.editability): shown above the page
    notice: formnotice.Notice | None = None   # 「この様式の N 項目は公式様式との照合が済んでいません」
    form_warning: str | None = None           # the 様式 version is not in force on the 公表日 (or today)


def build(session: Session, *, version: AssessmentVersion, assessment: Assessment, jimu: Jimu, page_id: str,
          file_uid: str, today: date, editable: bool, overrides: dict[str, Any] | None = None) -> EditorContext:
    d = catalogue.definition(assessment.form, version.form_version)
    page = d.page(page_id)
    # The page lock is read before any answer: under READ COMMITTED (PostgreSQL) a save committed in between
    # then shows up in the answers but not in the lock, so a later save from this page is refused (409) instead
    # of silently reverting it with a lock that is newer than what the user saw.
    lock = page_lock(session, pk(version), page.id, file_uid).lock
    vfiles = version_files(session, pk(version))
    vfile = next((f for f in vfiles if f.uid == file_uid), None)
    all_values = version_values(session, pk(version))
    scope_values = completeness_scope(all_values, file_uid)
    if overrides:
        scope_values.update(overrides)
    computed = prefill.compute(d, prefill.Sources(session, version, assessment))
    scope_prefill = computed.get(file_uid, {})
    diff = {i for i, v in scope_prefill.items()
            if not d.item(i).readonly and i in scope_values and not empty(d.item(i), scope_values[i])
            and scope_values[i] != v}
    prefill.merge_readonly(d, {file_uid: scope_values}, {file_uid: scope_prefill})
    skipped = {}
    for item in page.walk():
        reason = skip_reason(d, item.id, scope_values)
        if reason:
            skipped[item.id] = reason
    all_actions = actions_of(session, pk(assessment))
    acts = {item_id: a for (uid, item_id), a in all_actions.items() if uid == file_uid}
    problems, statuses = completeness.evaluate_version(session, version, assessment, today, values=all_values,
                                                       computed=computed)
    status_of = {(s.page_id, s.file_uid): s.state for s in statuses}
    outline: list[OutlineEntry] = []
    for section in d.sections:  # per-file sections are grouped by file: file 1's pages, then file 2's ...
        pages = [p for p in d.pages if p.section.id == section.id]
        if section.scope == "file":
            for f in vfiles:
                outline.extend(OutlineEntry(p, f, status_of.get((p.id, f.uid), "not_started"),
                                            p.id == page.id and f.uid == file_uid) for p in pages)
        else:
            outline.extend(OutlineEntry(p, None, status_of.get((p.id, ""), "not_started"), p.id == page.id)
                           for p in pages)
    label = catalogue.labels(session).get((d.form, d.version), d.label)
    return EditorContext(
        version=version, assessment=assessment, jimu=jimu, definition=d, page=page, file=vfile, files=vfiles,
        values=scope_values, answers=withheld_flags(session, pk(version), file_uid, {i.id for i in page.walk()}),
        prefill=scope_prefill,
        prefill_diff=diff,
        skipped=skipped, actions=acts, lock=lock, outline=outline,
        problems=problems, percent=percent(statuses), label=label, editable=editable,
        notice=formnotice.notice(session, assessment.organisation_id, d),
        form_warning=not_in_force(label, d.manifest.effective_from, version.published_on, today),
    )


def first_page(d: Definition, files: list[VersionFile]) -> tuple[str, str]:
    p = d.pages[0]
    return p.id, (files[0].uid if p.scope == "file" and files else "")


def progress(session: Session, *, version: AssessmentVersion, assessment: Assessment, today: date) -> int:
    """Completion percentage only (the autosave response): values as plain rows, no consistency checks."""
    _, statuses = completeness.evaluate_version(session, version, assessment, today, checks=False)
    return percent(statuses)
