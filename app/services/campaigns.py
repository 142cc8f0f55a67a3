"""一括変更: save a campaign, plan it (dry run) per 評価書, apply it in one transaction, follow its progress.

The rules are in app/domain/campaign.py; a single revision's services do the writing (revisions.revise, the
editor's answers.save_page, revisions.generate_rows), each asked not to commit, so that the whole campaign is
written or nothing is.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import yaml
from sqlmodel import Session, col, select

from app.domain import campaign as C
from app.domain import changes as diffs
from app.domain import workflow
from app.domain.answers import ParsedPage
from app.domain.forms import FORM_LABEL
from app.domain.policy import Actor
from app.domain.wareki import wareki
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    Campaign,
    CampaignLink,
    ChangeClass,
    ChangeRow,
    Jimu,
    Organisation,
    pk,
)
from app.models.base import utcnow
from app.services import answers, assessments, audit, catalogue, locking, procedure, revisions, scope
from app.services.organisation import get_organisation

SPEC_KEYS = ("name", "reason", "planned_on", "classification", "durations", "targets", "values", "edits")


def _check(actor: Actor) -> None:
    if actor.role not in ("records", "admin", "system"):
        raise Forbidden("一括変更は総務・文書担当または管理者が行います。")


def _body(actor: Actor) -> int:
    """The actor's body: a campaign belongs to one (the bare CLI actor has none)."""
    return scope.own_body(actor, "一括変更は評価実施機関ごとに行います(所属のない利用者は行えません)。")


def read_yaml(text: str) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed({"spec": f"YAML として読めません: {str(exc)[:300]}"}) from None
    if not isinstance(raw, dict):
        raise ValidationFailed({"spec": "一括変更の定義は、キーと値の組(YAML のマッピング)で書いてください。"})
    return raw


def parse(raw: Mapping[str, Any]) -> C.Spec:
    try:
        return C.parse_spec(raw)
    except C.SpecError as exc:
        raise ValidationFailed({f"spec{n}": m for n, m in enumerate(exc.problems)} | {"spec": exc.problems[0]}) from None


def save(session: Session, *, actor: Actor, raw: Mapping[str, Any], commit: bool = True,
         claimed: bool = False) -> Campaign:
    """Create the campaign, or update the one of the same name (reopening it: re-planning picks up new 評価書).

    `claimed`: the caller already moved the row's lock_version from the version its form showed (`update`)."""
    _check(actor)
    spec = parse(raw)
    stored = {k: raw[k] for k in SPEC_KEYS if k in raw} | {"planned_on": spec.planned_on.isoformat()}
    row = session.exec(select(Campaign).where(scope.body_clause(Campaign.organisation_id, actor),
                                              Campaign.name == spec.name)).first()
    before = audit.jsonable(row) if row else None
    if row is None:
        row = Campaign(organisation_id=_body(actor), name=spec.name, planned_on=spec.planned_on,
                       created_by_id=actor.user_id, spec={})
    elif row.spec == audit.jsonable(stored) and not claimed:
        return row
    elif not claimed:  # a definition posted again by name (the list page, the CLI): not an edit of a shown version
        locking.bump(session, Campaign, pk(row))
    row.reason, row.planned_on, row.spec, row.updated_at = spec.reason, spec.planned_on, audit.jsonable(stored), utcnow()
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="campaign", entity_id=row.id, action="updated" if before else "created",
                 before=before, after=row)
    if commit:
        session.commit()
    return row


def update(session: Session, *, actor: Actor, campaign_id: int, raw: Mapping[str, Any],
           lock_version: int | str | None = None) -> Campaign:
    """Edit the definition on the campaign page (the name may change; another campaign's name is refused).

    The page's form carries the campaign's lock_version: a definition changed by someone else since the page was
    shown is refused (409) with what is stored now, instead of overwriting it."""
    c = get(session, actor=actor, campaign_id=campaign_id)
    spec = parse(raw)
    locking.claim_row(session, c, lock_version, message="この一括変更の定義は他の利用者により先に更新されています。",
                      what="この一括変更の定義", entity="campaign", actor_id=actor.user_id,
                      describe=lambda x: f"「{x.name}」(変更予定日 {wareki(x.planned_on)})")
    other = session.exec(select(Campaign).where(Campaign.organisation_id == c.organisation_id,
                                                Campaign.name == spec.name, Campaign.id != c.id)).first()
    if other is not None:
        raise ValidationFailed({"spec": f"「{spec.name}」という名称の一括変更が別にあります。"})
    c.name = spec.name
    session.add(c)
    session.flush()
    return save(session, actor=actor, raw=raw, claimed=True)


