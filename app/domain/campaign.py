"""一括変更 (change campaigns, pure): one change applied to many 評価書 — the campaign's definition, its edits
applied to one 評価書's answers, the ※ classification (再実施 / 修正) and the procedure scheduled backwards from the
planned change date.

A campaign is data (assessments/README.md, 一括変更): name, reason, planned change date, the 評価書 it applies to
and edits against item ids. Each edit is tried on each 評価書; an edit that does not fit (item absent in the 様式
version, group row not found, a per-評価書 value missing) is reported for that 評価書 and never applied.
"""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.domain import blocks
from app.domain import changes as diffs
from app.domain.answer_types import clean_value, new_id
from app.domain.forms import AUDIENCES, FORMS, Definition
from app.domain.wareki import wareki
from app.domain.workflow import Transition, stage_label

OPS = {
    "set": "項目の記載を置き換える", "append": "項目の記載に追記する", "replace_text": "記載中の語句を置き換える",
    "replace_row": "繰り返し項目の行を置き換える", "upsert_row": "繰り返し項目の行を追加・変更する",
    "add_measure": "リスク対策に措置を追加する",
    # 共通記載 (app/domain/blocks.py): the block went from `old` to `text`; local edits are kept where they do not collide
    "rebase": "共通記載の変更を記載に反映する", "rebase_measure": "共通記載の変更を措置に反映する",
}
# Working days are not counted: a step lasts this many calendar days (overridable per campaign under `durations`).
DURATIONS = {"draft": 14, "internal_check": 14, "public_comment": 30, "comment_revision": 14,
             "third_party_review": 60, "review_revision": 14, "ppc_approval": 60, "approved": 7, "submitted": 7}
CUSTOM_DAYS = 14
KIND_LABEL = {"reassessment": "再実施", "correction": "修正"}
PLACEHOLDER = re.compile(r"\{([^{}\s]{1,40})\}")


