"""The definition loader and schema, on a small fixture form and on broken copies of it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.domain.forms import DefinitionError, load_definition

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "forms"


@pytest.fixture
def mini():
    return load_definition(FIXTURE / "full" / "t1", base_dir=FIXTURE)


def test_fixture_loads_with_pages_and_important_items(mini):
    assert [p.id for p in mini.pages] == ["cover", "I", "II", "II~II.entrust", "III~III.4", "III~III.7"]
    assert mini.important_ids() == {"I.1.2", "II.entrust.has", "II.entrust.rows.scope", "III.4.none", "III.4.r.m",
                                    "III.4.r.j", "III.7.r1.m"}
    assert not mini.is_important("III.7.r1.incident"), "opted out of the section ※"
    assert mini.item("III.4.r.j").choice_labels == ["特に力を入れている", "十分である", "課題が残されている"]
    assert mini.page_of("II.entrust.rows.what").id == "II~II.entrust"


def broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    root = tmp_path / "full" / "t1"
    shutil.copytree(FIXTURE / "full" / "t1", root)
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root


@pytest.mark.parametrize(("file", "old", "new", "fragment"), [
    ("sections/10_I.yaml", "type: longtext, number: \"②\"", "type: essay, number: \"②\"", "items.0.children.1.type"),
    ("sections/10_I.yaml", "id: I.1.1,", "id: I.1.2,", "used twice"),
    ("sections/10_I.yaml", "prefill: jimu.name", "prefill: jimu.nickname", "unknown prefill source"),
    ("sections/20_II.yaml", "equals: 委託しない}", "equals: しない}", "is not a choice of"),
    ("sections/20_II.yaml", "{item: II.entrust.has, equals: 委託しない}", "{item: II.nope, equals: 委託しない}",
     "unknown item"),
    ("sections/30_III.yaml", "choices: [委託しない]", "choices: []", "needs choices"),
    ("manifest.yaml", "item: II.entrust.rows\n    when: {item: II.entrust.has, equals: 委託する}",
     "item: II.missing\n    when: {item: II.entrust.has, equals: 委託する}", "unknown item"),
    ("manifest.yaml", "sections: [00_cover, 10_I, 20_II, 30_III]", "sections: [00_cover, 10_I, 20_II, 99_gone]",
     "セクションファイルがありません"),
    ("sections/00_cover.yaml", "id: cover\n", "id: cover\n  bad: [\n", "YAML"),
])
def test_broken_definitions_are_rejected_with_file_path_and_reason(tmp_path, file, old, new, fragment):
    root = broken(tmp_path, file, old, new)
    with pytest.raises(DefinitionError) as exc:
        load_definition(root, base_dir=tmp_path)
    message = str(exc.value)
    assert fragment in message
    assert str(root) in message


def test_derived_version_applies_patches(tmp_path):
    shutil.copytree(FIXTURE / "full" / "t1", tmp_path / "full" / "t1")
    (tmp_path / "full" / "t2").mkdir()
    (tmp_path / "full" / "t2" / "manifest.yaml").write_text(
        "form: full\nversion: t2\nlabel: '[テスト2 様式4]'\ntitle: 全項目評価書\nextends: t1\n"
        "patches:\n"
        "  - {op: set, target: I.1.2, values: {label: 事務の内容(改)}}\n"
        "  - {op: remove, target: cover.notes}\n"
        "  - {op: insert_after, target: I.band, item: {id: I.cloud, type: choice, label: クラウド, choices: [利用する, 利用しない]}}\n",
        encoding="utf-8")
    d = load_definition(tmp_path / "full" / "t2", base_dir=tmp_path)
    assert d.item("I.1.2").label == "事務の内容(改)"
    assert not d.has("cover.notes") and d.has("I.cloud")
    assert [i.id for i in d.section("I").items] == ["I.1", "I.band", "I.cloud", "I.as_of", "I.systems"]
    assert len(d.manifest.checks) == 4, "checks are inherited"
    base = load_definition(tmp_path / "full" / "t1", base_dir=tmp_path)
    assert base.item("I.1.2").label == "事務の内容", "the base version is untouched"


def test_derived_version_cannot_drop_an_item_a_check_needs(tmp_path):
    shutil.copytree(FIXTURE / "full" / "t1", tmp_path / "full" / "t1")
    (tmp_path / "full" / "t2").mkdir()
    (tmp_path / "full" / "t2" / "manifest.yaml").write_text(
        "form: full\nversion: t2\nlabel: x\ntitle: x\nextends: t1\npatches:\n  - {op: remove, target: I.as_of}\n",
        encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"unknown item 'I\.as_of'"):
        load_definition(tmp_path / "full" / "t2", base_dir=tmp_path)


def test_judgement_choices_and_the_issue_choice_come_from_the_manifest(mini):
    item = mini.item("III.4.r.j")
    assert item.issue_choice == "課題が残されている" and item.choice_labels[-1] == item.issue_choice


def test_a_derived_version_may_reword_the_judgement(tmp_path):
    shutil.copytree(FIXTURE / "full" / "t1", tmp_path / "full" / "t1")
    (tmp_path / "full" / "t2").mkdir()
    (tmp_path / "full" / "t2" / "manifest.yaml").write_text(
        "form: full\nversion: t2\nlabel: x\ntitle: x\nextends: t1\n"
        "judgement: {choices: [十分である, 十分でない], issue: 十分でない}\n", encoding="utf-8")
    d = load_definition(tmp_path / "full" / "t2", base_dir=tmp_path)
    assert d.item("III.4.r.j").choice_labels == ["十分である", "十分でない"]
    assert d.item("III.4.r.j").issue_choice == "十分でない"
    assert load_definition(tmp_path / "full" / "t1", base_dir=tmp_path).item("III.4.r.j").issue_choice == "課題が残されている"


@pytest.mark.parametrize(("file", "old", "new", "fragment"), [
    ("manifest.yaml", "issue: 課題が残されている}", "issue: 課題がある}", "is not one of its choices"),
    ("manifest.yaml", "judgement: {choices: [特に力を入れている, 十分である, 課題が残されている], issue: 課題が残されている}\n", "",
     "needs `judgement:`"),
    ("sections/10_I.yaml", "id: I.1.1,", "id: I.1.1, recall: true, source: {doc: ppc-x},", "has a source and recall"),
    ("sections/10_I.yaml", "id: I.1.1,", "id: I.1.1, source: {doc: nowhere, at: p.1},", "unknown document 'nowhere'"),
])
def test_judgement_and_source_mistakes_are_rejected(tmp_path, file, old, new, fragment):
    root = broken(tmp_path, file, old, new)
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "ppc-x.yaml").write_text(
        "id: ppc-x\ntitle: 記載要領\nkind: 記載要領\npublisher: 個人情報保護委員会\naddress: 記載要領の写し(テスト用)\n",
        encoding="utf-8")
    with pytest.raises(DefinitionError) as exc:
        load_definition(root, base_dir=tmp_path)
    assert fragment in str(exc.value)


def test_a_sourced_item_names_an_existing_document(tmp_path):
    root = broken(tmp_path, "sections/10_I.yaml", "id: I.1.1,", "id: I.1.1, source: {doc: ppc-x, at: 'Ⅰ 1. ①'},")
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "ppc-x.yaml").write_text(
        "id: ppc-x\ntitle: 記載要領\nkind: 記載要領\npublisher: 個人情報保護委員会\naddress: 記載要領の写し(テスト用)\n",
        encoding="utf-8")
    d = load_definition(root, base_dir=tmp_path)
    assert d.item("I.1.1").source.at == "Ⅰ 1. ①" and d.item("I.1.1") in d.sourced()
    assert d.item("I.1.1") not in d.flagged() + d.unmarked()
