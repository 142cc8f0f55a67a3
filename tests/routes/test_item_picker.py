"""Issue 14 item 5: the related-item picker of 意見 (意見公募) and 指摘事項 (第三者点検): grouped section → ファイル →
risk → item, each option naming its file, and what is stored names the file too."""
from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from app.domain import item_picker
from app.models import AssessmentVersion, Finding, Opinion, PublicComment, Review, VersionFile
from app.services import catalogue, fill
from tests.export.helpers import body_sequence, open_docx
from tests.html import check_page, parse


def test_groups_name_section_risk_and_item_in_every_label():
    d = catalogue.catalogue().latest("full")
    groups = item_picker.groups(d)
    options = [o for s in groups for g in s.groups for o in g.options]
    assert [o.id for o in options] == [i.id for i in d.answerable()]
    paths = [o.path for o in options]
    assert len(set(paths)) == len(paths), "two options read the same"
    section_iii = next(s for s in groups if s.title.startswith("Ⅲ"))
    assert section_iii.file_scope
    risk = next(g for g in section_iii.groups if "リスク1: 目的外の入手が行われるリスク" in g.title)
    assert risk.title.startswith("2.特定個人情報の入手")
    assert all(o.path.startswith(f"{section_iii.title} › {risk.title} › ") for o in risk.options)


def _files(s: Session, vid: int) -> list[VersionFile]:
    return list(s.exec(select(VersionFile).where(VersionFile.version_id == vid)
                       .order_by(VersionFile.position, VersionFile.id)).all())


def _checked_picker(doc, d, files, name="items"):
    """The picker's checkboxes are every item of the 様式, a per-file item once per file (file order), each group
    of a per-file section titled with its file's name; returns (values, labels)."""
    picker = doc.select_one("fieldset.item-picker[data-item-picker]")
    assert picker.select_one("legend").get_text(strip=True).startswith("関連する項目")
    search = picker.select_one("input[type=search][data-picker-search]")
    assert picker.select_one(f"label[for={search['id']}]")
    boxes = picker.select(f"input[type=checkbox][name={name}]")
    expected = [o.id for s in item_picker.groups(d, [item_picker.File(f.uid, f.name) for f in files]) for o in s.options]
    assert [b["value"] for b in boxes] == expected
    labels = [picker.select_one(f"label[for='{b['id']}']").get_text(strip=True) for b in boxes]
    assert len(set(labels)) == len(labels)
    per_file = [s for s in picker.select("details.picker-section") if "ファイルごとの項目" in s.select_one("summary").get_text()]
    assert per_file
    for section in per_file:
        blocks = section.select("details.picker-file")
        assert [b.select_one("summary").get_text(strip=True) for b in blocks] == [f.name for f in files]
        assert [b["data-file"] for b in blocks] == [f.uid for f in files]
        heading = section.select_one("summary").get_text(" ", strip=True).replace("(ファイルごとの項目)", "").strip()
        for block, f in zip(blocks, files, strict=True):
            for box in block.select("input[type=checkbox]"):
                assert box["value"].startswith(f"{f.uid}/")
                label = block.select_one(f"label[for='{box['id']}']").get_text(strip=True)
                assert label.startswith(f"{heading} › {f.name} › "), label
    return [b["value"] for b in boxes], labels


def test_picker_is_checkboxes_grouped_by_section_file_and_risk(browser, demo_engine):
    """On the 第三者点検 page of the demo's reviewed 全項目 (the 意見 form uses the same macro)."""
    with Session(demo_engine) as s:
        reviewed = s.exec(select(AssessmentVersion).join(Review, Review.version_id == AssessmentVersion.id)).first()
        files = _files(s, reviewed.id)
    assert len(files) > 1
    browser.login_as("records")
    doc = browser.page(f"/versions/{reviewed.id}/review")
    assert not doc.select("select[name=items]"), "the Ctrl-click multi-select is still there"
    d = catalogue.definition("full", reviewed.form_version)
    _, labels = _checked_picker(doc, d, files)
    sections = [s.select_one("summary").get_text(" ", strip=True) for s in doc.select("details.picker-section")]
    assert sections[0] == "表紙" and any(s.startswith("Ⅲ 特定個人情報ファイルの取扱いプロセス") for s in sections)
    enough = [lab for lab in labels if lab.endswith("リスクへの対策は十分か")]
    assert len(enough) > 5 and all(" › リスク" in lab for lab in enough)
    for f in files:
        assert any(lab.startswith(f"Ⅲ 特定個人情報ファイルの取扱いプロセスにおけるリスク対策 › {f.name} › ") for lab in enough)


# ---------------------------------------------------------------- 意見 (the demo's 住基 全項目 in its comment period)

@pytest.fixture
def comment(engine, life_browser):
    with Session(engine) as s:
        c = s.exec(select(PublicComment).where(PublicComment.snapshot_id.is_not(None))).first()
        v = s.get(AssessmentVersion, c.version_id)
        return v, c, _files(s, v.id)


def _opinions(engine) -> list[Opinion]:
    with Session(engine) as s:
        return list(s.exec(select(Opinion).order_by(Opinion.id)).all())


