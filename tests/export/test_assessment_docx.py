"""The 評価書 in Word, read back with python-docx: content, order, styles, editions, leaks, round trip."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from app.errors import ValidationFailed
from app.export.docx import GOTHIC, MINCHO, read_custom_json
from app.models import Answer, ChangeRow, Jimu, VersionFile
from app.services import catalogue, exports, jsonio
from tests.export.helpers import all_text, body_sequence, east_asia_fonts, open_docx

TODAY = date(2026, 11, 23)


def export(db, system, v, edition="full"):
    return exports.export(db, actor=system, version_id=v.id, edition=edition, today=TODAY)


def test_layout_fonts_and_heading_order(db, system, full_version):
    v, _ = full_version
    out = export(db, system, v)
    from app.domain.wareki import wareki_compact

    on = wareki_compact(v.published_on or TODAY)
    assert out.filename == f"住民基本台帳に関する事務_全項目評価書_提出用_{on}.docx"
    doc = open_docx(out.content)
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert east_asia_fonts(doc) <= {MINCHO, GOTHIC}
    assert doc.styles["Normal"].font.size.pt == 10.5
    seq = body_sequence(doc)
    assert seq[0] == ("Title", "特定個人情報保護評価書(全項目評価書)")
    # the cover as in the 様式: 番号・名 block, 宣言 and 特記事項 boxes, then the table (issue 13 item 7)
    block = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert block == [["評価書番号", "評価書名"], ["1", "住民基本台帳に関する事務 全項目評価書"]]
    texts = [t for _, t in seq]
    k = texts.index("個人のプライバシー等の権利利益の保護の宣言")
    assert texts[k + 1].startswith("しののめ市長は、住民基本台帳に関する事務における") and texts[k + 3] == "特記事項"
    cover = [(row.cells[0].text, row.cells[1].text) for row in doc.tables[3].rows]
    assert [label for label, _ in cover] == ["評価実施機関名", "個人情報保護委員会 承認日 【行政機関等のみ】", "公表日"]
    assert cover[0][1] == "しののめ市長"
    assert cover[1][1] == "", "承認日 is blank for 地方公共団体等 (not 「-」)"
    assert ("Normal", catalogue.definition("full", v.form_version).label) in seq
    h1 = [t for s, t in seq if s == "Heading 1"]
    assert h1 == ["項目一覧", "Ⅰ 基本情報", "(別添1) 事務の内容", "Ⅱ 特定個人情報ファイルの概要",
                  "(別添2) 特定個人情報ファイル記録項目",
                  "Ⅲ 特定個人情報ファイルの取扱いプロセスにおけるリスク対策 ※(7.リスク1⑨を除く。)",
                  "Ⅳ その他のリスク対策 ※", "Ⅴ 開示請求、問合せ", "Ⅵ 評価実施手続", "(別添3) 変更箇所"]
    files = [f.name for f in db.exec(select(VersionFile).where(VersionFile.version_id == v.id)
                                     .order_by(VersionFile.position)).all()]
    h2_files = [t for s, t in seq if s == "Heading 2" and t.startswith("【ファイル")]
    expected = [f"【ファイル{n}】{name}" for n, name in enumerate(files, 1)]
    assert h2_files == expected * 3, "per-file blocks for Ⅱ, (別添2) and Ⅲ, each in file order"
    texts = [t for _, t in seq]
    assert texts.count("※ 重要な変更の対象である記載項目") == 1
    # the 項目一覧 lists the sections in order right after its heading
    idx = texts.index("項目一覧")
    assert texts[idx + 1:idx + 4] == ["Ⅰ 基本情報", "(別添1) 事務の内容", "Ⅱ 特定個人情報ファイルの概要"]


def test_header_footer_page_numbers(db, system, full_version):
    v, _ = full_version
    doc = open_docx(export(db, system, v).content)
    header = doc.sections[0].header.paragraphs[0].text
    assert header == "住民基本台帳に関する事務 全項目評価書"
    footer_xml = doc.sections[0].footer._element.xml
    assert "PAGE" in footer_xml and "fldChar" in footer_xml


def test_choice_checkbox_measure_and_date_printing(db, system, full_version):
    v, written = full_version
    uid = next(u for u in written if u)
    texts = [t for _, t in body_sequence(open_docx(export(db, system, v).content))]
    # judgement choice: the selected value in brackets, then the choice list
    i = texts.index("[ 十分である ]")
    # (the list breaks between choices, never inside one: issue 13 item 8)
    assert texts[i + 1].replace("\n", " ") == "<選択肢> 1) 特に力を入れている 2) 十分である 3) 課題が残されている"
    assert all(line.startswith(("<選択肢>", "1)", "2)", "3)")) for line in texts[i + 1].split("\n"))
    # check boxes: every option in order, [○] for checked
    connect = [t for t in texts if t.startswith("[○] 情報提供ネットワークシステム")]
    assert connect and "[ ] 庁内連携システム" in connect[0]
    # measures: a heading per audience, each measure a plain 「・」 line (no Word list style), in the right list
    tag = f"[{uid}:III.2.r2.m]"
    seq = body_sequence(open_docx(export(db, system, v).content))
    j = seq.index(("Normal", f"・市民向けの措置A{tag}"))
    assert seq[j - 1] == ("Normal", "【市民・事業者・委託先等に対する措置】")
    assert seq[j + 1] == ("Normal", f"・委託先向けの措置B{tag}")
    assert seq[j + 2] == ("Normal", "【職員に対する措置】")
    assert seq[j + 3] == ("Normal", f"・職員向けの措置C{tag}")
    assert not any(style == "List Bullet" for style, _ in seq)
    assert "令和7年4月1日" in texts


def test_empty_items_print_a_dash_and_empty_measure_lists_too(db, system, full_version):
    v, written = full_version
    uid = next(u for u in written if u)
    for item_id, value in (("I.1.2", None), ("III.2.r2.m", None)):
        row = db.exec(select(Answer).where(Answer.version_id == v.id, Answer.item_id == item_id,
                                           Answer.file_uid == ("" if item_id.startswith("I.") else uid))).one()
        row.value = value
        db.add(row)
    db.commit()
    seq = body_sequence(open_docx(export(db, system, v).content))
    texts = [t for _, t in seq]
    i = texts.index("②事務の内容 ※")
    assert texts[i + 1] == "-"
    # an empty measures item prints a single 「-」, never a heading over nothing or over 「-」
    for k, (_, t) in enumerate(seq):
        if t.startswith("【") and t.endswith("措置】"):
            assert seq[k + 1][1].startswith("・"), (t, seq[k + 1])


def test_draft_edition_marks_and_blank_publication_date(db, system, full_version):
    v, _ = full_version
    v.published_on = date(2027, 3, 1)
    db.add(v)
    db.commit()
    doc = open_docx(export(db, system, v, "draft").content)
    # 「(案)」 once, in the 評価書名 (the default organisation setting); the header repeats the name as printed
    assert doc.sections[0].header.paragraphs[0].text == "住民基本台帳に関する事務 全項目評価書(案)"
    seq = [t for _, t in body_sequence(doc)]
    assert seq[0] == "特定個人情報保護評価書(全項目評価書)"
    assert "住民基本台帳に関する事務 全項目評価書(案)" in seq
    i = seq.index("公表日")
    assert seq[i + 1] == "", "no 公表日 on a draft: blank, as the 様式"
    full = [t for _, t in body_sequence(open_docx(export(db, system, v, "full").content))]
    assert full[full.index("公表日") + 1] == "令和9年3月1日"


def test_public_edition_withholds_everywhere_in_the_package(db, system, full_version):
    v, written = full_version
    uid = next(u for u in written if u)
    secret = "サーバー室は本庁舎地下2階、入室は静脈認証で管理"
    row = db.exec(select(Answer).where(Answer.version_id == v.id, Answer.item_id == "II.6.1",
                                       Answer.file_uid == uid)).one()
    row.value, row.withheld, row.withheld_reason = secret, True, "セキュリティ上のリスク"
    db.add(row)
    db.commit()
    full = export(db, system, v, "full").content
    assert secret in all_text(full)
    for edition in ("public", "draft"):
        data = export(db, system, v, edition).content
        assert secret not in all_text(data), edition
        assert "(非公表)" in [t for _, t in body_sequence(open_docx(data))]
        embedded = json.loads(read_custom_json(data))
        entry = next(a for a in embedded["answers"] if a["item"] == "II.6.1" and a["file"] == uid)
        assert entry["value"] is None and entry["withheld"] is True


def test_docx_round_trip_through_import(db, system, full_version, read):
    v, _ = full_version
    data = export(db, system, v, "full").content
    original = jsonio.export_version(db, actor=system, version_id=v.id)
    imported = exports.import_docx(db, actor=system, data=data, into=v.assessment_id)
    again = jsonio.export_version(db, actor=system, version_id=imported.id)
    assert again == original
    with pytest.raises(ValidationFailed) as exc:
        exports.import_docx(db, actor=system, data=b"not a docx")
    assert "読み込めません" in str(exc.value.errors)


def test_ended_jimu_title_and_change_rows(db, system, full_version):
    v, _ = full_version
    jimu = db.exec(select(Jimu).where(Jimu.name == "住民基本台帳に関する事務")).one()
    jimu.status, jimu.end_date = "ended", date(2026, 3, 31)
    db.add(jimu)
    db.add(ChangeRow(assessment_id=v.assessment_id, version_seq=v.seq, changed_on=date(2026, 4, 1),
                     item_label="Ⅱ 6.①保管場所", before_text="本庁舎", after_text="データセンター", timing="事前"))
    db.commit()
    doc = open_docx(export(db, system, v).content)
    assert doc.sections[0].header.paragraphs[0].text.endswith("【令和8年3月31日 終了】")
    texts = [t for _, t in body_sequence(doc)]
    k = texts.index("提出時期に係る説明")
    assert texts[k + 1:k + 6] == ["令和8年4月1日", "Ⅱ 6.①保管場所", "本庁舎", "データセンター", "事前"]


def test_basic_form_has_no_item_list(db, system):
    from app.models import Assessment
    from app.services import assessments

    jimu = db.exec(select(Jimu).where(Jimu.name == "児童手当の支給に関する事務")).one()
    a = db.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == "basic")).first() or \
        assessments.create(db, actor=system, jimu_id=jimu.id, forms=["basic"], today=TODAY)[0]
    v = assessments.current_version(db, a.id)
    seq = body_sequence(open_docx(export(db, system, v).content))
    h1 = [t for s, t in seq if s == "Heading 1"]
    assert "項目一覧" not in h1 and h1[0] == "Ⅰ 関連情報"
    assert ("Normal", "[令和6年10月 様式2]") in seq
    assert catalogue.definition("basic", v.form_version).manifest.item_list is False
