"""しきい値判断: inputs taken from the register, confirmed or corrected, recorded with reasons."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.domain import threshold as th
from app.domain.counting import FileFact, IncidentFact, RegisterInputs, register_inputs
from app.domain.policy import Actor
from app.domain.text import text_problem
from app.domain.wareki import date_field, wareki
from app.errors import NotFound, ValidationFailed
from app.models import Determination, Jimu, Organisation, SeriousIncident, SpecificFile, pk
from app.models.base import MAX_ID
from app.services import audit
from app.services.organisation import get_organisation
from app.services.register import get_jimu


def file_facts(files: list[SpecificFile]) -> list[FileFact]:
    return [FileFact(f.name, f.kind, f.subjects, f.staff_only, f.subjects_as_of) for f in files]


def incident_facts(incidents: list[SeriousIncident]) -> list[IncidentFact]:
    return [IncidentFact(pk(i), i.occurred_on, i.involves_specific, i.attributable) for i in incidents]


def incidents_of(session: Session, organisation_id: int) -> list[SeriousIncident]:
    return list(session.exec(
        select(SeriousIncident).where(SeriousIncident.organisation_id == organisation_id)
        .order_by(col(SeriousIncident.occurred_on).desc())
    ).all())


def inputs_for(jimu: Jimu, files: list[SpecificFile], incidents: list[SeriousIncident], org: Organisation,
               on: date) -> RegisterInputs:
    return register_inputs(
        file_facts(files), handlers=jimu.handlers, handlers_as_of=jimu.handlers_as_of,
        dedup_subjects=jimu.dedup_subjects, incidents=incident_facts(incidents), on=on, org_kind=org.kind,
    )


def by_id(session: Session, det_id: int | None) -> Determination | None:
    """A determination an authorised row points at (a version's); a user-given id goes through `get`."""
    from app.services import memo

    return memo.get(session, Determination, det_id) if det_id else None


def get(session: Session, *, actor: Actor, det_id: int) -> tuple[Determination, Jimu, list[SeriousIncident]]:
    """A recorded しきい値判断 with its 事務 (the 事務's own visibility rule: 404 / 403) and the 重大事故 it counted."""
    det = session.get(Determination, det_id) if 1 <= det_id <= MAX_ID else None
    if det is None:
        raise NotFound("しきい値判断が見つかりません。")
    jimu = get_jimu(session, actor=actor, jimu_id=det.jimu_id)
    incidents = [i for i in (session.get(SeriousIncident, n) for n in det.incident_ids) if i is not None]
    return det, jimu, incidents


def latest(session: Session, jimu_id: int) -> Determination | None:
    return session.exec(
        select(Determination).where(Determination.jimu_id == jimu_id).order_by(col(Determination.id).desc())
    ).first()


def history(session: Session, jimu_id: int) -> list[Determination]:
    return list(session.exec(
        select(Determination).where(Determination.jimu_id == jimu_id).order_by(col(Determination.id).desc())
    ).all())


def rerun_warning(current: th.ThresholdResult, last: Determination | None) -> str | None:
    """Japanese warning when the register now gives a higher result than the last determination."""
    if last is None:
        return None
    if th.is_higher(current.result, last.result):
        return (f"しきい値判断の再実施が必要です: 登録情報による判定「{current.label}」が、"
                f"前回の判断({wareki(last.determined_on)})の「{th.RESULT_LABEL[last.result]}」より高くなっています。")
    return None


@dataclass
class WizardInput:
    determined_on: str = ""
    subjects: str = ""
    handlers: str = ""
    serious_incident: str = ""  # "yes" | "no"
    exclusions: tuple[str, ...] = ()
    correction_note: str = ""
    voluntary_level: str = ""
    voluntary_reason: str = ""
    note: str = ""


def record(session: Session, *, actor: Actor, jimu_id: int, data: WizardInput, today: date) -> Determination:
    """Validate the confirmed/corrected inputs and store the determination (audited)."""
    jimu = get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    org = get_organisation(session, jimu.organisation_id)
    errors: dict[str, str] = {}
    on = date_field(data.determined_on or today.isoformat(), label="判断日", errors=errors, key="determined_on",
                    not_after=today) or today
    files = session.exec(select(SpecificFile).where(SpecificFile.jimu_id == jimu.id)).all()
    reg = inputs_for(jimu, list(files), incidents_of(session, pk(org)), org, on)
    try:
        inp = th.validate(data.subjects, data.handlers, data.exclusions, org.kind)
    except th.InvalidThresholdInput as exc:
        errors.update(exc.errors)
        inp = None
    incident = data.serious_incident == "yes"
    corrections: dict[str, dict[str, Any]] = {}
    if inp is not None:
        if inp.subjects != reg.subjects:
            corrections["subjects"] = {"register": reg.subjects, "entered": inp.subjects}
        if inp.handlers != reg.handlers:
            corrections["handlers"] = {"register": reg.handlers, "entered": inp.handlers}
        if incident != bool(reg.incident_ids):
            corrections["serious_incident"] = {"register": bool(reg.incident_ids), "entered": incident}
        if set(inp.exclusions) != set(reg.exclusions):
            corrections["exclusions"] = {"register": sorted(reg.exclusions), "entered": sorted(inp.exclusions)}
    if corrections and not data.correction_note.strip():
        errors["correction_note"] = "登録情報と異なる値で判断する場合は、その理由を入力してください。"
    for key, label, limit in (("correction_note", "修正の理由", 2000), ("voluntary_reason", "任意実施の理由", 2000),
                              ("note", "備考", 2000)):
        problem = text_problem(getattr(data, key), label=label, max_len=limit)
        if problem:
            errors[key] = problem
    result = th.determine(th.ThresholdInput(inp.subjects, inp.handlers, incident, inp.exclusions, inp.org_kind)) if inp else None
    voluntary = data.voluntary_level or None
    if voluntary and result is not None:
        if voluntary not in ("basic", "focused", "full"):
            errors["voluntary_level"] = "任意実施の評価を選択してください。"
        elif th.LEVEL_RANK[th.Level(voluntary)] <= th.LEVEL_RANK[result.highest]:
            errors["voluntary_level"] = "任意実施は、義務付けられる評価より上位の評価を選択してください。"
        elif not data.voluntary_reason.strip():
            errors["voluntary_reason"] = "任意実施とする理由を入力してください。"
    if errors or inp is None or result is None:  # (no inp, no result: th.validate reported why in errors)
        raise ValidationFailed(errors)
    det = Determination(
        jimu_id=pk(jimu), determined_on=on, created_by_id=actor.user_id,
        subjects=inp.subjects, subjects_source="manual" if "subjects" in corrections else reg.subjects_source,
        subjects_as_of=reg.subjects_as_of, handlers=inp.handlers, handlers_as_of=reg.handlers_as_of,
        serious_incident=incident, incident_ids=list(reg.incident_ids) if incident else [],
        exclusions=sorted(e.value for e in inp.exclusions), org_kind=org.kind,
        result=result.result, band=result.band, required=[lv.value for lv in result.required],
        procedures=result.as_dict()["procedures"], reasons=list(result.reasons), rule_version=result.rule_version,
        voluntary_level=voluntary, voluntary_reason=data.voluntary_reason.strip() if voluntary else "",
        corrections={**corrections, **({"note": data.correction_note.strip()} if corrections else {})},
        note=data.note.strip(),
    )
    session.add(det)
    session.flush()
    audit.record(session, actor=actor, entity="determination", entity_id=det.id, action="recorded", after=det,
                 note=f"jimu={jimu.id}")
    session.commit()
    return det


def performed_level(det: Determination) -> str | None:
    """The highest assessment level this determination leads to (voluntary upgrade included)."""
    required = det.required[-1] if det.required else None
    if det.voluntary_level and th.LEVEL_RANK[th.Level(det.voluntary_level)] > th.LEVEL_RANK[
            th.Level(required) if required else None]:
        return det.voluntary_level
    return required


def add_incident(session: Session, *, actor: Actor, organisation_id: int, occurred_on: str, summary: str,
                 involves_specific: bool, attributable: bool, today: date) -> SeriousIncident:
    from app.domain.policy import can_manage_register_settings
    from app.errors import Forbidden

    if not can_manage_register_settings(actor):
        raise Forbidden("重大事故の登録は総務・文書担当または管理者が行います。")
    errors: dict[str, str] = {}
    when = date_field(occurred_on, label="発生日", errors=errors, key="occurred_on", required=True,
                      not_after=today) or today
    problem = text_problem(summary, label="概要", max_len=2000, required=True)
    if problem:
        errors["summary"] = problem
    if errors:
        raise ValidationFailed(errors)
    row = SeriousIncident(organisation_id=organisation_id, occurred_on=when, summary=summary.strip(),
                          involves_specific=involves_specific, attributable=attributable, created_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="incident", entity_id=row.id, action="created", after=row)
    session.commit()
    return row
