"""Values the register and the procedure give to items (`prefill` in the definitions).

They seed a new version and stay linked: when the stored answer differs from the value computed
now, the editor shows 「登録情報と異なります」.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.domain import threshold as th
from app.domain.forms import FORM_LABEL, Definition, Item
from app.errors import NotFound
from app.models import (
    Assessment,
    AssessmentVersion,
    Determination,
    Jimu,
    SpecificFile,
    VersionFile,
    pk,
)
from app.services.organisation import department_labels, get_organisation, list_departments


@dataclass(frozen=True)
class Pick:
    """A choice given by its position in the item's choice list (the wording stays in the 様式 definition)."""

    index: int


FILE_KIND_POSITION = {"system": 0, "other_electronic": 1}   # システム用ファイル / その他の電子ファイル
FILE_BAND_UPPER = (10_000, 100_000, 1_000_000, 10_000_000)   # Ⅱ2② 対象となる本人の数: 5 bands, the last open-ended
SUBMITTED_POSITION = {None: 0, "basic": 0, "focused": 1, "full": 2}  # 基礎 / 基礎及び重点 / 基礎及び全項目


def declaration(org_name: str, jimu_name: str) -> str:
    return (f"{org_name}は、{jimu_name}における特定個人情報ファイルの取扱いに当たり、特定個人情報ファイルの取扱いが"
            "個人のプライバシー等の権利利益に影響を及ぼしかねないことを認識し、特定個人情報の漏えいその他の事態を"
            "発生させるリスクを軽減させるために適切な措置を講じ、もって個人のプライバシー等の権利利益の保護に"
            "取り組んでいることを宣言する。")


def file_band(subjects: int) -> Pick:
    return Pick(next((n for n, upper in enumerate(FILE_BAND_UPPER) if subjects < upper), len(FILE_BAND_UPPER)))


class Sources:
    """Everything prefill needs for one version, loaded in a fixed number of queries."""

    def __init__(self, session: Session, version: AssessmentVersion, assessment: Assessment):
        self.version, self.assessment = version, assessment
        from app.services import memo

        jimu = memo.get(session, Jimu, assessment.jimu_id)
        if jimu is None:  # the assessment's 事務 is a foreign key: always there
            raise NotFound("評価書が見つかりません。")
        self.jimu = jimu
        self.org = get_organisation(session, assessment.organisation_id)
        self.det = memo.get(session, Determination, version.determination_id) if version.determination_id else None
        self.dept = department_labels(list_departments(session, pk(self.org))).get(jimu.department_id, "")
        reg = session.exec(select(SpecificFile).where(SpecificFile.jimu_id == jimu.id)
                           .order_by(col(SpecificFile.position))).all()
        self.register_files = {f.id: f for f in reg}
        from app.services.assessments import files as version_files

        self.files = version_files(session, pk(version))

    def assessment_value(self, source: str, form: str) -> Any:
        det, jimu = self.det, self.jimu
        performed = None
        if det is not None:
            from app.services.determinations import performed_level

            performed = performed_level(det)
        table: dict[str, Any] = {
            "assessment.number": self.assessment.number,
            "version.published_on": _iso(self.version.published_on),
            "version.approved_on": _iso(self.version.approved_on),
            "org.name": self.org.name,
            "declaration": declaration(self.org.name, jimu.name),
            "jimu.name": jimu.name,
            "jimu.title": f"{jimu.name} {FORM_LABEL[form]}",
            "jimu.legal_basis": jimu.legal_basis,
            "jimu.department": self.dept,
            "files.names": "\n".join(f.name for f in self.files),
        }
        if det is not None:
            table.update({
                "det.band": det.band,
                "det.subjects_as_of": _iso(det.subjects_as_of),
                "det.handlers_band": Pick(0 if det.handlers >= th.HANDLERS_LIMIT else 1),  # 500人以上 / 500人未満
                "det.handlers_as_of": _iso(det.handlers_as_of),
                "det.incident": Pick(0 if det.serious_incident else 1),                    # 発生あり / 発生なし
                "det.result_basic": th.RESULT_LABEL[det.result],
                "det.result_full": ("voluntary", det.result) if det.voluntary_level else th.RESULT_LABEL[det.result],
                "det.determined_on": _iso(det.determined_on),
                "det.submitted_kind": Pick(SUBMITTED_POSITION[performed]),
            })
        return table.get(source)

    def file_value(self, source: str, vf: VersionFile) -> Any:
        reg = self.register_files.get(vf.register_file_id) if vf.register_file_id else None
        if source == "file.name":
            return vf.name
        if reg is None:
            return None
        if source == "file.kind_full":
            return Pick(FILE_KIND_POSITION[reg.kind]) if reg.kind in FILE_KIND_POSITION else None
        if source == "file.subjects_band":
            return file_band(reg.subjects)
        return None


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _fit(item: Item, value: Any) -> Any:
    """Make a computed value fit the item: a choice must be one of its labels (任意実施 variants allowed)."""
    if isinstance(value, tuple) and value[0] == "voluntary":
        base = th.RESULT_LABEL[value[1]]
        voluntary = f"{base}(任意実施)"
        labels = item.choice_labels
        return voluntary if voluntary in labels else (base if base in labels else None)
    if value is None:
        return None
    if isinstance(value, Pick):
        labels = item.choice_labels
        return labels[value.index] if item.type == "choice" and value.index < len(labels) else None
    if item.type in ("choice", "judgement"):
        if value in item.choice_labels:
            return value
        # 基礎項目評価の実施が義務付けられる vs …(任意実施) variants in the 全項目 Ⅵ1
        for label in item.choice_labels:
            if label.startswith(str(value)):
                return label
        return None
    if item.type == "number":
        return value if isinstance(value, int) else None
    return value


def merge_readonly(d: Definition, values: dict[str, dict[str, Any]], computed: dict[str, dict[str, Any]]
                   ) -> dict[str, dict[str, Any]]:
    """Read-only items show and print what the register and the procedure give now, never a stored answer:
    `computed` (from `compute`) merged into `values` ({file uid or '': {item id: value}}) in place, which is returned.
    The editor merges one scope, the export every scope."""
    for uid, items in computed.items():
        for item_id, value in items.items():
            if d.item(item_id).readonly:
                values.setdefault(uid, {})[item_id] = value
    return values


def compute(d: Definition, src: Sources) -> dict[str, dict[str, Any]]:
    """{file uid or '': {item id: value}} for every item with a prefill source."""
    out: dict[str, dict[str, Any]] = {"": {}}
    for vf in src.files:
        out[vf.uid] = {}
    for item in d.items():
        if not item.prefill:
            continue
        if d.section_of(item.id).scope == "file":
            for vf in src.files:
                v = _fit(item, src.file_value(item.prefill, vf))
                if v is not None:
                    out[vf.uid][item.id] = v
        else:
            v = _fit(item, src.assessment_value(item.prefill, d.form))
            if v is not None:
                out[""][item.id] = v
    return out
