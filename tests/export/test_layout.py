"""Issue 13 items 4–9, read back from the demo 全項目 (住基), 重点 (住民税) and 基礎 (児童手当) in Word.

Group entries under one heading, no empty or ※-only label cells, ※ once where the 様式 prints it, the draft marker once
and the cover as in the 様式, rows that do not split, repeated header rows, numbered items as headings, choice lists
broken between choices, the 基礎 flowing on, and the file properties.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime

import pytest
from docx.oxml.ns import qn
from sqlmodel import select

from app.domain.answers import row_label
from app.domain.forms import FORM_LABEL
from app.export.assessment_doc import LEGEND
from app.models import Answer, Assessment, Jimu, Organisation
from app.services import assessments, catalogue, exports
from tests.export.helpers import body_sequence, open_docx

TODAY = date(2026, 11, 23)
DEMOS = {"full": "住民基本台帳に関する事務", "focused": "個人住民税の賦課徴収に関する事務", "basic": "児童手当の支給に関する事務"}
FORMS = list(DEMOS)


def demo_version(db, form):
    jimu = db.exec(select(Jimu).where(Jimu.name == DEMOS[form])).one()
    a = db.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == form)).one()
    return assessments.current_version(db, a.id)


def export(db, system, form, edition="full") -> bytes:
    v = demo_version(db, form)
    return exports.export(db, actor=system, version_id=v.id, edition=edition, today=TODAY).content


def definition(db, form):
    return catalogue.definition(form, demo_version(db, form).form_version)


def _text(p_el) -> str:
    out = []
    for node in p_el.iter(qn("w:t"), qn("w:br"), qn("w:tab")):
        if node.tag == qn("w:t"):
            out.append(node.text or "")
        elif node.tag == qn("w:tab"):
            out.append("\t")
        elif node.get(qn("w:type")) != "page":
            out.append("\n")
    return "".join(out)


def tables(doc) -> list[list[tuple[object, list[str]]]]:
    """Every body table as [(w:tr element, [cell text, ...]), ...]."""
    out = []
    for tbl in doc.element.body.iterchildren(qn("w:tbl")):
        rows = []
        for tr in tbl.iterchildren(qn("w:tr")):
            rows.append((tr, ["\n".join(_text(p) for p in tc.iterchildren(qn("w:p")))
                              for tc in tr.iterchildren(qn("w:tc"))]))
        out.append(rows)
    return out


def blocks(doc) -> list[tuple[str, str]]:
    """Body order with page breaks: ('page', '') for a page break, (style, text) for paragraphs and cells."""
    out = []
    seq = iter(body_sequence(doc))
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            if any(br.get(qn("w:type")) == "page" for br in child.iter(qn("w:br"))):
                out.append(("page", ""))
            out.append(next(seq))
        elif child.tag == qn("w:tbl"):
            for tc in child.iter(qn("w:tc")):
                for _ in tc.iterchildren(qn("w:p")):
                    out.append(next(seq))
    return out


def _all(items):
    for item in items:
        yield item
        yield from _all(item.children)


# ---------------------------------------------------------------- 4. group headers

@pytest.mark.parametrize("form", FORMS)
def test_groups_print_one_heading_and_numbered_entries(db, system, form):
    d = definition(db, form)
    doc = open_docx(export(db, system, form))
    texts = [t for _, t in body_sequence(doc)]
    groups = [i for s in d.sections for i in _all(s.items) if i.type == "group"]
    for g in groups:
        for n in range(1, 30):  # 「委託事項 委託事項1」 and 「2.…システム システム1」 are gone
            assert f"{g.display} {row_label(g, n)}" not in texts
            assert f"{g.display} ※ {row_label(g, n)}" not in texts
        for k, t in enumerate(texts[:-1]):  # the group label once, above the entries (not above each)
            if t.removesuffix(" ※") == g.display:
                assert texts[k + 1] in (row_label(g, 1), "-", "(非公表)"), (g.id, texts[k + 1])
    if form == "basic":
        return
    # 2.…使用するシステム: one heading, then システム1, システム2, …
    system_group = next(g for g in groups if g.row_label.startswith("システム"))
    k = texts.index(system_group.display)
    assert texts[k + 1] == "システム1"
    # 委託事項1 | its name, on one row; the name is not repeated as a row of its own
    rows = [cells for t in tables(doc) for _, cells in t]
    entrust = [cells for cells in rows if re.fullmatch(r"委託事項\d+", cells[0])]
    assert entrust and all(len(cells) == 2 and cells[1] not in ("", "-") for cells in entrust)
    assert not any(cells[0] == "委託事項の名称" for cells in rows)
    # 記録項目: a compact numbered table (項番 | 項目名 | 備考), its header repeated on every page
    lists = [t for t in tables(doc) if t[0][1][0] == "項番"]
    assert lists and all(t[0][1] == ["項番", "項目名", "備考"] for t in lists)
    for t in lists:
        assert t[0][0].find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
        assert [cells[0] for _, cells in t[1:]] == [str(n) for n in range(1, len(t))]
    if form == "full":  # 16 records of the 住民基本台帳ファイル: 17 rows, not 48
        assert len(lists[0]) == 17


# ---------------------------------------------------------------- 5. no empty or ※-only label cells

@pytest.mark.parametrize("form", FORMS)
def test_no_row_has_an_empty_or_star_only_label_and_check_boxes_sit_on_the_heading(db, system, form):
    doc = open_docx(export(db, system, form))
    for t in tables(doc):
        for _, cells in t:
            if len(cells) > 1:
                assert cells[0].replace("※", "").strip(), cells
    seq = body_sequence(doc)
    none_label = "委託しない"
    headings = [t for s, t in seq if s.startswith("Heading") and none_label in t]
    assert headings and all(re.search(r"　\[[ ○]\] 委託しない$", t) for t in headings)
    assert any(s.startswith("Heading") and "提供・移転しない" in t for s, t in seq)


# ---------------------------------------------------------------- 6. ※ once, where the 様式 prints it

@pytest.mark.parametrize("form", FORMS)
def test_star_printed_once_where_the_form_prints_it(db, system, form):
    d = definition(db, form)
    doc = open_docx(export(db, system, form))
    seq = body_sequence(doc)
    texts = [t for _, t in seq]
    assert not any(t.count("※") > 1 for t in texts if t != LEGEND and "※(" not in t)
    # an item never repeats the ※ of the heading above it or of its section's heading
    for s in d.sections:
        for item in _all(s.items):
            starred_above = s.important or any(d.is_important(p.id) for p in _parents(d, item))
            if starred_above and item.label:
                assert f"{item.display} ※" not in texts, item.id
    starred = any(s.important for s in d.sections) or any(d.is_important(i.id) for i in d.items())
    assert (LEGEND in texts) is starred, "the legend only when the document prints a ※"
    if form == "full":
        body = [t for t in texts if t != LEGEND]
        assert sum(t.count("※") for t in body) < 80  # 368 before issue 13
        assert "5.個人番号の利用 ※" in texts and "法令上の根拠 ※" not in texts
        assert "法令上の根拠" in texts
        iii = next(t for s, t in seq if s == "Heading 1" and t.startswith("Ⅲ"))
        assert iii.endswith("※(7.リスク1⑨を除く。)")
    if form == "basic":
        assert not any("※" in t for t in texts)


def _parents(d, item):
    node = d.parent_of(item.id)
    while node is not None:
        yield node
        node = d.parent_of(node.id)


# ---------------------------------------------------------------- 7. draft marker and cover

@pytest.mark.parametrize("form", FORMS)
def test_draft_is_marked_once_in_its_name_and_the_cover_follows_the_form(db, system, form):
    doc = open_docx(export(db, system, form, "draft"))
    seq = body_sequence(doc)
    texts = [t for _, t in seq]
    header = doc.sections[0].header.paragraphs[0].text
    name = f"{DEMOS[form]} {FORM_LABEL[form]}"
    assert header == f"{name}(案)"
    assert sum(t.count("(案)") for t in texts) == 1 and f"{name}(案)" in texts
    assert "【案】" not in header and not any("(素案)" in t for t in texts)
    assert seq[0][0] == "Title" and not seq[0][1].endswith("(案)")
    # the cover: title, 番号・名 block, 宣言, 特記事項, the table; 公表日 blank on a draft; the 版 label at the foot
    assert texts[1:5] == ["評価書番号", "評価書名", texts[3], f"{name}(案)"]
    k = texts.index("個人のプライバシー等の権利利益の保護の宣言")
    assert texts.index("特記事項") == k + 3
    assert texts[texts.index("公表日") + 1] == ""
    if form == "full":
        assert texts[texts.index("個人情報保護委員会 承認日 【行政機関等のみ】") + 1] == ""
    foot = [p for p in doc.element.body.iter(qn("w:p")) if p.find(f"{qn('w:pPr')}/{qn('w:framePr')}") is not None]
    assert [_text(p) for p in foot] == [catalogue.definition(form, demo_version(db, form).form_version).label]
    assert foot[0].find(f"{qn('w:pPr')}/{qn('w:framePr')}").get(qn("w:yAlign")) == "bottom"
    title_style = doc.styles["Title"].element.find(qn("w:pPr"))
    assert title_style is None or title_style.find(qn("w:pBdr")) is None, "no blue rule under the title"


def test_organisation_can_mark_drafts_above_the_title(db, system):
    org = db.exec(select(Organisation)).first()
    org.draft_marker = "above"
    db.add(org)
    db.commit()
    doc = open_docx(export(db, system, "full", "draft"))
    seq = body_sequence(doc)
    texts = [t for _, t in seq]
    assert seq[0] == ("Normal", "(素案)") and seq[1][0] == "Title"
    assert not any("(案)" in t for t in texts) and texts.count("(素案)") == 1
    assert doc.sections[0].header.paragraphs[0].text == "(素案) 住民基本台帳に関する事務 全項目評価書"
    # the full edition is never marked
    full = [t for _, t in body_sequence(open_docx(export(db, system, "full", "full")))]
    assert not any("案)" in t for t in full)


def test_draft_marker_setting_is_validated(db, system):
    from app.domain.policy import Actor
    from app.errors import ValidationFailed
    from app.services import organisation as orgs

    org = db.exec(select(Organisation)).first()
    admin = Actor(user_id=None, login_id="admin", role="admin", organisation_id=org.id, department_ids=frozenset(),
                  display_name="管理者")
    data = {"name": org.name, "kind": org.kind, "municipality": org.municipality,
            "representative": org.representative, "lock_version": org.lock_version}
    with pytest.raises(ValidationFailed) as exc:
        orgs.update_organisation(db, actor=admin, organisation_id=org.id, data={**data, "draft_marker": "both"})
    assert exc.value.errors == {"draft_marker": "案の表示を選択してください。"}
    db.rollback()
    org = orgs.update_organisation(db, actor=admin, organisation_id=org.id, data={**data, "draft_marker": "above"})
    assert org.draft_marker == "above"


# ---------------------------------------------------------------- 8. layout

@pytest.mark.parametrize("form", FORMS)
def test_rows_do_not_split_headers_repeat_and_numbered_items_are_headings(db, system, form):
    d = definition(db, form)
    data = export(db, system, form)
    doc = open_docx(data)
    rows = [(tr, cells) for t in tables(doc) for tr, cells in t]
    kept = [tr for tr, _ in rows if tr.find(qn("w:trPr")) is not None
            and tr.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None]
    long_rows = [cells for tr, cells in rows if tr not in kept]
    assert all(sum(len(c) for c in cells) > 700 for cells in long_rows), "only rows longer than a page may split"
    assert len(kept) >= 0.97 * len(rows)
    changes = next(t for t in tables(doc) if t[0][1][:2] == ["変更日", "項目"])
    assert changes[0][0].find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
    # every numbered top-level item is a heading (Ⅰ7 and Ⅰ8 alike), never a table row
    seq = body_sequence(doc)
    headings = {t.split("　")[0] for s, t in seq if s.startswith("Heading")}
    for s in d.sections:
        if s.kind == "cover" or s.id == "changes":
            continue
        for item in s.items:
            if item.number and item.type != "fixed":
                assert item.display in headings or f"{item.display} ※" in headings, item.id
    # choice lists and check boxes break between choices, never inside one
    for _, t in seq:
        if t.startswith("<選択肢>"):
            assert all(re.match(r"(<選択肢>$|(<選択肢> )?\d+\) )", line) for line in t.split("\n")), t
        if t.startswith(("[○]", "[ ]")):
            assert all(re.match(r"\[[ ○]\] ", line) for line in t.split("\n")), t


def test_basic_sections_flow_on_without_a_page_break(db, system):
    doc = open_docx(export(db, system, "basic"))
    order = blocks(doc)
    h1 = [k for k, (s, _) in enumerate(order) if s == "Heading 1"]
    names = [order[k][1] for k in h1]
    assert names == ["Ⅰ 関連情報", "Ⅱ しきい値判断項目", "Ⅲ しきい値判断結果", "Ⅳ リスク対策", "変更箇所"]
    breaks = {k for k, (s, _) in enumerate(order) if s == "page"}

    def starts_page(k):
        return any(b in breaks for b in range(k - 2, k))
    assert [starts_page(k) for k in h1] == [True, False, False, False, True]
    assert len(breaks) == 2


# ---------------------------------------------------------------- 9. file properties

@pytest.mark.parametrize("form", FORMS)
def test_file_properties_are_the_documents_own(db, system, form):
    before = datetime.now(UTC).replace(microsecond=0)
    data = export(db, system, form)
    doc = open_docx(data)
    props = doc.core_properties
    assert props.title == doc.sections[0].header.paragraphs[0].text
    assert props.author == "しののめ市長" and props.last_modified_by == "しののめ市長"
    assert props.created == props.modified and before <= _utc(props.created) <= datetime.now(UTC)
    assert props.comments == "" and props.keywords == "" and props.revision == 1
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any("thumbnail" in n for n in z.namelist())
        core = z.read("docProps/core.xml").decode()
        app_xml = z.read("docProps/app.xml").decode()
    assert "python-docx" not in core and "2013" not in core
    assert "<Application>SPIA</Application>" in app_xml and "Macintosh" not in app_xml


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def test_file_properties_carry_nothing_withheld(db, system):
    v = demo_version(db, "full")
    secret = "非公表の評価書名(テスト用)"
    row = db.exec(select(Answer).where(Answer.version_id == v.id, Answer.item_id == "cover.name",
                                       Answer.file_uid == "")).first() or Answer(version_id=v.id, item_id="cover.name")
    row.value, row.withheld, row.withheld_reason = secret, True, "テスト"
    db.add(row)
    db.commit()
    full = open_docx(export(db, system, "full", "full")).core_properties
    assert full.title == secret
    for edition in ("public", "draft"):
        data = export(db, system, "full", edition)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            core = z.read("docProps/core.xml").decode()
            app_xml = z.read("docProps/app.xml").decode()
        assert secret not in core and secret not in app_xml
        assert "住民基本台帳に関する事務 全項目評価書" in core