def _opinion(c, items, **extra):
    return [("what", "opinion"), ("received_on", c.start_on.isoformat()), ("channel", "電子メール"),
            ("text", "本人確認情報ファイルの入手の方法を詳しく書いてほしい。"), *[("items", i) for i in items],
            *extra.items()]


def test_opinion_form_picks_an_item_of_one_file_and_the_list_names_the_file(life_browser, engine, comment):
    v, c, files = comment
    life_browser.login_as("records")
    doc = life_browser.page(f"/versions/{v.id}/comment")
    _checked_picker(doc, catalogue.definition("full", v.form_version), files)
    second = files[1]
    changed = doc.select_one("select#f-changed_item")
    assert changed.select_one(f"option[value='{second.uid}/II.4.has']"), "修正した項目 names the file too"
    r = life_browser.post(f"/versions/{v.id}/comment",
                          _opinion(c, [f"{second.uid}/III.2.r2.m", "I.1.2"], led_to_change="1",
                                   changed_item=f"{second.uid}/II.4.has", response="Ⅲ2に追記しました。"))
    assert r.status_code == 303, r.text[:500]
    stored = _opinions(engine)[-1]
    assert stored.items == [f"{second.uid}/III.2.r2.m", "I.1.2"] and stored.changed_item == f"{second.uid}/II.4.has"
    doc = life_browser.page(f"/versions/{v.id}/comment")
    row = doc.select_one(f"#opinion-{stored.id}")
    related = [x.get_text(strip=True) for x in row.select(".related-item")]
    assert related[0] == (f"Ⅲ 特定個人情報ファイルの取扱いプロセスにおけるリスク対策 › {second.name} › "
                          "2.特定個人情報の入手(情報提供ネットワークシステムを通じた入手を除く。) › "
                          "リスク2: 不適切な方法で入手が行われるリスク › リスクに対する措置の内容")
    assert related[1].startswith("Ⅰ 基本情報 › ")
    assert f"修正: Ⅱ 特定個人情報ファイルの概要 › {second.name} › " in row.get_text()
    # the demo's opinion stored the plain id of a whole-assessment item: unchanged
    first = _opinions(engine)[0]
    assert first.items == ["I.1.2"]
    assert next(x.get_text(strip=True) for x in doc.select(f"#opinion-{first.id} .related-item")).startswith("Ⅰ 基本情報 › ")
    # the 評価実施手続 text filled when the comment period closes names the file of the 修正した項目
    with Session(engine) as s:
        reflection = fill.values(s, v.id, catalogue.definition("full", v.form_version))["comment.reflection"]
    assert f"・委託の有無({second.name}): Ⅲ2に追記しました。" in reflection.split("\n")
    # the 意見募集結果 prints the full path with the file's name
    texts = [t for _, t in body_sequence(open_docx(life_browser.get(f"/versions/{v.id}/comment/results.docx").content))]
    assert related[0] in texts


@pytest.mark.parametrize(("items", "message"), [
    (["fnosuchfile/III.2.r2.m"], "関連する項目の特定個人情報ファイルがこの評価書にありません。"),
    (["{uid}/NO.SUCH.ITEM"], "関連する項目が様式にありません。"),
    (["{uid}/I.1.2"], "はファイルごとの項目ではありません。"),
])
def test_a_forged_related_item_is_refused_and_nothing_is_saved(life_browser, engine, comment, items, message):
    v, c, files = comment
    life_browser.login_as("records")
    before = [(o.id, o.items, o.response) for o in _opinions(engine)]
    r = life_browser.post(f"/versions/{v.id}/comment", _opinion(c, [i.format(uid=files[0].uid) for i in items]))
    assert r.status_code == 422
    error = parse(r.text).select_one("#e-items").get_text(strip=True)
    assert message in error
    assert [(o.id, o.items, o.response) for o in _opinions(engine)] == before


def test_a_forged_changed_item_is_refused(life_browser, engine, comment):
    v, c, _ = comment
    life_browser.login_as("records")
    before = len(_opinions(engine))
    r = life_browser.post(f"/versions/{v.id}/comment", _opinion(c, [], led_to_change="1",
                                                                changed_item="fnosuchfile/II.4.has"))
    assert r.status_code == 422 and "修正した項目の特定個人情報ファイルがこの評価書にありません。" in r.text
    assert len(_opinions(engine)) == before


def test_an_opinion_stored_before_files_were_named_reads_for_every_file_and_saves_again(life_browser, engine, comment):
    """A plain id of a per-file item (as every stored opinion had) shows 「全ファイル共通」 and its 市の考え方 can be
    saved with its items as they are."""
    v, c, _ = comment
    life_browser.login_as("records")
    r = life_browser.post(f"/versions/{v.id}/comment", _opinion(c, ["III.2.r2.m"], led_to_change="1",
                                                                changed_item="II.4.has", response="追記しました。"))
    assert r.status_code == 303
    op = _opinions(engine)[-1]
    doc = life_browser.page(f"/versions/{v.id}/comment")
    assert " › 全ファイル共通 › 2.特定個人情報の入手" in doc.select_one(f"#opinion-{op.id} .related-item").get_text()
    form = next(f for f in doc.select("form") if f.select_one(f"input[name=id][value='{op.id}']"))
    assert form.select_one("select[name=changed_item] option[selected]")["value"] == "II.4.has"
    pairs = [(i["name"], i.get("value", "")) for i in form.select("input[type=hidden]")]
    pairs += [("response", "書き直しました。"), ("led_to_change", "1"), ("changed_item", "II.4.has")]
    assert life_browser.post(f"/versions/{v.id}/comment", [p for p in pairs if p[0] != "csrftoken"]).status_code == 303
    again = _opinions(engine)[-1]
    assert (again.items, again.changed_item, again.response) == (["III.2.r2.m"], "II.4.has", "書き直しました。")


