"""しきい値判断 (threshold decision), spia-rules §3 and the procedure table of §4.1.

Pure: inputs in, a result with a Japanese reason trace out. Every boundary is "以上/未満".
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

RULE_VERSION = "threshold-2024.10"  # decision table of the 指針 as in force from 令和6年10月1日

MAX_SUBJECTS = 130_000_000  # population of Japan (~1億2,400万) plus margin for 除票・死亡者
MAX_HANDLERS = 1_000_000
HANDLERS_LIMIT = 500


class Level(StrEnum):
    basic = "basic"
    focused = "focused"
    full = "full"


LEVEL_LABEL = {Level.basic: "基礎項目評価", Level.focused: "重点項目評価", Level.full: "全項目評価"}
LEVEL_RANK = {None: 0, Level.basic: 1, Level.focused: 2, Level.full: 3}


class Exclusion(StrEnum):
    staff_only = "staff-only"
    manual_only = "manual-only"


EXCLUSION_LABEL = {
    Exclusion.staff_only: "職員等の人事・給与・福利厚生に関する事項のみを記録したファイルのみを取り扱う事務(規則第4条第1号)",
    Exclusion.manual_only: "手作業処理用ファイルのみを取り扱う事務",
}


class OrgKind(StrEnum):
    local = "local"
    national = "national"


ORG_KIND_LABEL = {OrgKind.local: "地方公共団体等", OrgKind.national: "行政機関等"}

# (lower bound inclusive, upper bound exclusive, label exactly as the form's choice text)
SUBJECT_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 1_000, "1,000人未満(任意実施)"),
    (1_000, 10_000, "1,000人以上1万人未満"),
    (10_000, 100_000, "1万人以上10万人未満"),
    (100_000, 300_000, "10万人以上30万人未満"),
    (300_000, None, "30万人以上"),
)

RESULT_CODES = {
    (): "not_required",
    (Level.basic,): "basic",
    (Level.basic, Level.focused): "basic+focused",
    (Level.basic, Level.full): "basic+full",
}

RESULT_LABEL = {
    "not_required": "特定個人情報保護評価の実施が義務付けられない",
    "basic": "基礎項目評価の実施が義務付けられる",
    "basic+focused": "基礎項目評価及び重点項目評価の実施が義務付けられる",
    "basic+full": "基礎項目評価及び全項目評価の実施が義務付けられる",
}


class InvalidThresholdInput(ValueError):
    """Bad input; `errors` maps the field name to a Japanese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ProcedureStep:
    code: str
    label: str
    required: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "required": self.required}


@dataclass(frozen=True)
class ThresholdInput:
    subjects: int
    handlers: int
    serious_incident: bool = False
    exclusions: frozenset[Exclusion] = frozenset()
    org_kind: OrgKind = OrgKind.local


@dataclass(frozen=True)
class ThresholdResult:
    required: tuple[Level, ...]
    result: str
    band: str
    procedures: tuple[tuple[Level, tuple[ProcedureStep, ...]], ...]
    reasons: tuple[str, ...]
    rule_version: str = RULE_VERSION
    highest: Level | None = field(default=None)

    @property
    def label(self) -> str:
        return RESULT_LABEL[self.result]

    def as_dict(self) -> dict[str, object]:
        return {
            "required": [lv.value for lv in self.required],
            "result": self.result,
            "result_label": self.label,
            "band": self.band,
            "procedures": [
                {"assessment": lv.value, "label": LEVEL_LABEL[lv], "steps": [s.as_dict() for s in steps]}
                for lv, steps in self.procedures
            ],
            "reasons": list(self.reasons),
            "rule_version": self.rule_version,
        }


def subject_band(subjects: int) -> str:
    for lower, upper, label in SUBJECT_BANDS:
        if subjects >= lower and (upper is None or subjects < upper):
            return label
    raise AssertionError("unreachable")


def validate(subjects: object, handlers: object, exclusions: Iterable[str] | None = (),
             org_kind: str = "local") -> ThresholdInput:
    """Check raw values; raise InvalidThresholdInput with Japanese messages per field."""
    errors: dict[str, str] = {}
    subj = _count(subjects, "対象人数", MAX_SUBJECTS, errors, "subjects")
    hand = _count(handlers, "取扱者数", MAX_HANDLERS, errors, "handlers")
    excl: set[Exclusion] = set()
    for raw in exclusions or ():
        try:
            excl.add(Exclusion(raw))
        except ValueError:
            errors["exclusion"] = f"除外の種類「{raw}」は不明です。staff-only または manual-only を指定してください。"
    try:
        kind = OrgKind(org_kind)
    except ValueError:
        errors["org_kind"] = f"機関の種類「{org_kind}」は不明です。local(地方公共団体等)または national(行政機関等)を指定してください。"
        kind = OrgKind.local
    if errors:
        raise InvalidThresholdInput(errors)
    return ThresholdInput(subjects=subj, handlers=hand, exclusions=frozenset(excl), org_kind=kind)


def parse_count(raw: object, label: str, maximum: int, unit: str = "人") -> int:
    """A count typed by a user: 0 or more, at most `maximum`; full-width digits and commas allowed."""
    if isinstance(raw, bool):
        raise ValueError(f"{label}は0以上の整数で入力してください。")
    if isinstance(raw, int):
        value = raw
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
        if not text:
            raise ValueError(f"{label}を入力してください。")
        if not text.isascii() or not text.lstrip("-").isdigit():
            raise ValueError(f"{label}は0以上の整数で入力してください。")
        value = int(text)
    if value < 0:
        raise ValueError(f"{label}に負の数は入力できません。")
    if value > maximum:
        raise ValueError(f"{label} {value:,}{unit}は大きすぎます({maximum:,}{unit}以下で入力してください)。")
    return value


