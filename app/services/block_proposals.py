"""共通記載の変更の提案: after a block changes, every 評価書 whose latest version uses an older revision gets a
proposal. Accepting several makes one 一括変更 of its own (app/services/campaigns.py applies it: a new working
version per published 評価書 with its 変更箇所 rows naming the block; 評価書 in a procedure are skipped); a working
draft takes the change in place. Keeping is recorded. Nothing in a published version changes by itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, select

from app.domain import blocks as B
from app.domain import workflow
from app.domain.answer_types import new_id
from app.domain.answers import ParsedPage
from app.domain.changes import CLASSES
from app.domain.forms import Definition
from app.domain.policy import Actor
from app.errors import ValidationFailed
from app.models import (
    Assessment,
    AssessmentVersion,
    Campaign,
    Jimu,
    TextBlock,
    TextBlockDecision,
    TextBlockUse,
    pk,
)
from app.services import answers, assessments, audit, campaigns, catalogue, text_blocks

STATUS = {"proposed": "反映の判断待ち", "accepted": "反映済み", "kept": "今の記載のまま", "in_procedure": "手続中のため対象外",
          "conflict": "調整と重なるため手で反映"}


@dataclass
class UseChange:
    use: TextBlockUse
    label: str
    before: str                      # what the use holds now
    after: str | None                # after accepting (None: the local edits collide with the block's change)
    value: Any = None                # the item's new value
    entries: dict[str, str] = field(default_factory=dict)
    edits: list[dict[str, Any]] = field(default_factory=list)  # the campaign edits that make the change


@dataclass
class Proposal:
    assessment: Assessment
    jimu: Jimu
    version: AssessmentVersion
    changes: list[UseChange]
    status: str
    decision: TextBlockDecision | None = None

    @property
    def status_label(self) -> str:
        return STATUS[self.status]


def proposals(session: Session, *, actor: Actor, block: TextBlock) -> list[Proposal]:
    """One proposal per 評価書 whose latest version holds this block at an older revision."""
    rows = [r for r in text_blocks.uses_of(session, actor=actor, block_id=pk(block))
            if r.current and r.use.level in B.LINKED and r.use.revision < block.revision]
    decided = {d.assessment_id: d for d in session.exec(select(TextBlockDecision).where(
        TextBlockDecision.block_id == block.id, TextBlockDecision.revision == block.revision)).all()}
    by_assessment: dict[int, list[text_blocks.UseRow]] = {}
    for r in rows:
        by_assessment.setdefault(pk(r.assessment), []).append(r)
    out: list[Proposal] = []
    for group in by_assessment.values():
        a, jimu, v = group[0].assessment, group[0].jimu, group[0].version
        d = catalogue.definition(a.form, v.form_version)
        values = answers.version_values(session, pk(v))
        names = {f.uid: f.name for f in assessments.files(session, pk(v))}
        changes = [_change(session, block, a, d, values, names, r.use) for r in group]
        if pk(a) in decided:
            status = decided[pk(a)].decision
        elif v.stage != "published" and (v.frozen or not workflow.editable(v.stage)):
            status = "in_procedure"
        elif any(c.after is None for c in changes):
            status = "conflict"
        else:
            status = "proposed"
        out.append(Proposal(a, jimu, v, changes, status, decided.get(pk(a))))
    return out


def _change(session: Session, block: TextBlock, a: Assessment, d: Definition, values: dict[str, dict[str, Any]],
            names: dict[str, str], u: TextBlockUse) -> UseChange:
    base = text_blocks.revision_of(session, pk(block), u.revision)
    current = values.get(u.file_uid, {}).get(u.item_id)
    label = (d.item(u.item_id).display if d.has(u.item_id) else u.item_id) + (
        f"【{names.get(u.file_uid, u.file_uid)}】" if u.file_uid else "")
    before = B.held_text(block.kind, current, u.entries or {})
    where = {"item": u.item_id, "forms": [a.form], "only": [f"{a.number}/{a.form}"], "file_uid": u.file_uid}
    if block.kind == "text":
        merged = B.rebase(str(current or ""), base.text if base else "", block.text)
        edits = [{"op": "rebase", "old": base.text if base else "", "text": block.text, **where}]
        return UseChange(u, label, before, merged, merged, {}, edits)
    value, mapping = B.rebase_measures(current, u.entries or {}, base.measures if base else {}, block.measures,
                                       lambda: new_id("m"))
    if value is None:
        return UseChange(u, label, before, None)
    old = {eid: t for _, eid, t in B.entries_of(base.measures if base else {})}
    edits = [{"op": "rebase_measure", "audience": aud, "entry": mapping[eid], "old": old.get(eid, ""), "text": t,
              **where} for aud, eid, t in B.entries_of(block.measures)]
    kept = {eid for _, eid, _ in B.entries_of(block.measures)}
    edits += [{"op": "rebase_measure", "audience": "external", "entry": mid, "old": old.get(eid, ""), "text": "",
               **where} for eid, mid in (u.entries or {}).items() if eid not in kept]
    return UseChange(u, label, before, B.held_text(block.kind, value, mapping), value, mapping, edits)


@dataclass
class AcceptResult:
    campaign: Campaign | None
    in_place: list[Proposal]
    created: int


def accept(session: Session, *, actor: Actor, block_id: int, assessment_ids: list[int], today: date,
           cls: str = "formal") -> AcceptResult:
    """Take the block's change into the chosen 評価書: published ones through one campaign of their own (a new
    working version each), working drafts in place. All or nothing."""
    text_blocks.manage(actor)
    block = text_blocks.get(session, actor=actor, block_id=block_id)
    chosen = [p for p in proposals(session, actor=actor, block=block) if p.assessment.id in set(assessment_ids)]
    if not chosen:
        raise ValidationFailed({"accept": "反映する評価書を選択してください。"})
    blocked = [p for p in chosen if p.status != "proposed"]
    if blocked:
        raise ValidationFailed({"accept": "、".join(f"{p.jimu.name}({p.status_label})" for p in blocked)
                                + " は反映できません。"})
    if cls not in CLASSES:
        raise ValidationFailed({"cls": "重要な変更に当たるかを選択してください。"})
    drafts = [p for p in chosen if p.version.stage != "published"]
    published = [p for p in chosen if p.version.stage == "published"]
    for p in drafts:
        _in_place(session, actor, block, p, today)
    if not published:
        session.commit()
        return AcceptResult(None, drafts, 0)
    c = campaigns.save(session, actor=actor, raw=_spec(session, block, published, today, cls), commit=False)
    changes = {pk(p.assessment): p for p in published}

    def on_applied(result: campaigns.ApplyResult) -> None:
        made = {r.assessment.id: v for r, v in result.created}
        for a_id, p in changes.items():
            v = made.get(a_id)
            if v is not None:
                _move_uses(session, block, pk(v), p.changes)
            _decide(session, actor, block, a_id, "accepted", campaign_id=pk(c), version_id=v.id if v else None,
                    note="" if v else "変更なし(既に同じ記載です)")

    result = campaigns.apply(session, actor=actor, campaign_id=pk(c), today=today, on_applied=on_applied)
    return AcceptResult(c, drafts, len(result.created))


def _spec(session: Session, block: TextBlock, chosen: list[Proposal], today: date, cls: str) -> dict[str, Any]:
    rev = text_blocks.revision_of(session, pk(block), block.revision)
    name = f"共通記載「{block.title}」第{block.revision}版の反映"
    taken = set(session.exec(select(Campaign.name).where(Campaign.organisation_id == block.organisation_id)).all())
    n = 2
    while name in taken:
        name, n = f"共通記載「{block.title}」第{block.revision}版の反映({n})", n + 1
    reason = f"共通記載「{block.title}」を第{block.revision}版に改めたため。" + (rev.reason if rev else "")
    return {"name": name[:200], "reason": reason[:2000], "planned_on": today.isoformat(), "classification": cls,
            "targets": {"assessments": [{"number": p.assessment.number, "form": p.assessment.form} for p in chosen]},
            "edits": [e for p in chosen for ch in p.changes for e in ch.edits]}


def _in_place(session: Session, actor: Actor, block: TextBlock, p: Proposal, today: date) -> None:
    """A working draft takes the change through the editor's write path (locks, 固定 guard, audit)."""
    d = catalogue.definition(p.assessment.form, p.version.form_version)
    for ch in p.changes:
        page_id = d.page_of(ch.use.item_id).id
        lock = answers.page_lock(session, pk(p.version), page_id, ch.use.file_uid).lock
        answers.save_page(session, actor=actor, version_id=pk(p.version), page_id=page_id, file_uid=ch.use.file_uid,
                          lock=str(lock), parsed=ParsedPage(values={ch.use.item_id: ch.value}), today=today,
                          commit=False)
    _move_uses(session, block, pk(p.version), p.changes)
    _decide(session, actor, block, pk(p.assessment), "accepted", version_id=p.version.id, note="作業中の版に反映")


