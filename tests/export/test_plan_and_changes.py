"""計画管理書 (Word landscape + CSV with BOM) and 変更箇所 rows entered by hand, with the 新旧対照表 document."""
from __future__ import annotations

import csv
import io

from sqlmodel import select

from app.models import Assessment, ChangeRow
from app.services import plan
from tests.export.helpers import body_sequence, open_docx
from tests.factories import new_assessment


def test_plan_rows_csv_and_word(browser, read):
    new_assessment(browser, read, "basic", name="児童扶養手当に関する事務")
    browser.login_as("records")
    page = browser.page("/plan")
    assert page.select("#plan-table tbody tr")
    r = browser.get("/plan/export?format=csv")
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == plan.COLUMNS
    jidou = [row for row in rows[1:] if row[2] == "児童扶養手当に関する事務"]
    assert jidou and jidou[0][4] == "基礎項目評価" and jidou[0][9] == "基礎項目評価の実施が義務付けられる"
    doc = open_docx(browser.get("/plan/export?format=docx").content)
    section = doc.sections[0]
    assert section.page_width > section.page_height, "A4 landscape"
    assert round(section.page_width.mm) == 297
    seq = body_sequence(doc)
    assert seq[0] == ("Title", "特定個人情報保護評価計画管理書")
    assert "児童扶養手当に関する事務 基礎項目評価書" in [t for _, t in seq]


def test_staff_plan_only_shows_their_department(browser, read):
    browser.login_as("zeimu")
    rows = list(csv.reader(io.StringIO(browser.get("/plan/export?format=csv").content.decode("utf-8-sig"))))
    assert all(row[2] == "個人住民税の賦課徴収に関する事務" for row in rows[1:])


def test_manual_change_rows_and_comparison_document(browser, read):
    aid = new_assessment(browser, read, "basic", name="児童扶養手当に関する事務")
    browser.login_as("kodomo")
    a = read(select(Assessment).where(Assessment.id == aid))[0]
    bad = browser.post(f"/assessments/{aid}/changes", {"item_label": "Ⅰ 1.②事務の概要", "timing": "事後"})
    assert bad.status_code == 303
    assert read(select(ChangeRow).where(ChangeRow.assessment_id == a.id)) == []
    ok = browser.post(f"/assessments/{aid}/changes", {"changed_on": "2026-10-01", "item_label": "Ⅰ 1.②事務の概要",
                                                      "before_text": "旧", "after_text": "新", "timing": "事前"})
    assert ok.status_code == 303
    rows = read(select(ChangeRow).where(ChangeRow.assessment_id == a.id))
    assert [(r.item_label, r.timing, r.source) for r in rows] == [("Ⅰ 1.②事務の概要", "事前", "manual")]
    doc = open_docx(browser.get(f"/assessments/{aid}/changes.docx").content)
    texts = [t for _, t in body_sequence(doc)]
    assert "Ⅰ 1.②事務の概要" in texts and "令和8年10月1日" in texts
