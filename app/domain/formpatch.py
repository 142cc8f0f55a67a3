"""A derived form version that adopts an official file's wording (`spia forms verify --write-patch`). Pure.

The manifest `extends` the checked version and holds one `set` patch per differing heading or item, each with a
YAML comment naming the file and the place in it. Items missing from the file and labels the definition does not
have are listed as comments only: removing or adding an item needs a person's decision (and an item id).
"""
from __future__ import annotations

import yaml

from app.domain.forms import Choice, Definition
from app.domain.formverify import Result, Row, normalize


def _dump(value: object) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000).rstrip()


def _choices(d: Definition, row: Row) -> list[str | dict[str, object]]:
    """The file's choices for an item, keeping the attached text box of a choice with the same label or place."""
    item = d.item(row.key)
    old: list[Choice] = item.choices
    by_label = {normalize(c.label): c for c in old}
    out: list[str | dict[str, object]] = []
    for i, label in enumerate(row.found_choices or ()):
        twin = by_label.get(normalize(label)) or (old[i] if i < len(old) else None)
        if twin is not None and twin.text:
            out.append({"label": label, "text": True, **({"text_label": twin.text_label} if twin.text_label else {})})
        else:
            out.append(label)
    return out


def _values(d: Definition, row: Row) -> tuple[dict[str, object], list[str]]:
    values: dict[str, object] = {}
    notes: list[str] = []
    if "number" in row.what:
        values["number"] = row.found_number
    if "label" in row.what:
        values["title" if row.key.startswith("section:") else "label"] = row.found_label
    if "choices" in row.what:
        item = d.item(row.key) if d.has(row.key) else None
        if item is None or item.type not in ("choice", "multi", "multi_text"):
            kind = "判定の選択肢(manifest の judgement)" if item is not None and item.type == "judgement" else "選択肢"
            notes.append(f"{kind}が異なります: {' / '.join(row.found_choices or ())}(手で確認してください)")
        else:
            values["choices"] = _choices(d, row)
    return values, notes


def patch_manifest(d: Definition, result: Result, *, version: str, file_name: str, file_sha256: str,
                   today: str) -> str:
    """The manifest.yaml text of a new version `version` that extends `d` with the file's wording."""
    m = d.manifest
    title = m.title
    patches: list[str] = []
    notes: list[str] = []
    for row in result.rows:
        where = f"{file_name} {row.where}".strip()
        if row.status == "missing":
            notes.append(f"# ファイルにない: {row.key} 「{row.expected}」(削除するかは手で判断してください)")
            continue
        if row.status == "extra":
            notes.append(f"# 定義にない: 「{row.found}」({where})(追加するには項目 ID を決めて insert_after を書きます)")
            continue
        if row.status != "differs":
            continue
        if row.key == "item_list" or row.key.startswith("toc:"):
            notes.append(f"# 項目一覧の「{row.expected}」がファイルでは「{row.found}」({where})(見出しの patch で直ります)")
            continue
        values, extra = _values(d, row)
        notes.extend(f"# {row.key}: {n}" for n in extra)
        if row.key == "title":
            title = row.found_label
            notes.append(f"# 表題をファイルの文言に変更: 「{row.expected}」→「{row.found}」({where})")
            continue
        if not values:
            continue
        target = row.key.removeprefix("section:")
        body = _dump([{"op": "set", "target": target, "values": values}])
        comment = f"  # {where}: 「{row.expected}」→「{row.found}」"
        patches.append(comment + "\n" + "\n".join("  " + line for line in body.splitlines()))
    head = {
        "form": m.form, "version": version, "label": m.label, "label_confirmed": False, "title": title,
        "item_list": m.item_list, **({"effective_from": m.effective_from.isoformat()} if m.effective_from else {}),
        "extends": m.version,
        "version_notes": f"{m.version} を {file_name} の文言に合わせた版(spia forms verify --write-patch、{today})。",
    }
    lines = [f"# spia forms verify --write-patch: {d.key} を {file_name}(sha256 {file_sha256[:16]}…)と照合して作成"
             f"({today})。", "# 相違した見出し・項目名・選択肢を、ファイルの文言に合わせる patches です。確認してから採用してください。",
             _dump(head)]
    lines.append("patches:" + ("" if patches else " []"))
    lines.extend(patches)
    if notes:
        lines.append("# --- 手で確認すること")
        lines.extend(notes)
    return "\n".join(lines) + "\n"
