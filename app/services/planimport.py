"""Importing a 計画管理書 (.xlsx, or .csv in UTF-8 or Shift_JIS/cp932) into the register (issue 15 §1).

read_table: the file → header row and rows of text (refusing .xlsm, protected, corrupt and oversized files);
preview: per row 作成 / 更新 / 変更なし / 競合 (with both values) / エラー, and the departments it would create;
apply: the same decisions written in one transaction. A row creates the 事務 (and its department, once
confirmed), the 評価書 with its 評価書番号 and, with a 公表日, a 移行登録 version without content (migration.py).
Nothing registered is ever overwritten: a difference is a conflict, listed. Re-running the same file changes
nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.domain import plansheet as ps
from app.domain.forms import FORM_LABEL
from app.domain.policy import Actor
from app.domain.wareki import wareki
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import Assessment, AssessmentVersion, Department, Jimu, pk
from app.services import audit, catalogue, migration
from app.services.planfile import PlanFileError, Table, read_table  # noqa: F401 - the service's interface

ACTION_LABEL = {"create": "作成", "update": "更新", "unchanged": "変更なし", "conflict": "競合", "error": "エラー"}


@dataclass
class RowPlan:
    line: ps.PlanLine
    action: str
    details: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (what, registered, in the file)

    @property
    def action_label(self) -> str:
        return ACTION_LABEL[self.action]


@dataclass
class Preview:
    table: Table
    mapping: dict[int, str]
    unknown: list[int]
    missing: list[str]
    rows: list[RowPlan]
    new_departments: list[str]

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(ACTION_LABEL, 0)
        for r in self.rows:
            out[r.action] += 1
        return out

    @property
    def ready(self) -> bool:
        return not self.missing and not self.unknown


class _Register:
    """The organisation's register as the rows see it; `write` creates what the rows need as it goes."""

    def __init__(self, session: Session, actor: Actor, org_id: int | None):  # None: the bare CLI actor, no body
        self.s, self.actor, self.org_id = session, actor, org_id
        self.depts = {ps.name_key(d.name): d for d in session.exec(select(Department).where(
            Department.organisation_id == org_id)).all()}
        self.dept_names = {d.id: d.name for d in self.depts.values()}
        self.jimu = {ps.name_key(j.name): j for j in session.exec(select(Jimu).where(Jimu.organisation_id == org_id)).all()}
        self.assessments = {(a.jimu_id, a.form): a for a in session.exec(select(Assessment).where(
            Assessment.organisation_id == org_id)).all()}
        self.numbers = {(a.form, a.number): a for a in self.assessments.values()}
        self.planned_depts: list[str] = []
        self.planned_jimu: set[str] = set()


def preview(session: Session, *, actor: Actor, table: Table, chosen: dict[int, str] | None = None,
            today: date) -> Preview:
    migration.require(actor)
    # copies as list[object]: the domain reads a cell of any type (a .xlsx cell), a Table holds text
    mapping, unknown = ps.match_headers(list(table.headers), chosen)
    missing = ps.missing_fields(mapping)
    lines = ps.read_lines([(n, list(cells)) for n, cells in table.rows], mapping, today) if not missing else []
    reg = _Register(session, actor, actor.organisation_id)
    rows = [_decide(reg, p) for p in lines]
    return Preview(table, mapping, unknown, missing, rows, reg.planned_depts)


def _decide(reg: _Register, p: ps.PlanLine, *, write: bool = False, source: str = "") -> RowPlan:
    if p.errors or p.number is None:  # (a line without errors has its 評価書番号)
        return RowPlan(p, "error", list(p.errors))
    row = RowPlan(p, "create")
    jimu = reg.jimu.get(ps.name_key(p.jimu))
    dept = reg.depts.get(ps.name_key(p.department)) if p.department else None
    if jimu is None and ps.name_key(p.jimu) not in reg.planned_jimu:
        if not p.department:
            return RowPlan(p, "error", ["担当部署がありません(新しい事務の登録に必要です)。"])
        if dept is None and p.department not in reg.planned_depts:
            reg.planned_depts.append(p.department)
        row.details.append(f"事務「{p.jimu}」を登録" + ("" if dept else f"(部署「{p.department}」を作成)"))
    elif jimu is not None and p.department and (dept is None or dept.id != jimu.department_id):
        row.conflicts.append(("担当部署", reg.dept_names.get(jimu.department_id, ""), p.department))
    a = reg.assessments.get((pk(jimu), p.form)) if jimu is not None else None
    if a is None:
        clash = reg.numbers.get((p.form, p.number))
        if clash is not None:
            row.conflicts.append(("評価書番号", f"{clash.number}(別の事務の{FORM_LABEL[clash.form]}で使用済み)", str(p.number)))
        row.details.append(f"{FORM_LABEL[p.form]}(評価書番号 {p.number})を登録")
        row.details.append(f"{migration.LABEL}: 公表日 {wareki(p.published_on)}"
                           + (f"、提出日 {wareki(p.submitted_on)}" if p.submitted_on else "") + f"({migration.NO_CONTENT})"
                           if p.published_on else "公表日がないため、作成中の版として登録")
    else:
        _compare(reg, row, a)
    if row.conflicts:
        row.action = "conflict"
    if jimu is None:
        reg.planned_jimu.add(ps.name_key(p.jimu))
    if write and row.action in ("create", "update"):
        _write(reg, row, p.number, jimu, dept, a, source)
    return row