def _move_uses(session: Session, block: TextBlock, version_id: int, changes: list[UseChange]) -> None:
    for ch in changes:
        u = session.exec(select(TextBlockUse).where(TextBlockUse.version_id == version_id,
                                                    TextBlockUse.block_id == block.id,
                                                    TextBlockUse.item_id == ch.use.item_id,
                                                    TextBlockUse.file_uid == ch.use.file_uid)).first()
        if u is not None:
            u.revision, u.entries, u.local_text = block.revision, dict(ch.entries), (ch.after or "")[:40000]
            session.add(u)


def _decide(session: Session, actor: Actor, block: TextBlock, assessment_id: int, decision: str, *,
            campaign_id: int | None = None, version_id: int | None = None, note: str = "") -> TextBlockDecision:
    row = TextBlockDecision(block_id=pk(block), assessment_id=assessment_id, revision=block.revision, decision=decision,
                            campaign_id=campaign_id, version_id=version_id, note=note[:1000],
                            decided_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="block", entity_id=block.id, action=f"proposal_{decision}", after=row)
    return row


def keep(session: Session, *, actor: Actor, block_id: int, assessment_id: int, note: str = "") -> TextBlockDecision:
    """「今の記載のまま」: recorded for this revision (the next change of the block proposes again)."""
    text_blocks.manage(actor)
    block = text_blocks.get(session, actor=actor, block_id=block_id)
    p = next((p for p in proposals(session, actor=actor, block=block) if p.assessment.id == assessment_id), None)
    if p is None or p.status not in ("proposed", "conflict", "in_procedure"):
        raise ValidationFailed({"keep": "この評価書への提案はありません(既に判断済みか、最新の記載です)。"})
    row = _decide(session, actor, block, assessment_id, "kept", note=note.strip() or "今の記載のままとする")
    session.commit()
    return row