# ---------------------------------------------------------------- 指摘事項 (the demo's 個人住民税 重点 in its review)

@pytest.fixture
def review(engine, life_browser):
    with Session(engine) as s:
        r = s.exec(select(Review).where(Review.snapshot_id.is_not(None))).first()
        v = s.get(AssessmentVersion, r.version_id)
        return v, r, _files(s, v.id)


def _findings(engine, review_id) -> list[Finding]:
    with Session(engine) as s:
        return list(s.exec(select(Finding).where(Finding.review_id == review_id).order_by(Finding.id)).all())


def test_finding_form_picks_an_item_of_one_file_and_the_list_names_the_file(life_browser, engine, review):
    v, r, files = review
    life_browser.login_as("records")
    doc = life_browser.page(f"/versions/{v.id}/review")
    _checked_picker(doc, catalogue.definition("focused", v.form_version), files)
    demo = _findings(engine, r.id)[0]
    assert demo.items == ["I.1.2", f"{files[0].uid}/III.4.r1.m"], "the demo relates its 指摘事項 to a file's risk"
    related = [x.get_text(strip=True) for x in doc.select(f"#finding-{demo.id} .related-item")]
    assert related[1].startswith(f"Ⅲ リスク対策 › {files[0].name} › 4.特定個人情報ファイルの取扱いの委託 › リスク1")
    ok = life_browser.post(f"/versions/{v.id}/review", [("what", "finding"), ("text", "入手の記載を具体的に。"),
                                                       ("items", f"{files[0].uid}/III.2.r1.m"), ("items", "III.4.r1.m")])
    assert ok.status_code == 303
    added = _findings(engine, r.id)[-1]
    assert added.items == [f"{files[0].uid}/III.2.r1.m", "III.4.r1.m"]
    row = life_browser.page(f"/versions/{v.id}/review").select_one(f"#finding-{added.id}")
    shown = [x.get_text(strip=True) for x in row.select(".related-item")]
    assert shown[0].startswith(f"Ⅲ リスク対策 › {files[0].name} › 2.")
    assert shown[1].startswith("Ⅲ リスク対策 › 全ファイル共通 › 4.")


@pytest.mark.parametrize("value", ["fnosuchfile/III.2.r1.m", "{uid}/NO.SUCH", "NO.SUCH"])
def test_a_forged_finding_item_is_refused_and_nothing_is_saved(life_browser, engine, review, value):
    v, _r, files = review
    life_browser.login_as("records")
    with Session(engine) as s:
        before = s.exec(select(func.count()).select_from(Finding)).one()
    bad = life_browser.post(f"/versions/{v.id}/review", [("what", "finding"), ("text", "偽の項目"),
                                                        ("items", value.format(uid=files[0].uid))])
    assert bad.status_code == 422
    assert "関連する項目" in parse(bad.text).select_one("#e-items").get_text()
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Finding)).one() == before


def test_a_refused_finding_comes_back_open_with_its_picks(life_browser, engine, review):
    v, _r, files = review
    life_browser.login_as("records")
    picked = f"{files[0].uid}/III.2.r1.m"
    bad = life_browser.post(f"/versions/{v.id}/review", [("what", "finding"), ("text", ""), ("items", picked)])
    assert bad.status_code == 422
    doc = parse(bad.text)
    form = doc.select_one("form:has(input[name=what][value=finding])")
    assert form.find_parent("details").has_attr("open")
    assert [b["value"] for b in form.select("input[name=items][checked]")] == [picked]
    box = form.select_one("input[name=items][checked]")
    assert box.find_parent("details", class_="picker-file").has_attr("open")
    assert box.find_parent("details", class_="picker-section").has_attr("open")
    assert [d["data-file"] for d in form.select("details.picker-file[open]")] == [files[0].uid]


def test_a_finding_with_an_unknown_meeting_links_its_message_to_the_meeting_field(life_browser, engine, review):
    v, _, _ = review
    life_browser.login_as("records")
    bad = life_browser.post(f"/versions/{v.id}/review", [("what", "finding"), ("text", "会議の確認"),
                                                        ("meeting_id", "999999")])
    assert bad.status_code == 422
    doc = check_page(parse(bad.text))  # every error-summary link points at a field on the page
    link = doc.select_one(".error-summary a[href='#f-meeting_id']")
    assert link is not None and "会議" in link.get_text()
    assert doc.select_one("#f-meeting_id").name == "select"