def _compare(reg: _Register, row: RowPlan, a: Assessment) -> None:
    """An existing 評価書: unchanged, a blank 提出日 of its 移行登録 filled (update), or conflicts."""
    p = row.line
    row.action = "unchanged"
    if a.number != p.number:
        row.conflicts.append(("評価書番号", str(a.number), str(p.number)))
    versions = list(reg.s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id)
                               .order_by(col(AssessmentVersion.seq))).all())
    published = [v for v in versions if v.published_on]
    last = max(published, key=lambda v: v.published_on or date.min) if published else None
    if last is None:
        if p.published_on:
            row.conflicts.append(("公表日", "未公表(作成中・手続中の版があります)", wareki(p.published_on)))
        return
    if last.published_on != p.published_on:
        row.conflicts.append(("公表日", wareki(last.published_on), wareki(p.published_on) or "(記載なし)"))
    elif p.submitted_on and last.submitted_on and last.submitted_on != p.submitted_on:
        row.conflicts.append(("提出日", wareki(last.submitted_on), wareki(p.submitted_on)))
    elif p.submitted_on and not last.submitted_on and last.kind == migration.KIND and not row.conflicts:
        row.action = "update"
        row.details.append(f"{migration.LABEL}の提出日 {wareki(p.submitted_on)} を記録")


def _write(reg: _Register, row: RowPlan, number: int, jimu: Jimu | None, dept: Department | None,
           a: Assessment | None, source: str) -> None:
    s, actor, p = reg.s, reg.actor, row.line
    if row.action == "update":
        v = None if a is None else s.exec(select(AssessmentVersion).where(
            AssessmentVersion.assessment_id == a.id, AssessmentVersion.published_on == p.published_on)).first()
        if a is None or v is None:  # (_compare decides an update for an existing 評価書's published version)
            raise NotFound("更新する評価書の版が見つかりません。")
        before = audit.jsonable(v)
        v.submitted_on = p.submitted_on
        s.add(v)
        audit.record(s, actor=actor, entity="assessment", entity_id=a.id, action="migration_updated", before=before,
                     after=v, note=f"{source}: 提出日")
        return
    org_id = reg.org_id
    if org_id is None:  # (the register of no body is empty: every row creates, and a row needs its body)
        raise Forbidden("計画管理書は評価実施機関ごとに取り込みます(所属のない利用者は取り込めません)。")
    if jimu is None:
        jimu = reg.jimu.get(ps.name_key(p.jimu))
    if jimu is None:
        dept = dept or reg.depts.get(ps.name_key(p.department))
        if dept is None:
            dept = Department(organisation_id=org_id, name=p.department)
            s.add(dept)
            s.flush()
            reg.depts[ps.name_key(dept.name)], reg.dept_names[dept.id] = dept, dept.name
            audit.record(s, actor=actor, entity="department", entity_id=dept.id, action="created", after=dept,
                         note=source)
        jimu = Jimu(organisation_id=org_id, department_id=pk(dept), name=p.jimu)
        s.add(jimu)
        s.flush()
        reg.jimu[ps.name_key(jimu.name)] = jimu
        audit.record(s, actor=actor, entity="jimu", entity_id=jimu.id, action="created", after=jimu, note=source)
    a = Assessment(organisation_id=org_id, jimu_id=pk(jimu), form=p.form, number=number, created_by_id=actor.user_id)
    s.add(a)
    s.flush()
    reg.assessments[(pk(jimu), a.form)] = reg.numbers[(a.form, a.number)] = a
    if p.published_on:
        v = migration.add_sheet_version(s, actor=actor, assessment=a, published_on=p.published_on,
                                        submitted_on=p.submitted_on, source=f"計画管理書「{source}」の{p.line}行目")
    else:
        from app.services.assessments import seed_version

        v = AssessmentVersion(assessment_id=pk(a), seq=1, form_version=catalogue.catalogue().latest(a.form).version,
                              kind="initial", created_by_id=actor.user_id)
        s.add(v)
        s.flush()
        seed_version(s, version=v, assessment=a, actor=actor)
    audit.record(s, actor=actor, entity="assessment", entity_id=a.id,
                 action="migrated" if p.published_on else "created", note=f"{source} {p.line}行目",
                 after={"form": a.form, "number": a.number, "jimu_id": jimu.id, "kind": v.kind,
                        "published_on": p.published_on, "submitted_on": p.submitted_on,
                        "label": migration.LABEL if p.published_on else ""})


