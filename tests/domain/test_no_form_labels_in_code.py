"""No 様式 wording in Python or templates (issue 12 "Done when"): item labels and choice labels live in the
definitions (assessments/), so that a corrected 様式 is a data change only.

Every item label, printed label (number + label) and choice label of the shipped definitions with 5 characters or
more is looked for as a whole string literal in app/**/*.py (docstrings and comments are not code) and as a whole
quoted string or text node in templates/**/*.html. The few words the 様式 shares with the register, the procedure
and the しきい値判断 are allowed below, each with its reason.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from app.domain import threshold as th
from app.services import catalogue

ROOT = Path(__file__).resolve().parents[2]
MIN_LENGTH = 5

_REGISTER = "a field of the 事務 register / organisation / 計画管理書 that the 様式 names the same way"
_PROCEDURE = "a step or record of the procedure (意見聴取・第三者点検), not an item of the 様式"
ALLOWED: dict[str, str] = {
    "事務の名称": _REGISTER,
    "法令上の根拠": _REGISTER,
    "いつ時点の計数か": _REGISTER,
    "評価書番号": _REGISTER,
    "評価実施機関名": _REGISTER,
    "しきい値判断結果": _REGISTER,
    "500人以上": _REGISTER + " (計画管理書 取扱者数)",
    "500人未満": _REGISTER + " (計画管理書 取扱者数)",
    "システム用ファイル": _REGISTER + " (the kind of a registered file)",
    "その他の電子ファイル(表計算ファイル等)": _REGISTER + " (the kind of a registered file)",
    "第三者点検": _PROCEDURE,
    "期間を短縮する特段の理由": _PROCEDURE,
    "電子メール": _PROCEDURE + " (how an opinion was received)",
    "基礎項目評価": "the name of an assessment level (しきい値判断, FORM_LABEL)",
    "基礎項目評価書": "the name of a form (FORM_LABEL), not the wording of an item",
    "特定個人情報ファイル名": "the 変更箇所 row of a renamed file: files come from the register, not from an item",
}
# The しきい値判断 (指針) defines the bands and results; the determination prints them, and prefill writes them
# into the 様式 only when they are one of the item's choices (prefill._fit).
for _low, _high, _label in th.SUBJECT_BANDS:
    ALLOWED.setdefault(_label, "a band of the しきい値判断 (domain/threshold.py)")
for _label in th.RESULT_LABEL.values():
    ALLOWED.setdefault(_label, "a result of the しきい値判断 (domain/threshold.py)")


def form_wording() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for d in catalogue.catalogue().all():
        for item in d.items():
            for text in {item.label, item.display, *item.choice_labels}:
                if len(text) >= MIN_LENGTH:
                    out.setdefault(text, set()).add(f"{d.key} {item.id}")
        for text in (d.manifest.judgement.choices if d.manifest.judgement else []):
            if len(text) >= MIN_LENGTH:
                out.setdefault(text, set()).add(f"{d.key} judgement")
    return out


def python_literals(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value.strip()


_TEMPLATE_STRING = re.compile(r'"([^"\n]*)"|\'([^\'\n]*)\'|>([^<>{}]*)<')


def template_strings(path: Path):
    text = path.read_text(encoding="utf-8")
    for m in _TEMPLATE_STRING.finditer(text):
        value = next(g for g in m.groups() if g is not None)
        yield text.count("\n", 0, m.start()) + 1, value.strip()


def occurrences() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        found += [(str(path.relative_to(ROOT)), n, s) for n, s in python_literals(path)]
    for path in sorted((ROOT / "templates").rglob("*.html")):
        found += [(str(path.relative_to(ROOT)), n, s) for n, s in template_strings(path)]
    return found


def test_no_form_label_or_choice_lives_in_python_or_templates():
    wording = form_wording()
    hits = [f"{where}:{line}: 「{s}」 ({', '.join(sorted(wording[s])[:2])})"
            for where, line, s in occurrences() if s in wording and s not in ALLOWED]
    assert not hits, "様式の文言がコードにあります(定義から読んでください):\n" + "\n".join(hits)


def test_the_allowlist_is_still_needed():
    """An entry nobody uses any more goes (the list stays as small as the code allows)."""
    wording = form_wording()
    used = {s for _, _, s in occurrences()}
    stale = [label for label in ALLOWED if label not in used or label not in wording]
    bands = {label for *_, label in th.SUBJECT_BANDS} | set(th.RESULT_LABEL.values())
    assert not [s for s in stale if s not in bands], stale


def test_the_scan_sees_a_hard_coded_label(tmp_path):
    """The scanner itself: a label as a Python literal or template text is found; in a comment it is not."""
    label = catalogue.definition("full", "r06-10").item("III.7.r1.1").label
    py = tmp_path / "x.py"
    py.write_text(f'"""{label}"""\n# {label}\nLABEL = "{label}"\n', encoding="utf-8")
    assert [(n, s) for n, s in python_literals(py) if s == label] == [(3, label)]
    html = tmp_path / "x.html"
    html.write_text(f"<th>{label}</th>\n{{{{ f.text('x', '{label}') }}}}\n", encoding="utf-8")
    assert [n for n, s in template_strings(html) if s == label] == [1, 2]
