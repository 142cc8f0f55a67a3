"""見直し (yearly review): every declared measure of the published version and the audit checklist, an outcome,
and — for 修正が必要 / 再実施が必要 — the next version opened with the findings attached."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from app.domain.answer_types import holds_measures
from app.domain.completeness import item_path
from app.domain.forms import AUDIENCES, Item
from app.domain.policy import Actor, can_manage_register_settings
from app.domain.text import text_problem
from app.domain.wareki import date_field
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models import AnnualReview, AnnualReviewCheck, AssessmentVersion, ChecklistItem, pk
from app.models.base import utcnow
from app.services import assessments, audit, catalogue, locking, revisions, scope
from app.services.answers import version_values

STATUS = {"in_place": "実施中", "partial": "一部実施", "not_in_place": "未実施"}
OUTCOMES = {"no_change": "変更なし", "correction": "修正が必要", "reassessment": "再実施が必要"}


def checklist(session: Session, organisation_id: int, *, active_only: bool = True) -> list[ChecklistItem]:
    q = select(ChecklistItem).where(ChecklistItem.organisation_id == organisation_id)
    if active_only:
        q = q.where(ChecklistItem.active)
    return list(session.exec(q.order_by(col(ChecklistItem.position), col(ChecklistItem.id))).all())


def seed_checklist(session: Session, *, organisation_id: int, path: Path | None = None) -> int:
    """Load the shipped checklist (assessments/checklist.yaml) for an organisation that has none yet."""
    import yaml

    from app.config import get_settings

    if checklist(session, organisation_id, active_only=False):
        return 0
    path = path or get_settings().forms_dir / "checklist.yaml"
    texts = [str(t).strip() for t in (yaml.safe_load(path.read_text(encoding="utf-8")) or []) if str(t).strip()]
    for pos, text in enumerate(texts):
        session.add(ChecklistItem(organisation_id=organisation_id, text=text[:1000], position=pos))
    session.commit()
    return len(texts)


def save_checklist_item(session: Session, *, actor: Actor, text: str, item_id: int | None = None,
                        active: bool = True, lock_version: str | None = None) -> ChecklistItem:
    if not can_manage_register_settings(actor):
        raise Forbidden("内部監査チェックリストは総務・文書担当と管理者が管理します。")
    problem = text_problem(text, label="チェック項目", max_len=1000, required=True)
    if problem:
        raise ValidationFailed({"text": problem})
    row = session.get(ChecklistItem, item_id) if item_id else None
    if item_id and (row is None or not scope.same_body(actor, row.organisation_id)):
        raise NotFound("チェック項目が見つかりません。")
    if row is not None:
        locking.claim_row(session, row, lock_version, message="このチェック項目は他の利用者により先に更新されています。",
                          what="このチェック項目", entity="checklist_item", actor_id=actor.user_id,
                          describe=lambda c: f"「{c.text[:200]}」({'使用中' if c.active else '停止中'})")
    if row is None:
        body = scope.own_body(actor, "内部監査チェックリストは評価実施機関ごとに登録します(所属のない利用者は登録できません)。")
        row = ChecklistItem(organisation_id=body, text=text,
                            position=len(checklist(session, body, active_only=False)))
    row.text, row.active = text.strip(), active
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="checklist_item", entity_id=row.id, action="saved", after=row)
    session.commit()
    return row


def start(session: Session, *, actor: Actor, assessment_id: int, today: date) -> AnnualReview:
    """Open a review of the latest published version: one question per measure, then the checklist."""
    a, _ = assessments.get(session, actor=actor, assessment_id=assessment_id, edit=True)
    assessments.lock_assessment(session, pk(a))  # a concurrent start waits, then finds the open review
    v = session.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id,
                                                     AssessmentVersion.stage == "published")
                     .order_by(col(AssessmentVersion.seq).desc())).first()
    if v is None:
        raise Conflict("見直しは公表済みの評価書について行います。")
    open_review = session.exec(select(AnnualReview).where(AnnualReview.assessment_id == a.id,
                                                          col(AnnualReview.completed_on).is_(None))).first()
    if open_review:
        return open_review
    review = AnnualReview(assessment_id=pk(a), version_id=pk(v), started_on=today, reviewer_id=actor.user_id)
    with locking.unique_or_conflict(session, "この評価書の見直しは既に開始されています。開始済みの見直しを開いてください。"):
        session.add(review)  # ux_annualreview_open: one open review per 評価書
    d = catalogue.definition(a.form, v.form_version)
    files = {f.uid: f.name for f in assessments.files(session, pk(v))}
    pos = 0
    for uid, items in sorted(version_values(session, pk(v)).items(), key=lambda kv: (kv[0] != "", kv[0])):
        for item_id, value in items.items():
            if not d.has(item_id) or not holds_measures(d.item(item_id)) or not isinstance(value, dict):
                continue
            where = f"【{files[uid]}】" if uid in files else ""
            for aud, aud_label in AUDIENCES.items():
                for m in value.get(aud, []):
                    if not str(m.get("text", "")).strip():
                        continue
                    session.add(AnnualReviewCheck(review_id=pk(review), kind="measure", file_uid=uid, item_id=item_id,
                                                  measure_id=str(m.get("id", "")), audience=aud, position=pos,
                                                  label=f"{where}{item_path(d, d.item(item_id))}({aud_label})",
                                                  text=str(m["text"])[:4000]))
                    pos += 1
    for c in checklist(session, a.organisation_id):
        session.add(AnnualReviewCheck(review_id=pk(review), kind="checklist", label="内部監査チェックリスト", text=c.text,
                                      position=pos))
        pos += 1
    audit.record(session, actor=actor, entity="annual_review", entity_id=review.id, action="started",
                 after={"version_id": v.id, "questions": pos})
    session.commit()
    return review


def get(session: Session, *, actor: Actor, review_id: int) -> tuple[AnnualReview, list[AnnualReviewCheck]]:
    review = session.get(AnnualReview, review_id)
    if review is None:
        raise NotFound("見直しの記録が見つかりません。")
    assessments.get(session, actor=actor, assessment_id=review.assessment_id)
    checks = list(session.exec(select(AnnualReviewCheck).where(AnnualReviewCheck.review_id == review.id)
                               .order_by(col(AnnualReviewCheck.position))).all())
    return review, checks


def can_edit(session: Session, *, actor: Actor, review: AnnualReview) -> bool:
    try:
        assessments.get(session, actor=actor, assessment_id=review.assessment_id, edit=True)
    except Forbidden:
        return False
    return True


CHECKLIST = "checklist"  # the slug of the checklist's group
NOTE_REQUIRED = ("partial", "not_in_place")


@dataclass
class Group:
    """The questions of one risk of one 特定個人情報ファイル (or of one heading of Ⅳ, or the checklist)."""

    slug: str  # stable, URL- and id-safe: "checklist", "<file uid>-III_2_r1", "common-IV_1"
    title: str  # 「2.特定個人情報の入手(…) › リスク1: 目的外の入手が行われるリスク」
    part_title: str  # 【住民基本台帳ファイル】, 「Ⅳ その他のリスク対策」 or 「内部監査チェックリスト」
    checks: list[AnnualReviewCheck] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)  # check id → the question within the group

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def answered(self) -> int:
        return sum(1 for c in self.checks if c.status)

    @property
    def unanswered(self) -> int:
        return self.total - self.answered

    @property
    def shortfalls(self) -> int:
        return sum(1 for c in self.checks if c.status in NOTE_REQUIRED)

    @property
    def complete(self) -> bool:
        return self.answered == self.total

    @property
    def full_title(self) -> str:
        return self.part_title if self.title == self.part_title else f"{self.part_title} {self.title}"


@dataclass
class Part:
    """A 特定個人情報ファイル (its Ⅲ), a section answered once (Ⅳ), or the checklist: a list of groups."""

    key: str
    title: str
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)

    @property
    def answered(self) -> int:
        return sum(g.answered for g in self.groups)

    @property
    def shortfalls(self) -> int:
        return sum(g.shortfalls for g in self.groups)

    @property
    def complete(self) -> bool:
        return self.answered == self.total


def _slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", "-".join(p for p in parts if p))[:120]


def outline(session: Session, review: AnnualReview, checks: list[AnnualReviewCheck]) -> list[Part]:
    """The questions as the 評価書 is built: the checklist first, then each 特定個人情報ファイル in the order of
    the 評価書 with its risks (Ⅲ), then the sections answered once (Ⅳ); within them the order of `start`."""
    from app.models import Assessment

    v = session.get(AssessmentVersion, review.version_id)
    a = session.get(Assessment, review.assessment_id)
    if v is None or a is None:  # (the foreign keys keep them)
        raise NotFound("見直しの対象の版が見つかりません。")
    d = catalogue.definition(a.form, v.form_version)
    file_rows = assessments.files(session, pk(v))
    names = {f.uid: f.name for f in file_rows}
    order = {f.uid: i for i, f in enumerate(file_rows)}
    parts: dict[str, Part] = {}
    groups: dict[str, Group] = {}
    listed = [c for c in checks if c.kind == "checklist"]
    if listed:
        head = Part(CHECKLIST, "内部監査チェックリスト")
        g = Group(CHECKLIST, "内部監査チェックリスト", head.title)
        for n, c in enumerate(listed, 1):
            g.checks.append(c)
            g.labels[pk(c)] = f"確認事項{n}"
        head.groups.append(g)
        parts[CHECKLIST] = head
    for c in checks:
        if c.kind != "measure":
            continue
        aud = f"({AUDIENCES[c.audience]})" if c.audience in AUDIENCES else ""
        if d.has(c.item_id):
            section = d.section_of(c.item_id)
            chain: list[Item] = []
            node = d.parent_of(c.item_id)
            while node is not None:
                chain.insert(0, node)
                node = d.parent_of(node.id)
            heading = chain[:2]  # the subsection (「2.特定個人情報の入手」) and its risk (「リスク1: …」)
            inner = [n.display for n in chain[2:]] + [d.item(c.item_id).display]
            group_id = heading[-1].id if heading else section.id
            title = " › ".join(n.display for n in heading) or f"{section.number} {section.title}".strip()
            section_id, section_title = section.id, f"{section.number} {section.title}".strip()
        else:  # an item the 様式 no longer has: kept, under its recorded label
            group_id, title, inner, section_id, section_title = "other", "その他の措置", [c.label], "other", "その他"
        if c.file_uid:
            part_key, part_title = c.file_uid, f"【{names.get(c.file_uid, 'ファイル')}】"
        else:
            part_key, part_title = _slug("common", section_id), section_title
        part = parts.setdefault(part_key, Part(part_key, part_title))
        slug = _slug(c.file_uid or "common", group_id)
        if slug not in groups:
            groups[slug] = Group(slug, title, part_title)
            part.groups.append(groups[slug])
        groups[slug].checks.append(c)
        groups[slug].labels[pk(c)] = " › ".join(inner) + aud

    def rank(p: Part) -> tuple[int, int]:  # sorted() is stable: Ⅳ's headings keep the order of the questions
        if p.key == CHECKLIST:
            return (0, 0)
        return (1, order[p.key]) if p.key in order else (2, 0)

    return sorted(parts.values(), key=rank)


def groups_of(parts: list[Part]) -> list[Group]:
    return [g for p in parts for g in p.groups]


def open_group(parts: list[Part], requested: str = "") -> str:
    """The one group shown open: the one asked for (after a save, an error) or the first with unanswered items."""
    all_groups = groups_of(parts)
    if requested and any(g.slug == requested for g in all_groups):
        return requested
    return next((g.slug for g in all_groups if g.unanswered), "")


def _editable(session: Session, actor: Actor, review_id: int) -> tuple[AnnualReview, list[AnnualReviewCheck]]:
    review, checks = get(session, actor=actor, review_id=review_id)
    assessments.get(session, actor=actor, assessment_id=review.assessment_id, edit=True)
    if review.completed_on:
        raise Conflict("完了した見直しは変更できません。")
    return review, checks


def _answer_problems(c: AnnualReviewCheck, status: str, note: str) -> dict[str, str]:
    errors = {}
    if status and status not in STATUS:
        errors[f"status-{c.id}"] = "実施状況を選択してください。"
    problem = text_problem(note, label="メモ", max_len=2000)
    if problem:
        errors[f"note-{c.id}"] = problem
    elif status in NOTE_REQUIRED and not note.strip():
        errors[f"note-{c.id}"] = f"「{STATUS[status]}」の場合は、状況をメモに記入してください。"
    return errors


def _stale_message(session: Session, c: AnnualReviewCheck, actor: Actor) -> str:
    """Who saved this question last and what it says now (the user sees what is there)."""
    from datetime import UTC

    from app.domain.wareki import TOKYO
    from app.models import User

    session.refresh(c)
    now = f"「{STATUS.get(c.status, '未回答')}」" + (f"(メモ: {c.note[:200]})" if c.note else "")
    when = ""
    if c.answered_at:
        at = c.answered_at if c.answered_at.tzinfo else c.answered_at.replace(tzinfo=UTC)
        at = at.astimezone(TOKYO)
        when = f"{at.month}月{at.day}日 {at:%H:%M}"
    if c.answered_by_id and c.answered_by_id == actor.user_id:
        who = "あなたが別の画面で"
    else:
        user = session.get(User, c.answered_by_id) if c.answered_by_id else None
        who = f"{user.display_name}さんが" if user else "他の利用者が"
    return f"この項目は{who}{when + ' に' if when else '先に'}保存しています。現在の回答: {now}"


def _apply(session: Session, actor: Actor, c: AnnualReviewCheck, status: str, note: str,
           lock_version: int | str | None) -> bool:
    """Store one answer if it differs from what is stored (claiming its lock); False when nothing changed."""
    note = note.strip()
    if c.status == status and c.note == note:
        return False
    try:
        locking.claim_row(session, c, lock_version, message="この項目は他の利用者により先に更新されています。")
    except Conflict as exc:
        exc.message = _stale_message(session, c, actor)
        exc.args = (exc.message,)
        exc.current = {**(exc.current or {}), "check_id": c.id}
        raise
    c.status, c.note = status, note
    c.answered_by_id, c.answered_at = actor.user_id, utcnow()
    session.add(c)
    return True


def save_check(session: Session, *, actor: Actor, review_id: int, check_id: int, status: str, note: str,
               lock_version: int | str | None) -> tuple[AnnualReviewCheck, bool]:
    """Autosave of one question (the page saves each dropdown and memo as it changes).

    A stale `lock_version` (someone saved this question since the page was loaded) is a Conflict (409) naming
    who and when; saving what is already stored changes nothing and claims no lock."""
    review, checks = _editable(session, actor, review_id)
    c = next((x for x in checks if x.id == check_id), None)
    if c is None:
        raise NotFound("見直しの項目が見つかりません。")
    errors = _answer_problems(c, status, note)
    if errors:
        raise ValidationFailed(errors)
    changed = _apply(session, actor, c, status, note, lock_version)
    if changed:
        audit.record(session, actor=actor, entity="annual_review", entity_id=review.id, action="answered",
                     after={c.id: status})
    session.commit()
    return c, changed


def save_answers(session: Session, *, actor: Actor, review_id: int, answers: dict[int, tuple[str, str]],
                 locks: dict[int, str] | None = None) -> int:
    """Save several answers at once (a group's 「保存する」 without JavaScript). Each changed answer claims its
    lock (`locks`: check id → the lock_version shown); one stale answer saves none. Returns how many changed."""
    review, checks = _editable(session, actor, review_id)
    locks = locks or {}
    errors = {}
    for c in checks:
        if c.id in answers:
            errors.update(_answer_problems(c, *answers[c.id]))
    if errors:
        raise ValidationFailed(errors)
    changed = [c.id for c in checks if c.id in answers and _apply(session, actor, c, *answers[c.id], locks.get(c.id))]
    if changed:
        audit.record(session, actor=actor, entity="annual_review", entity_id=review.id, action="answered",
                     after={k: answers[k][0] for k in changed})
    session.commit()
    return len(changed)


def find_group(session: Session, review: AnnualReview, checks: list[AnnualReviewCheck], slug: str) -> Group:
    group = next((g for g in groups_of(outline(session, review, checks)) if g.slug == slug), None)
    if group is None:
        raise NotFound("見直しの区分が見つかりません。")
    return group


def bulk_preview(session: Session, *, actor: Actor, review_id: int, slug: str) -> Group:
    """What the group's 「未回答をすべて「実施中」にする」 would answer (the confirmation names the group and count)."""
    review, checks = _editable(session, actor, review_id)
    return find_group(session, review, checks, slug)


def mark_group(session: Session, *, actor: Actor, review_id: int, slug: str, confirmed: int | str | None,
               status: str = "in_place") -> tuple[Group, int]:
    """Answer every still-unanswered question of one group 「実施中」 (then correct the exceptions one by one).

    Needs the confirmation: `confirmed` is the count the user saw and confirmed. Without it nothing changes
    (ValidationFailed); when the count changed since (someone answered meanwhile) nothing changes (Conflict)."""
    if status != "in_place":
        raise ValidationFailed({"status": "一括で設定できるのは「実施中」だけです。"})
    review, checks = _editable(session, actor, review_id)
    group = find_group(session, review, checks, slug)
    todo = [c for c in group.checks if not c.status]
    seen = locking.parse_expected(confirmed)
    if seen is None:
        raise ValidationFailed({"confirm": f"{group.full_title}の未回答{len(todo)}件を「実施中」にするには、"
                                           "確認の画面で件数を確かめてから実行してください。"})
    if seen != len(todo):
        raise Conflict(f"確認した後に回答が変わりました(確認した未回答 {seen}件、現在 {len(todo)}件)。"
                       "もう一度確認してください。")
    for c in todo:
        locking.bump(session, AnnualReviewCheck, pk(c))
        c.status, c.answered_by_id, c.answered_at = status, actor.user_id, utcnow()
        session.add(c)
    if todo:
        audit.record(session, actor=actor, entity="annual_review", entity_id=review.id, action="answered",
                     after={c.id: status for c in todo}, note=f"一括: {group.full_title}"[:500])
    session.commit()
    return group, len(todo)


def complete(session: Session, *, actor: Actor, review_id: int, outcome: str, findings: str, completed_on: str,
             today: date) -> AnnualReview:
    review, checks = get(session, actor=actor, review_id=review_id)
    assessments.get(session, actor=actor, assessment_id=review.assessment_id, edit=True)
    if review.completed_on:
        raise Conflict("この見直しは既に完了しています。")
    errors = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "見直しの結果を選択してください。"
    unanswered = [c for c in checks if not c.status]
    if unanswered:
        errors["checks"] = f"実施状況が未回答の項目が{len(unanswered)}件あります。"
    missing = [c for c in checks if c.status in ("partial", "not_in_place")]
    if missing and outcome == "no_change":
        errors["outcome"] = f"未実施・一部実施の措置が{len(missing)}件あります。「変更なし」にはできません。"
    day = date_field(completed_on or today.isoformat(), label="完了日", errors=errors, key="completed_on",
                     not_after=today) or today
    problem = text_problem(findings, label="見直しの所見", max_len=20000, required=outcome != "no_change")
    if problem:
        errors["findings"] = problem
    if errors:
        raise ValidationFailed(errors)
    review.outcome, review.findings, review.completed_on = outcome, findings.strip(), day
    if outcome in ("correction", "reassessment"):
        # the next version opens with the findings attached, in the same transaction as the review
        nv = revisions.revise(session, actor=actor, assessment_id=review.assessment_id, commit=False,
                              reason="review" if outcome == "correction" else "review_reassess")
        review.next_version_id = nv.id
    session.add(review)
    audit.record(session, actor=actor, entity="annual_review", entity_id=review.id, action="completed",
                 after={"outcome": outcome, "next_version_id": review.next_version_id, "findings": findings})
    session.commit()
    return review


def opened(session: Session, version_id: int) -> AnnualReview | None:
    """The review whose outcome opened this version (its findings are shown with the version)."""
    return session.exec(select(AnnualReview).where(AnnualReview.next_version_id == version_id)).first()


def shortfalls(session: Session, review_id: int) -> list[AnnualReviewCheck]:
    """Measures and checklist items a review found 未実施 or 一部実施."""
    return list(session.exec(select(AnnualReviewCheck).where(
        AnnualReviewCheck.review_id == review_id, col(AnnualReviewCheck.status).in_(["partial", "not_in_place"]))
        .order_by(col(AnnualReviewCheck.position))).all())


def reviews_of(session: Session, assessment_id: int) -> list[AnnualReview]:
    return list(session.exec(select(AnnualReview).where(AnnualReview.assessment_id == assessment_id)
                             .order_by(col(AnnualReview.started_on).desc(), col(AnnualReview.id).desc())).all())


def report_docx(session: Session, *, actor: Actor, review_id: int) -> tuple[str, bytes]:
    from app.domain.forms import FORM_LABEL
    from app.domain.wareki import wareki
    from app.export.docx import render
    from app.export.model import Cell, ExportDoc, Para, Table

    review, checks = get(session, actor=actor, review_id=review_id)
    a, jimu = assessments.get(session, actor=actor, assessment_id=review.assessment_id)
    title = f"{jimu.name} {FORM_LABEL[a.form]} 見直しの結果"
    head = [Cell([Para.of(h, bold=True)], shade=True) for h in ("項目", "措置・確認事項", "実施状況", "メモ")]
    rows = [head] + [[Cell([Para.of(c.label)]), Cell([Para.of(c.text)]), Cell([Para.of(STATUS.get(c.status, "-"))]),
                      Cell([Para.of(c.note or "-")])] for c in checks]
    info = [("見直しの開始日", wareki(review.started_on)), ("完了日", wareki(review.completed_on) if review.completed_on else "-"),
            ("結果", OUTCOMES.get(review.outcome, "(未完了)")), ("所見", review.findings or "-")]
    doc = ExportDoc(title=title, header_text=title, subject="見直しの結果")
    doc.blocks = [Para.of(title, "Title", align="center"),
                  Table([[Cell([Para.of(k, bold=True)], shade=True), Cell([Para.of(x) for x in v.split("\n")])]
                         for k, v in info], [40, 130]),
                  Para.of("確認した措置と内部監査チェックリスト", "Heading 1"), Table(rows, [44, 76, 18, 32], header_rows=1)]
    return f"{jimu.name}_{FORM_LABEL[a.form]}_見直し_{review.started_on.isoformat()}.docx", render(doc)