def to_yaml(spec: Mapping[str, Any]) -> str:
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=120)


def example_text() -> str:
    from app.config import get_settings

    # app.demo.demo_dir() (the same folder) has no annotations, and a strict module may not call it
    path = get_settings().forms_dir / "demo" / "campaigns" / "gov_cloud.yaml"
    return path.read_text("utf-8") if path.exists() else ""


def get(session: Session, *, actor: Actor, campaign_id: int) -> Campaign:
    _check(actor)
    row = session.get(Campaign, campaign_id)
    if row is None or not scope.same_body(actor, row.organisation_id):
        raise NotFound("一括変更が見つかりません。")
    return row


def all_of(session: Session, *, actor: Actor) -> list[Campaign]:
    _check(actor)
    return list(session.exec(select(Campaign).where(scope.body_clause(Campaign.organisation_id, actor))
                             .order_by(col(Campaign.planned_on), col(Campaign.id))).all())


# ------------------------------------------------------------------ targets


def targets(session: Session, organisation_id: int, spec: C.Spec) -> tuple[list[tuple[Assessment, Jimu]], list[str]]:
    """The 評価書 the campaign applies to (by list, by 事務, by 「uses system X」), in 評価書番号 order; and what
    could not be found."""
    rows = session.exec(select(Assessment, Jimu).join(Jimu, col(Jimu.id) == Assessment.jimu_id)
                        .where(Assessment.organisation_id == organisation_id)).all()
    chosen: dict[int, tuple[Assessment, Jimu]] = {}
    missing: list[str] = []
    for entry in spec.targets.get("assessments") or []:
        if isinstance(entry, str):
            name, _, form = entry.partition("/")
            entry = {"jimu": name, "form": form}
        hit = [(a, j) for a, j in rows if (not entry.get("jimu") or j.name == entry["jimu"])
               and (not entry.get("number") or a.number == int(entry["number"]))
               and (not entry.get("form") or a.form == entry["form"])]
        if not hit or not (entry.get("jimu") or entry.get("number")):
            missing.append(f"評価書「{entry.get('jimu') or entry.get('number')} {entry.get('form') or ''}」が見つかりません。")
        chosen.update({pk(a): (a, j) for a, j in hit})
    for name in spec.targets.get("jimu") or []:
        hit = [(a, j) for a, j in rows if j.name == name]
        if not hit:
            missing.append(f"事務「{name}」の評価書が見つかりません。")
        chosen.update({pk(a): (a, j) for a, j in hit})
    for system in spec.targets.get("uses_system") or []:
        hit = [(a, j) for a, j in rows if _uses(session, a, system, spec.targets.get("system_items") or {})]
        if not hit:
            missing.append(f"システム「{system}」を使用する評価書が見つかりません。")
        chosen.update({pk(a): (a, j) for a, j in hit})
    return sorted(chosen.values(), key=lambda p: (p[0].number, C_FORM_ORDER.get(p[0].form, 9))), missing


C_FORM_ORDER = {"full": 0, "focused": 1, "basic": 2}


def _uses(session: Session, a: Assessment, system: str, items: Mapping[str, Any]) -> bool:
    """「uses system X」: X appears in the item that holds the system names in this form (targets.system_items,
    e.g. full: I.2.1 — a column of the systems group, or a text item)."""
    item_id = items.get(a.form)
    v = assessments.current_version(session, pk(a))
    d = catalogue.definition(a.form, v.form_version)
    if not item_id or not d.has(item_id):
        return False
    parent = d.parent_of(item_id)
    group = parent if parent is not None and parent.type == "group" else None
    for value in session.exec(select(Answer.value).where(Answer.version_id == v.id,
                                                         Answer.item_id == (group.id if group else item_id))).all():
        names = [str(r.get(item_id) or "") for r in value or []] if group else [str(value or "")]
        if any(system in n for n in names):
            return True
    return False