def _count(raw: object, label: str, maximum: int, errors: dict[str, str], key: str) -> int:
    try:
        return parse_count(raw, label, maximum)
    except ValueError as exc:
        errors[key] = str(exc)
        return 0


@lru_cache(maxsize=8192)
def determine(inp: ThresholdInput) -> ThresholdResult:
    """Apply the decision table of spia-rules §3.2 and the procedure table of §4.1."""
    n, reasons = inp.subjects, []
    band = subject_band(n)
    reasons.append(f"対象人数 {n:,}人は「{band}」の区分に該当します。")
    if inp.exclusions:
        for ex in sorted(inp.exclusions):
            reasons.append(f"{EXCLUSION_LABEL[ex]}に該当するため、評価の実施は義務付けられません(任意実施は可能です)。")
        return _result((), band, reasons, inp.org_kind)
    if n < 1_000:
        reasons.append("対象人数が1,000人未満のため、評価の実施は義務付けられません(規則第4条第3号。任意実施は可能です)。")
        return _result((), band, reasons, inp.org_kind)
    if n < 10_000:
        reasons.append("対象人数が1,000人以上1万人未満のため、基礎項目評価の実施が義務付けられます(取扱者数・重大事故は判定に影響しません)。")
        return _result((Level.basic,), band, reasons, inp.org_kind)
    if n >= 300_000:
        reasons.append("対象人数が30万人以上のため、取扱者数・重大事故の有無にかかわらず基礎項目評価及び全項目評価の実施が義務付けられます。")
        return _result((Level.basic, Level.full), band, reasons, inp.org_kind)
    high = _high_risk_reasons(inp, reasons)
    if n < 100_000:
        if high:
            reasons.append("1万人以上10万人未満で上記に該当するため、基礎項目評価及び重点項目評価の実施が義務付けられます。")
            return _result((Level.basic, Level.focused), band, reasons, inp.org_kind)
        reasons.append("1万人以上10万人未満で、取扱者数500人未満かつ重大事故の発生がないため、基礎項目評価の実施が義務付けられます。")
        return _result((Level.basic,), band, reasons, inp.org_kind)
    if high:
        reasons.append("10万人以上30万人未満で上記に該当するため、基礎項目評価及び全項目評価の実施が義務付けられます。")
        return _result((Level.basic, Level.full), band, reasons, inp.org_kind)
    reasons.append("10万人以上30万人未満で、取扱者数500人未満かつ重大事故の発生がないため、基礎項目評価及び重点項目評価の実施が義務付けられます。")
    return _result((Level.basic, Level.focused), band, reasons, inp.org_kind)


def _high_risk_reasons(inp: ThresholdInput, reasons: list[str]) -> bool:
    high = False
    if inp.handlers >= HANDLERS_LIMIT:
        reasons.append(f"取扱者数 {inp.handlers:,}人は500人以上です(委託先の従業者を含む)。")
        high = True
    else:
        reasons.append(f"取扱者数 {inp.handlers:,}人は500人未満です(委託先の従業者を含む)。")
    if inp.serious_incident:
        reasons.append("過去1年以内に評価実施機関において特定個人情報に関する重大事故が発生しています。")
        high = True
    else:
        reasons.append("過去1年以内に特定個人情報に関する重大事故は発生していません。")
    return high


def _result(required: tuple[Level, ...], band: str, reasons: list[str], kind: OrgKind) -> ThresholdResult:
    procedures = tuple((lv, procedure_steps(lv, kind)) for lv in required)
    for lv, steps in procedures:
        if lv is Level.basic:
            continue
        must = "、".join(s.label for s in steps if s.required)
        optional = "、".join(s.label for s in steps if not s.required)
        line = f"{ORG_KIND_LABEL[kind]}の{LEVEL_LABEL[lv]}の手続: {must}"
        if optional:
            line += f"(任意: {optional})"
        reasons.append(line + "。")
    highest = required[-1] if required else None
    return ThresholdResult(
        required=required, result=RESULT_CODES[required], band=band, procedures=procedures,
        reasons=tuple(reasons), highest=highest,
    )


@lru_cache(maxsize=16)
def procedure_steps(level: Level, kind: OrgKind) -> tuple[ProcedureStep, ...]:
    """Procedure steps one assessment needs for the organisation kind (spia-rules §4.1)."""
    submit = ProcedureStep("submit", "個人情報保護委員会への提出")
    publish = ProcedureStep("publish", "公表")
    comment = ProcedureStep("public_comment", "公示・意見聴取(原則30日以上)")
    review = ProcedureStep("third_party_review", "第三者点検")
    approval = ProcedureStep("ppc_approval", "個人情報保護委員会の承認")
    if level is Level.basic:
        return (submit, publish)
    if level is Level.focused:
        return (
            ProcedureStep(comment.code, comment.label, required=False),
            ProcedureStep(review.code, review.label, required=False),
            submit, publish,
        )
    if kind is OrgKind.local:
        return (comment, review, submit, publish)
    return (comment, approval, submit, publish)


def is_higher(new: str, old: str | None) -> bool:
    """True when result code `new` requires more than `old` (None = never determined)."""
    order = ["not_required", "basic", "basic+focused", "basic+full"]
    if old is None:
        return False
    return order.index(new) > order.index(old)


def result_level(result: str) -> Level | None:
    return {"not_required": None, "basic": Level.basic, "basic+focused": Level.focused, "basic+full": Level.full}[result]
