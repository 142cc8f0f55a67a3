"""The 評価書 page (/assessments/{id}) as one view model: the version and its files, completeness, the pair with
its 基礎, the procedure panel (buttons, 意見公募, 第三者点検, 承認), the lifecycle after publication (due dates,
見直し, 改訂) and the file import box. The route only renders it."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from app.domain import workflow
from app.domain.completeness import percent
from app.domain.deadlines import STATUS_LABEL
from app.domain.policy import Actor, can_edit_department
from app.models import Assessment, AssessmentVersion, Jimu, pk
from app.services import actions as action_service
from app.services import (
    annual,
    approval,
    assessment_list,
    assessments,
    catalogue,
    changes,
    comments,
    completeness,
    council,
    determinations,
    due,
    formfiles,
    migration,
    pairing,
    procedure,
    procedure_view,
    revisions,
    snapshots,
    unmapped,
)
from app.services.organisation import get_organisation


def context(session: Session, actor: Actor, aid: int, today: date) -> dict[str, Any]:
    """Everything the 評価書 page shows, including the procedure panel."""
    a, jimu = assessments.get(session, actor=actor, assessment_id=aid)
    versions = assessments.versions(session, pk(a))
    v = versions[-1]
    d = catalogue.definition(a.form, v.form_version)
    vfiles = assessments.files(session, pk(v))
    problems, statuses = completeness.evaluate_version(session, v, a, today)
    done = percent(statuses)  # the same figure as editor.progress (statuses do not depend on the checks)
    org = get_organisation(session, a.organisation_id)
    custom = procedure.custom_steps(session, pk(org))
    return {
        "a": a, "jimu": jimu, "versions": versions, "v": v, "d": d, "files": vfiles, "problems": problems,
        "percent": done, "label": catalogue.labels(session).get((d.form, d.version), d.label),
        "actions": action_service.listing(session, actor=actor, today=today, status="", assessment_id=a.id),
        "KIND": assessment_list.KIND_LABEL,
        "change_rows": changes.rows_of(session, pk(a)), "org": org,
        "stage_label": workflow.stage_label(v.stage, custom),
        "buttons": procedure_view.buttons(session, actor, a, v, org, today, len(problems)),
        "pair": pairing.members(session, jimu_id=pk(jimu), det=determinations.by_id(session, v.determination_id),
                                today=today, current_id=a.id, custom=custom, known={pk(v): done}),
        "can_create": jimu.status != "ended" and can_edit_department(actor, jimu.department_id),
        "FV": catalogue.version_labels(session, a.form),
        "timeline": procedure.timeline_rows(session, pk(v), custom), "custom": custom,
        "label_of": lambda s: workflow.stage_label(s, custom),
        "snapshots": snapshots.of_version(session, pk(v)), "PURPOSE": snapshots.PURPOSE_LABEL,
        "comment": comments.current(session, pk(v)), "review": council.current_review(session, pk(v)),
        "approval": approval.current(session, pk(v)), "date_for": procedure.DATE_FOR, "today": today,
        "councils": council.councils(session, pk(org)),
        "can_migrate": migration.offer(session, actor, v),
        "migrated_label": migration.label(v, migration.without_content(session, [v])),
        "no_content": migration.without_content(session, versions), "NOTHING_TO_PRINT": migration.NOTHING_TO_PRINT,
        **_import_ctx(session, a, v),
        **_lifecycle_ctx(session, actor, a, jimu, versions, v, today),
    }


def _import_ctx(session: Session, a: Assessment, v: AssessmentVersion) -> dict[str, Any]:
    """「ファイルから取り込む」 on the 評価書 page (app/routes/fileimport.py does the import)."""
    return {"import_versions": {a.form: [(d.version, d.label) for d in reversed(catalogue.catalogue().versions(a.form))]},
            "import_limit_mb": formfiles.MAX_BYTES // (1024 * 1024), "open_leftovers": unmapped.open_count(session, pk(v)),
            "last_import": migration.was_imported(session, pk(v)), "import_editable": assessments.content_open(v)}


def _lifecycle_ctx(session: Session, actor: Actor, a: Assessment, jimu: Jimu, versions: list[AssessmentVersion],
                   v: AssessmentVersion, today: date) -> dict[str, Any]:
    """After publication: due dates and flags, yearly reviews, and what 改訂する offers."""
    reviews = annual.reviews_of(session, pk(a))
    ordered = [x.version for x in catalogue.catalogue().versions(a.form)]
    newer = [catalogue.definition(a.form, x) for x in ordered[ordered.index(v.form_version) + 1:]] \
        if v.form_version in ordered else []
    return {"due": due.one(session, actor=actor, assessment=a, jimu=jimu, versions=versions, today=today,
                           reviews=reviews),
            "reviews": reviews, "STATUS_LABEL": STATUS_LABEL,
            "open_review": next((r for r in reviews if r.completed_on is None), None),
            "REASONS": revisions.REASONS, "other_forms": [(x.version, x.label) for x in newer],
            "can_edit": assessments.can_edit(session, actor=actor, assessment=a),
            "has_published": any(x.published_on for x in versions)}