# ------------------------------------------------------------------ plan


@dataclass
class PlanRow:
    assessment: Assessment
    jimu: Jimu
    status: str                    # ready | no_change | skipped | applied
    note: str = ""
    version: AssessmentVersion | None = None      # the published version edited (or the one the campaign opened)
    changes: list[diffs.Change] = field(default_factory=list)
    problems: list[C.Problem] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)
    kind: str = ""
    timing: str = ""
    timing_note: str = ""
    steps: list[C.Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    STATUS: ClassVar[dict[str, str]] = {"ready": "適用できます", "no_change": "変更なし", "skipped": "対象外(手続中)", "applied": "適用済み"}

    def as_dict(self, as_of: date) -> dict[str, Any]:
        a = self.assessment
        return {
            "assessment_id": a.id, "jimu": self.jimu.name, "form": a.form, "form_label": FORM_LABEL[a.form],
            "number": a.number, "status": self.status, "status_label": self.STATUS[self.status], "note": self.note,
            "form_version": self.version.form_version if self.version else "",
            "kind": self.kind, "kind_label": C.KIND_LABEL.get(self.kind, ""), "timing": self.timing,
            "timing_note": self.timing_note,
            "changes": [{"item_id": c.item_id, "file_uid": c.file_uid, "label": c.label, "before": c.before,
                         "after": c.after, "important": c.important,
                         "class": self.classes.get(diffs.class_key(c.file_uid, c.item_id), "")} for c in self.changes],
            "not_applied": [{"edit": p.edit, "message": p.message} for p in self.problems],
            "procedure": [s.as_dict(as_of) for s in self.steps], "warnings": self.warnings,
        }


def _org(session: Session, organisation_id: int) -> tuple[Organisation, list[workflow.CustomStep]]:
    return get_organisation(session, organisation_id), procedure.custom_steps(session, organisation_id)


def route(form: str, org: Organisation, custom: list[workflow.CustomStep], kind: str) -> list[str]:
    return C.path(workflow.transitions(form, org.kind, custom, kind))


def plan(session: Session, *, actor: Actor, spec: C.Spec, as_of: date, campaign_id: int | None = None
         ) -> tuple[list[PlanRow], list[str]]:
    """Per 評価書: the item diff, 再実施/修正, 提出時期, the procedure's latest start days, what does not fit."""
    _check(actor)
    org_id = _body(actor)
    org, custom = _org(session, org_id)
    labels = {f"custom:{c.key}": c.label for c in custom}
    chosen, missing = targets(session, org_id, spec)
    links = {x.assessment_id: x for x in session.exec(select(CampaignLink).where(
        CampaignLink.campaign_id == campaign_id))} if campaign_id else {}
    out: list[PlanRow] = []
    for a, jimu in chosen:
        v = assessments.current_version(session, pk(a))
        if pk(a) in links:
            link = links[pk(a)]
            out.append(PlanRow(a, jimu, "applied", "この一括変更で作成した版があります(再適用しても変わりません)。",
                               session.get(AssessmentVersion, link.version_id), kind=link.kind))
            continue
        if v.stage != "published":
            out.append(PlanRow(a, jimu, "skipped", f"第{v.seq}版が「{workflow.stage_label(v.stage, custom)}」です。"
                               "手続中の版があるため対象外としました(その版の手続を終えてから適用してください)。", v))
            continue
        d = catalogue.definition(a.form, v.form_version)
        values = answers.version_values(session, pk(v))
        files = [(f.uid, f.name) for f in assessments.files(session, pk(v))]
        applied = C.apply_edits(d, values, files, spec.edits, C.env_for(spec, jimu.name, a.form, a.number))
        found = diffs.diff(d, values, files, d, applied.values, files)
        classes, kind = C.classify(d, found, applied.touched, spec.edits, spec.classification)
        steps = C.schedule(route(a.form, org, custom, kind), spec.planned_on, spec.durations, labels)
        timing, note, warnings = C.timing(kind, steps, as_of, spec.planned_on)
        out.append(PlanRow(a, jimu, "ready" if found else "no_change", "" if found else "この評価書に変更はありません。",
                           v, found, applied.problems, classes, kind, timing, note, steps, warnings, applied.values))
    return out, missing


# ------------------------------------------------------------------ apply


@dataclass
class ApplyResult:
    campaign: Campaign
    created: list[tuple[PlanRow, AssessmentVersion]]
    rows: list[PlanRow]
    missing: list[str]


def apply(session: Session, *, actor: Actor, campaign_id: int, today: date,
          on_applied: Callable[[ApplyResult], None] | None = None) -> ApplyResult:
    """One new working version per 評価書 that changes, with the edits and its 変更箇所 rows, linked to the campaign.
    All or nothing: any failure rolls the whole campaign back. 評価書 already linked are left as they are.
    `on_applied` writes what the caller keeps beside the campaign (共通記載: the uses' new revision) before the
    commit, inside the same transaction."""
    campaign = get(session, actor=actor, campaign_id=campaign_id)
    spec = parse(campaign.spec)
    rows, missing = plan(session, actor=actor, spec=spec, as_of=today, campaign_id=campaign.id)
    created: list[tuple[PlanRow, AssessmentVersion]] = []
    try:
        for r in rows:
            if r.status == "ready":
                created.append((r, _apply_one(session, actor, campaign, spec, r, today)))
        if created:
            audit.record(session, actor=actor, entity="campaign", entity_id=campaign.id, action="applied",
                         after={"versions": [v.id for _, v in created], "skipped": [
                             r.assessment.id for r in rows if r.status == "skipped"]})
        result = ApplyResult(campaign, created, rows, missing)
        if on_applied is not None:
            on_applied(result)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def _apply_one(session: Session, actor: Actor, campaign: Campaign, spec: C.Spec, r: PlanRow,
               today: date) -> AssessmentVersion:
    a = r.assessment
    v = revisions.revise(session, actor=actor, assessment_id=pk(a), reason="change", planned_change_on=spec.planned_on,
                         commit=False)
    vid = pk(v)
    d = catalogue.definition(a.form, v.form_version)
    by_page: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for c in r.changes:
        if c.item_id == diffs.FILE_ITEM:
            continue
        top = c.item_id
        parent = d.parent_of(top)
        top = parent.id if parent is not None and parent.type == "group" else top
        by_page[(d.page_of(top).id, c.file_uid)][top] = r.values[c.file_uid][top]
    for (page_id, uid), vals in by_page.items():
        lock = answers.page_lock(session, vid, page_id, uid).lock
        answers.save_page(session, actor=actor, version_id=vid, page_id=page_id, file_uid=uid, lock=str(lock),
                          parsed=ParsedPage(values=vals), today=today, commit=False)
    for key, cls in r.classes.items():
        uid, _, item_id = key.partition("|")
        session.add(ChangeClass(version_id=vid, file_uid=uid, item_id=item_id, decision=cls,
                                decided_by_id=actor.user_id))
    session.flush()
    revisions.generate_rows(session, actor=actor, version_id=vid, today=today, commit=False)
    note = "\n".join(x for x in (f"{spec.name}: {spec.reason}", r.timing_note) if x)[:2000]
    for row in session.exec(select(ChangeRow).where(ChangeRow.assessment_id == a.id, ChangeRow.version_seq == v.seq)):
        row.timing, row.timing_note, row.changed_on = r.timing, note, spec.planned_on
        session.add(row)
    session.add(CampaignLink(campaign_id=pk(campaign), assessment_id=pk(a), version_id=vid, kind=v.kind,
                             applied_by_id=actor.user_id))
    audit.record(session, actor=actor, entity="assessment_version", entity_id=v.id, action="campaign_applied",
                 after={"campaign": campaign.id, "kind": v.kind, "changes": len(r.changes),
                        "not_applied": [p.message for p in r.problems]}, note=spec.name)
    session.flush()
    return v
