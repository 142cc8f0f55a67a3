"""Issue 14 item 5: the related-item picker of 意見 (意見公募) and 指摘事項 (第三者点検)."""
from __future__ import annotations

from sqlmodel import select

from app.domain import item_picker
from app.models import AssessmentVersion, Review
from app.services import catalogue


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


def test_picker_is_checkboxes_grouped_with_full_paths(browser, read):
    """On the 第三者点検 page of the demo's reviewed 住基 全項目 (the 意見 form uses the same macro, shown once a
    comment period has started)."""
    reviewed = read(select(AssessmentVersion).join(Review, Review.version_id == AssessmentVersion.id))[0]
    browser.login_as("records")
    doc = browser.page(f"/versions/{reviewed.id}/review")
    assert not doc.select("select[name=items]"), "the Ctrl-click multi-select is still there"
    picker = doc.select_one("fieldset.item-picker[data-item-picker]")
    assert picker.select_one("legend").get_text(strip=True).startswith("関連する項目")
    search = picker.select_one("input[type=search][data-picker-search]")
    assert picker.select_one(f"label[for={search['id']}]")
    boxes = picker.select("input[type=checkbox][name=items]")
    d = catalogue.definition("full", reviewed.form_version)
    assert [b["value"] for b in boxes] == [i.id for i in d.answerable()]
    labels = [picker.select_one(f"label[for='{b['id']}']").get_text(strip=True) for b in boxes]
    assert len(set(labels)) == len(labels)
    sections = [s.select_one("summary").get_text(" ", strip=True) for s in picker.select("details.picker-section")]
    assert sections[0] == "表紙" and any(s.startswith("Ⅲ 特定個人情報ファイルの取扱いプロセス") for s in sections)
    enough = [lab for lab in labels if lab.endswith("リスクへの対策は十分か")]
    assert len(enough) > 5 and all(" › リスク" in lab for lab in enough)