def apply(session: Session, *, actor: Actor, table: Table, chosen: dict[int, str] | None = None,
          create_departments: bool = False, today: date) -> Preview:
    """Write the rows to create or update, in one transaction; returns the decisions made (as the preview)."""
    shown = preview(session, actor=actor, table=table, chosen=chosen, today=today)
    names = "」「".join(table.headers[i] for i in shown.unknown)
    if shown.missing:
        raise ValidationFailed({"mapping": f"必要な列がありません: {'、'.join(shown.missing)}"
                                           + (f"(認識できない見出し「{names}」の対応を選んでください)" if names else "")})
    if shown.unknown:
        raise ValidationFailed({"mapping": f"認識できない見出しの列があります(「{names}」)。"
                                           "取り込む項目を選ぶか「取り込まない」を選んでください。"})
    if shown.new_departments and not create_departments:
        raise ValidationFailed({"create_departments": "新しい部署「" + "」「".join(shown.new_departments)
                                                      + "」を作成することを確認してください。"})
    reg = _Register(session, actor, actor.organisation_id)
    rows = [_decide(reg, r.line, write=True, source=table.file_name) for r in shown.rows]
    done = Preview(table, shown.mapping, [], [], rows, shown.new_departments)
    audit.record(session, actor=actor, entity="plan", entity_id=actor.organisation_id or "", action="imported",
                 after={"file": table.file_name, "counts": done.counts,
                        "conflicts": [r.line.line for r in rows if r.action == "conflict"],
                        "errors": [r.line.line for r in rows if r.action == "error"]},
                 note=f"計画管理書の取込み: {table.file_name}")
    session.commit()
    return done


def parse_maps(headers: list[str], maps: list[str]) -> dict[int, str]:
    """`見出し=項目` pairs (項目: a field label such as 評価の種類, or 取り込まない) → column index → field."""
    by_label = {label: f for f, label in ps.FIELDS.items()} | {"取り込まない": ps.IGNORE, **{f: f for f in ps.FIELDS}}
    keys = [ps.header_key(h) for h in headers]
    out: dict[int, str] = {}
    for m in maps:
        head, _, target = m.partition("=")
        f = by_label.get(target.strip())
        if f is None:
            raise ValidationFailed({"map": f"「{m}」: 項目は {'・'.join(ps.FIELDS.values())}・取り込まない のいずれかです。"})
        if ps.header_key(head) not in keys:
            raise ValidationFailed({"map": f"「{m}」: 見出し「{head.strip()}」がファイルにありません。"})
        out[keys.index(ps.header_key(head))] = f
    return out


def as_dict(p: Preview) -> dict[str, Any]:
    return {"file": p.table.file_name, "counts": p.counts, "new_departments": p.new_departments,
            "unknown_headers": [p.table.headers[i] for i in p.unknown], "missing": p.missing,
            "rows": [{"line": r.line.line, "action": r.action, "number": r.line.number, "jimu": r.line.jimu,
                      "form": r.line.form, "published_on": r.line.published_on.isoformat() if r.line.published_on else None,
                      "details": r.details,
                      "conflicts": [{"what": w, "registered": a, "file": b} for w, a, b in r.conflicts]}
                     for r in p.rows]}


def report_lines(p: Preview) -> list[str]:
    out = [f"{p.table.file_name}: " + "、".join(f"{ACTION_LABEL[k]} {n}件" for k, n in p.counts.items())]
    if p.missing:
        out.append(f"必要な列がありません: {'、'.join(p.missing)}")
    for i in p.unknown:
        out.append(f"認識できない見出し「{p.table.headers[i]}」: --map '{p.table.headers[i]}=項目' で指定してください。")
    if p.new_departments:
        out.append("作成する部署: " + "、".join(p.new_departments))
    for r in p.rows:
        head = f"{r.line.line}行目 {r.action_label}: {r.line.jimu} {FORM_LABEL.get(r.line.form, '')}".rstrip()
        out.append(head + (f"({'、'.join(r.details)})" if r.details and r.action != "conflict" else ""))
        out += [f"  競合: {w} — 登録済み「{a}」/ ファイル「{b}」(上書きしていません)" for w, a, b in r.conflicts]
    return out
