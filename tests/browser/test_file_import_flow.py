"""Issue 15 §2 in a real browser: a Word 評価書 built here is uploaded on the 評価書 page; the report lists the text
that could not be placed; from 「取り込めなかった記載」 it is placed into 「②事務の概要」 with the searchable picker."""
from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import Answer
from tests.browser.conftest import sign_in
from tests.browser.screenshots import PASSWORDS

pytestmark = pytest.mark.browser


def _docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph("基礎項目評価書")
    table = doc.add_table(rows=0, cols=2)
    for row in (("評価書番号", "評価書名"), ("4", "国民健康保険に関する事務 基礎項目評価書")):
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    doc.add_paragraph("Ⅰ 関連情報")
    table = doc.add_table(rows=0, cols=3)
    for row in (("1.", "特定個人情報ファイルを取り扱う事務", ""), ("①", "事務の名称", "国民健康保険に関する事務"),
                ("②", "事務の概要", "国民健康保険の資格管理と給付を行う。"), ("①", "実施の有無", "連携の開始は令和9年度")):
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_upload_a_word_file_and_place_what_was_left_over(page, demo_engine):
    sign_in(page, "hoken", PASSWORDS["hoken"])
    page.goto("/assessments/4")
    page.click("#import-panel summary")
    page.set_input_files("#import-form input[type=file]", files=[{
        "name": "国保基礎.docx", "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "buffer": _docx()}])
    page.click("[data-testid=import-submit]")
    page.wait_for_url("**/versions/4/import-report")
    row = page.locator("#unplaced tbody tr", has_text="連携の開始は令和9年度")
    expect(row).to_contain_text("様式にありません")
    row.locator("a").click()
    page.wait_for_url("**/versions/4/unmapped#u-*")
    page.locator("article.unmapped", has_text="連携の開始は令和9年度").get_by_text("項目に記載する").click()
    page.fill("#place-q", "事務の概要")
    option = page.locator(".picker-option:visible")
    expect(option).to_have_count(1)
    option.locator("input").check()
    page.click("[data-testid=place-submit]")
    page.wait_for_url("**/versions/4/edit/I#i-I_1_2")
    expect(page.locator("#i-I_1_2 textarea")).to_have_value("国民健康保険の資格管理と給付を行う。\n連携の開始は令和9年度")
    with Session(demo_engine) as s:
        value = s.exec(select(Answer.value).where(Answer.version_id == 4, Answer.item_id == "I.1.2")).one()
    assert value.endswith("連携の開始は令和9年度")