class SpecError(ValueError):
    """The campaign file is wrong: `problems` lists each mistake in Japanese."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Edit:
    n: int                      # 1-based position in the file (reported as 「変更3」)
    op: str
    item: str
    forms: frozenset[str]
    text: str = ""
    old: str = ""
    value: Any = None
    match: Mapping[str, str] = field(default_factory=dict)
    row: Mapping[str, Any] = field(default_factory=dict)
    audience: str = ""
    files: str = ""             # file-scope items: only files whose name contains this ("" = every file)
    cls: str = ""               # 重要な変更か for the ※ changes this edit makes ("" = the campaign's default)
    only: frozenset[str] = frozenset()  # only these 評価書 ("評価書番号/様式"; empty = every target)
    file_uid: str = ""          # file-scope items: only this file (by its stable uid)
    entry: str = ""             # rebase_measure: the id of the measure (a new measure gets this id)

    @property
    def title(self) -> str:
        return f"変更{self.n}({OPS[self.op]}: {self.item})"


@dataclass(frozen=True)
class Spec:
    name: str
    reason: str
    planned_on: date
    edits: tuple[Edit, ...]
    targets: Mapping[str, Any]
    values: Mapping[str, Mapping[str, str]]
    classification: str = "important"
    durations: Mapping[str, int] = field(default_factory=dict)


def parse_spec(raw: Any) -> Spec:
    """The campaign file (a dict read from YAML or the campaign's stored spec) checked and typed."""
    p: list[str] = []
    if not isinstance(raw, Mapping):
        raise SpecError(["一括変更の定義は、キーと値の組(YAML のマッピング)で書いてください。"])
    name, reason = str(raw.get("name") or "").strip(), str(raw.get("reason") or "").strip()
    if not name or len(name) > 200:
        p.append("name(一括変更の名称)を200字以内で入力してください。")
    if not reason or len(reason) > 2000:
        p.append("reason(変更の理由。変更箇所の説明に記載されます)を2000字以内で入力してください。")
    planned = raw.get("planned_on")
    if isinstance(planned, str):
        try:
            planned = date.fromisoformat(planned)
        except ValueError:
            planned = None
    if not isinstance(planned, date):
        p.append("planned_on(変更予定日)を YYYY-MM-DD で入力してください。")
    cls = str(raw.get("classification") or "important")
    if cls not in diffs.CLASSES:
        p.append(f"classification は {', '.join(diffs.CLASSES)} のいずれかです。")
    durations = raw.get("durations") or {}
    if not isinstance(durations, Mapping) or any(not isinstance(v, int) or not 0 <= v <= 365 for v in durations.values()):
        p.append("durations は 段階: 日数(0〜365)の組で書いてください。")
        durations = {}
    targets = raw.get("targets") or {}
    if not isinstance(targets, Mapping) or not any(targets.get(k) for k in ("assessments", "jimu", "uses_system")):
        p.append("targets(対象の評価書)に assessments・jimu・uses_system のいずれかを指定してください。")
        targets = {}
    elif targets.get("uses_system") and not isinstance(targets.get("system_items"), Mapping):
        p.append("targets の uses_system には、システムの名称を記載する項目を system_items(様式: 項目ID)で指定してください。")
    values = raw.get("values") or {}
    if not isinstance(values, Mapping) or any(not isinstance(v, Mapping) for v in values.values()):
        p.append("values は 事務名(または 事務名/様式): {名前: 値} の表で書いてください。")
        values = {}
    edits = []
    for n, e in enumerate(raw.get("edits") or [], 1):
        edit, problems = _edit(n, e)
        p.extend(problems)
        if edit:
            edits.append(edit)
    if not edits and not any("edits" in x for x in p):
        p.append("edits(変更内容)を1件以上書いてください。")
    if p or not isinstance(planned, date):  # (planned is a date whenever p is empty)
        raise SpecError(p)
    return Spec(name, reason, planned, tuple(edits), targets,
                {str(k): {str(a): str(b) for a, b in v.items()} for k, v in values.items()}, cls, dict(durations))


def _edit(n: int, e: Any) -> tuple[Edit | None, list[str]]:
    where = f"edits の{n}件目"
    if not isinstance(e, Mapping):
        return None, [f"{where}: op と item を持つマッピングで書いてください。"]
    op, item = str(e.get("op") or ""), str(e.get("item") or "")
    p = []
    if op not in OPS:
        p.append(f"{where}: op は {', '.join(OPS)} のいずれかです。")
    if not item:
        p.append(f"{where}: item(項目ID)を指定してください。")
    forms = e.get("forms") or list(FORMS)
    forms = [forms] if isinstance(forms, str) else forms
    if any(f not in FORMS for f in forms):
        p.append(f"{where}: forms は basic・focused・full のいずれかです。")
    need = {"set": ("value",), "append": ("text",), "replace_text": ("old", "text"), "replace_row": ("match", "row"),
            "upsert_row": ("match", "row"), "add_measure": ("audience", "text"), "rebase": ("old", "text"),
            "rebase_measure": ("audience", "entry")}.get(op, ())
    for key in need:
        if e.get(key) in (None, "", {}):
            p.append(f"{where}: {op} には {key} が必要です。")
    if op in ("add_measure", "rebase_measure") and e.get("audience") and e.get("audience") not in AUDIENCES:
        p.append(f"{where}: audience は {', '.join(AUDIENCES)}(市民・事業者等 / 職員 / システム)のいずれかです。")
    for key in ("match", "row"):
        if key in e and not isinstance(e[key], Mapping):
            p.append(f"{where}: {key} は 子項目ID: 値 の組で書いてください。")
    if e.get("cls") and e["cls"] not in diffs.CLASSES:
        p.append(f"{where}: cls は {', '.join(diffs.CLASSES)} のいずれかです。")
    if p:
        return None, p
    return Edit(n, op, item, frozenset(forms), text=str(e.get("text") or ""), old=str(e.get("old") or ""),
                value=e.get("value"), match={str(k): str(v) for k, v in (e.get("match") or {}).items()},
                row=dict(e.get("row") or {}), audience=str(e.get("audience") or ""), files=str(e.get("files") or ""),
                cls=str(e.get("cls") or ""), only=frozenset(str(x) for x in e.get("only") or []),
                file_uid=str(e.get("file_uid") or ""), entry=str(e.get("entry") or "")), []


# ------------------------------------------------------------------ per-評価書 values


def env_for(spec: Spec, jimu: str, form: str, number: int | str) -> dict[str, str]:
    """The placeholders of one 評価書: {事務名}, {評価書番号}, then the campaign's table (事務名, then 事務名/様式)."""
    env = {"事務名": jimu, "評価書番号": str(number)}
    env.update(spec.values.get(jimu, {}))
    env.update(spec.values.get(f"{jimu}/{form}", {}))
    return env


def fill(text: Any, env: Mapping[str, str], missing: set[str]) -> Any:
    """{name} replaced from env (strings, and strings inside lists/dicts); names without a value go to `missing`."""
    if isinstance(text, str):
        def sub(m: re.Match[str]) -> str:
            if m.group(1) in env:
                return env[m.group(1)]
            missing.add(m.group(1))
            return m.group(0)
        return PLACEHOLDER.sub(sub, text)
    if isinstance(text, list):
        return [fill(x, env, missing) for x in text]
    if isinstance(text, Mapping):
        return {k: fill(v, env, missing) for k, v in text.items()}
    return text


# ------------------------------------------------------------------ applying the edits to one 評価書


@dataclass(frozen=True)
class Problem:
    edit: int
    message: str


@dataclass
class Applied:
    values: dict[str, dict[str, Any]]          # {file uid: {item id: value}} after the edits
    problems: list[Problem]
    touched: dict[str, int]                    # top-level item id -> the edit that changed it (for cls)


def apply_edits(d: Definition, values: Mapping[str, Mapping[str, Any]], files: list[tuple[str, str]],
                edits: tuple[Edit, ...], env: Mapping[str, str]) -> Applied:
    """`env` holds {評価書番号} and the form (d.form): an edit with `only` applies to the 評価書 it names."""
    out = {uid: dict(items) for uid, items in deepcopy(dict(values)).items()}
    problems: list[Problem] = []
    touched: dict[str, int] = {}
    for e in edits:
        if d.form not in e.forms or (e.only and f"{env.get('評価書番号')}/{d.form}" not in e.only):
            continue
        if not d.has(e.item) or not d.item(e.item).answerable or d.item(e.item).readonly:
            problems.append(Problem(e.n, f"{e.title}: 項目「{e.item}」はこの評価書の様式({d.label})にありません。"))
            continue
        missing: set[str] = set()
        e2 = e if e.op in ("rebase", "rebase_measure") else Edit(  # a block's text is taken as it is (no {名前})
            e.n, e.op, e.item, e.forms, fill(e.text, env, missing), fill(e.old, env, missing),
            fill(e.value, env, missing), fill(dict(e.match), env, missing), fill(dict(e.row), env, missing),
            e.audience, fill(e.files, env, missing), e.cls, e.only, e.file_uid, e.entry)
        if missing:
            problems.append(Problem(e.n, f"{e.title}: この評価書の値({'、'.join(sorted(missing))})が values にありません。"))
            continue
        scope = d.section_of(e.item).scope
        uids = [u for u, name in files if e2.files in name and e2.file_uid in ("", u)] if scope == "file" else [""]
        if scope == "file" and not uids:
            problems.append(Problem(e.n, f"{e.title}: 名前に「{e2.files}」を含む特定個人情報ファイルがありません。"))
            continue
        errors = []
        for uid in uids:
            current = out.get(uid, {}).get(e.item)
            new, err = _one(d, e2, current)
            if err:
                errors.append(err if not uid else f"【{dict(files)[uid]}】{err}")
                continue
            if new != current:
                out.setdefault(uid, {})[e.item] = new
                touched.setdefault(e.item, e.n)
        problems.extend(Problem(e.n, f"{e.title}: {m}") for m in errors)
    return Applied(out, problems, touched)


def _one(d: Definition, e: Edit, current: Any) -> tuple[Any, str | None]:
    item = d.item(e.item)
    if e.op in ("append", "replace_text", "rebase") and item.type not in ("text", "longtext"):
        return current, f"{item.display}は文章の項目ではありません(set で値を指定してください)。"
    if e.op == "set":
        value = e.value
    elif e.op == "append":
        text = current or ""
        if e.text.strip() in text:  # already there: re-applying changes nothing
            return current, None
        value = f"{text}\n{e.text}".strip() if text else e.text
    elif e.op == "replace_text":
        text = current or ""
        if e.text in text:  # already replaced: re-applying changes nothing
            return current, None
        if e.old not in text:
            return current, f"{item.display}に「{e.old[:40]}」がありません。"
        value = text.replace(e.old, e.text)
    elif e.op == "rebase":
        value = blocks.rebase(current or "", e.old, e.text)
        if value is None:
            return current, f"{item.display}は、この評価書での調整と共通記載の変更が重なるため反映できません(手で反映してください)。"
    elif e.op == "rebase_measure":
        if item.type != "measures":
            return current, f"{item.display}はリスク対策(措置の一覧)の項目ではありません。"
        value, err = _rebase_measure(current, e)
        if err:
            return current, f"{item.display}: {err}"
    elif e.op in ("replace_row", "upsert_row"):
        if item.type != "group":
            return current, f"{item.display}は繰り返し項目ではありません。"
        rows = [dict(r) for r in (current or [])]
        unknown = [k for k in list(e.match) + list(e.row) if k not in {c.id for c in item.children}]
        if unknown:
            return current, f"{item.display}に子項目「{unknown[0]}」がありません。"
        hit = [r for r in rows if all(v in str(r.get(k) or "") for k, v in e.match.items())]
        if len(hit) > 1:
            return current, f"{item.display}に条件に合う行が{len(hit)}行あります(1行に絞れる条件にしてください)。"
        if not hit and e.op == "replace_row":
            already = [r for r in rows if all(r.get(k) == v for k, v in e.row.items())]
            return current, None if already else f"{item.display}に条件({_match_text(e.match)})に合う行がありません。"
        if hit:
            hit[0].update(e.row)
        else:
            rows.append({"_id": new_id("r"), **e.row})
        value = rows
    else:  # add_measure
        if item.type != "measures":
            return current, f"{item.display}はリスク対策(措置の一覧)の項目ではありません。"
        value = {aud: [dict(m) for m in lst] for aud, lst in (current or {}).items()}
        lst = value.setdefault(e.audience, [])
        if any(str(m.get("text", "")).strip() == e.text.strip() for m in lst):
            return current, None
        lst.append({"id": new_id("m"), "text": e.text})
    clean, err = clean_value(item, value)
    return (current, err) if err else (clean, None)


def _rebase_measure(current: Any, e: Edit) -> tuple[Any, str | None]:
    """The measure `entry` goes from `old` to `text` ("" removes it; a missing one is added with that id)."""
    value = {aud: [dict(m) for m in lst] for aud, lst in (current or {}).items()}
    hit = next(((aud, m) for aud, lst in value.items() for m in lst if m.get("id") == e.entry), None)
    if hit is None:
        if e.text:
            value.setdefault(e.audience, []).append({"id": e.entry, "text": e.text})
        return value, None
    aud, m = hit
    if not e.text:
        if str(m.get("text", "")) != e.old:
            return current, "削除された共通記載の措置が、この評価書で調整されています(手で反映してください)。"
        value[aud].remove(m)
        return value, None
    merged = blocks.rebase(str(m.get("text", "")), e.old, e.text)
    if merged is None:
        return current, "共通記載の措置の変更が、この評価書での調整と重なります(手で反映してください)。"
    m["text"] = merged
    return value, None


def _match_text(match: Mapping[str, str]) -> str:
    return "、".join(f"{k} に「{v}」" for k, v in match.items())


# ------------------------------------------------------------------ classification (the rules of a single revision)


def classify(d: Definition, found: list[diffs.Change], touched: Mapping[str, int], edits: tuple[Edit, ...],
             default: str) -> tuple[dict[str, str], str]:
    """The 「重要な変更か」 answer for every changed ※ item (the edit's `cls`, else the campaign's), and the kind."""
    by_n = {e.n: e for e in edits}
    classes: dict[str, str] = {}
    for c in diffs.unclassified(found, {}):
        top = c.item_id
        parent = d.parent_of(top) if d.has(top) else None
        if parent is not None and parent.type == "group":
            top = parent.id
        edit = by_n.get(touched.get(top, 0))
        classes[diffs.class_key(c.file_uid, c.item_id)] = (edit.cls if edit and edit.cls else default)
    return classes, diffs.kind_of(classes)


# ------------------------------------------------------------------ the procedure, backwards from the change date


def path(table: list[Transition]) -> list[str]:
    """The stages from 作成中 to 公表済 along the shortest forward route (optional steps left out)."""
    prev: dict[str, str | None] = {"draft": None}
    queue = deque(["draft"])
    while queue:
        s = queue.popleft()
        for tr in table:
            if tr.source == s and not tr.backward and tr.target not in prev:
                prev[tr.target] = s
                queue.append(tr.target)
    if "published" not in prev:
        return ["draft", "published"]
    out: list[str] = []
    stage: str | None = "published"
    while stage is not None:
        out.append(stage)
        stage = prev[stage]
    return out[::-1]


@dataclass(frozen=True)
class Step:
    stage: str
    label: str
    latest_start: date

    def as_dict(self, as_of: date) -> dict[str, object]:
        return {"stage": self.stage, "label": self.label, "latest_start": self.latest_start.isoformat(),
                "latest_start_wareki": wareki(self.latest_start), "passed": self.latest_start < as_of}


def schedule(stages: list[str], planned_on: date, durations: Mapping[str, int] | None = None,
             custom_labels: Mapping[str, str] | None = None) -> list[Step]:
    """The last day each stage can start so that the 評価書 is published the day before the change takes effect.

    意見公募 keeps its 30 days (the first day counted, spia-rules §4.4) whatever `durations` says."""
    days = {**DURATIONS, **(durations or {})}
    if "public_comment" in days:
        days["public_comment"] = max(days["public_comment"], 30)
    out: list[Step] = []
    start = planned_on - timedelta(days=1)
    for stage in reversed(stages):
        if stage != "published":
            start -= timedelta(days=days.get(stage, CUSTOM_DAYS))
        label = (custom_labels or {}).get(stage) or stage_label(stage)
        out.append(Step(stage, _step_label(stage, label), start))
    return out[::-1]


def _step_label(stage: str, label: str) -> str:
    return {"draft": "作成(記載の確認)", "public_comment": "意見公募(30日以上)", "published": "公表",
            "submitted": "提出"}.get(stage, label.removesuffix("中"))


def timing(kind: str, steps: list[Step], as_of: date, planned_on: date) -> tuple[str, str, list[str]]:
    """(提出時期, 提出時期に係る説明の追記, warnings): a 再実施 is always 事前 and warns for each start day passed; a 修正
    is 事前 when the procedure can still end before the change, else 事後 with the reason."""
    passed = [s for s in steps if s.latest_start < as_of and s.stage != "published"]
    warnings = [f"{s.label}の開始期限({wareki(s.latest_start)})を過ぎています。" for s in passed]
    if kind == "reassessment":
        if passed:
            warnings.append(f"重要な変更のため、変更予定日({wareki(planned_on)})より前に公表する必要があります。"
                            "変更予定日の見直しを含めて検討してください。")
        return "事前", "", warnings
    if passed:
        return "事後", f"変更予定日({wareki(planned_on)})までに提出・公表が間に合わないため、変更後速やかに提出する。", []
    return "事前", "", []


def next_step(stages: list[str], current: str) -> str | None:
    """The stage after `current` on the route (None when published or off the route)."""
    if current in stages and current != "published":
        return stages[stages.index(current) + 1]
    return None
