"""The related-item picker names the 特定個人情報ファイル (issue 14 item 5): a per-file section is grouped by file, each
option's value says file and item (`encode` / `parse`), and a stored value is checked and described in one place."""
from __future__ import annotations

import pytest

from app.domain import item_picker
from app.domain.item_picker import COMMON, GONE, SEP, File, encode, parse
from app.services import catalogue

FILES = [File("f-juki", "住民基本台帳ファイル"), File("f-honnin", "本人確認情報ファイル")]


@pytest.fixture(scope="module")
def d():
    return catalogue.catalogue().latest("full")


@pytest.fixture(scope="module")
def picker(d):
    return item_picker.picker(d, FILES)


@pytest.mark.parametrize(("uid", "item_id", "value"), [
    ("f-juki", "III.2.r2.m", "f-juki/III.2.r2.m"),
    ("", "I.1.2", "I.1.2"),
    ("a:b.c", "II.4.has", "a:b.c/II.4.has"),  # an imported uid may hold ":" and "." (answer_types.ENTRY_ID), never "/"
])
def test_encode_and_parse_are_inverse(uid, item_id, value):
    assert encode(uid, item_id) == value
    assert parse(value) == (uid, item_id)


@pytest.mark.parametrize(("value", "parsed"), [
    ("I.1.2", ("", "I.1.2")),
    ("/I.1.2", ("", "I.1.2")),   # not what encode writes: refused by problem()
    ("f1/", ("f1", "")),
    ("", ("", "")),
])
def test_parse_of_odd_values(value, parsed):
    assert parse(value) == parsed


def test_a_per_file_section_is_grouped_by_file_in_file_order(d):
    sections = item_picker.groups(d, FILES)
    by_title = {s.title: s for s in sections}
    per_file = [s for s in sections if s.file_scope]
    assert [s.title.split(" ")[0] for s in per_file] == ["Ⅱ", "(別添2)", "Ⅲ"]
    for s in per_file:
        assert s.groups == [] and [(f.uid, f.name) for f in s.files] == [(f.uid, f.name) for f in FILES]
        first, second = s.files
        assert [o.item_id for o in first.options] == [o.item_id for o in second.options]
        for f in s.files:
            for o in f.options:
                assert o.id == f"{f.uid}/{o.item_id}" and o.file_uid == f.uid
                assert o.path.startswith(f"{s.title}{SEP}{f.name}{SEP}")
    whole = [s for s in sections if not s.file_scope]
    assert whole and all(s.files == [] and all("/" not in o.id for o in s.options) for s in whole)
    iii = next(s for s in per_file if s.title.startswith("Ⅲ"))
    risk = next(o for o in iii.files[0].options if o.item_id == "III.2.r2.m")
    assert risk.path == (f"{iii.title} › 住民基本台帳ファイル › 2.特定個人情報の入手(情報提供ネットワークシステムを通じた入手を除く。)"
                         f" › リスク2: 不適切な方法で入手が行われるリスク › リスクに対する措置の内容")
    file_items = [i for i in d.answerable() if d.section_of(i.id).scope == "file"]
    options = [o for s in sections for o in s.options]
    assert len(options) == len(d.answerable()) + len(file_items) * (len(FILES) - 1)
    assert len({o.id for o in options}) == len(options) and len({o.path for o in options}) == len(options)
    assert len(by_title) == len(sections)  # every section once


def test_without_files_a_per_file_item_is_listed_once_by_its_id(d):
    """The 取り込めなかった記載 page (a file chosen apart) and a version without files."""
    for files in ((), []):
        sections = item_picker.groups(d, files)
        assert [o.id for s in sections for o in s.options] == [i.id for i in d.answerable()]
        assert all(s.files == [] for s in sections)
    assert item_picker.labels(d) == {o.id: o.path for s in item_picker.groups(d) for o in s.options}


def test_an_unlabelled_checkbox_is_named_by_its_choice(d):
    o = next(o for s in item_picker.groups(d) for o in s.options if o.id == "III.4.none")
    assert o.label == "委託しない" and o.path.endswith(" › 4.特定個人情報ファイルの取扱いの委託 › 委託しない")


def test_path_of_every_kind_of_stored_value(d, picker):
    iii = picker.path("f-juki/III.2.r2.m")
    assert "住民基本台帳ファイル" in iii
    assert picker.path("f-honnin/III.2.r2.m") == iii.replace("住民基本台帳ファイル", "本人確認情報ファイル")
    assert picker.path("III.2.r2.m") == iii.replace("住民基本台帳ファイル", COMMON)  # stored before files were named
    assert picker.path("f-gone/III.2.r2.m") == iii.replace("住民基本台帳ファイル", f"{GONE}(f-gone)")
    assert picker.path("I.1.2") == item_picker.labels(d)["I.1.2"] and SEP in picker.path("I.1.2")
    assert picker.path("NO.SUCH") == "NO.SUCH"
    assert ("f-juki/III.2.r2.m", iii) in picker.choices and "III.2.r2.m" not in picker.offered
    no_files = item_picker.picker(d, [])
    assert no_files.path("III.2.r2.m") == item_picker.labels(d)["III.2.r2.m"]  # no file to name, no 全ファイル共通


@pytest.mark.parametrize(("value", "problem"), [
    ("f-juki/III.2.r2.m", ""),
    ("f-honnin/II.4.has", ""),
    ("I.1.2", ""),
    ("III.2.r2.m", ""),                      # a per-file item for every file, as stored before
    ("NO.SUCH", "関連する項目が様式にありません。"),
    ("f-juki/NO.SUCH", "関連する項目が様式にありません。"),
    ("f-juki/", "関連する項目が様式にありません。"),
    ("/I.1.2", "関連する項目が様式にありません。"),
    ("f-other/III.2.r2.m", "関連する項目の特定個人情報ファイルがこの評価書にありません。"),
    ("f-juki/I.1.2", "はファイルごとの項目ではありません。"),
])
def test_problem_of_a_posted_value(picker, value, problem):
    got = picker.problem(value)
    assert (got == problem) if not problem.startswith("は") else got.endswith(problem), got


def test_check_drops_blanks_and_repeats_and_stops_at_the_first_problem(picker):
    assert picker.check(["", "I.1.2", " I.1.2 ", "f-juki/III.2.r2.m"]) == (["I.1.2", "f-juki/III.2.r2.m"], "")
    assert picker.check(["I.1.2", "f-other/III.2.r2.m"]) == ([], "関連する項目の特定個人情報ファイルがこの評価書にありません。")
    assert picker.check(["X"], "修正した項目") == ([], "修正した項目が様式にありません。")
    # a value already stored on the record being edited passes even after its file left the version
    assert picker.check(["f-gone/III.2.r2.m"], kept=["f-gone/III.2.r2.m"]) == (["f-gone/III.2.r2.m"], "")
