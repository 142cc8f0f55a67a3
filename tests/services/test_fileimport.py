"""Issue 15 §2/§4: importing 評価書 files a person filled in the PPC's Word / Excel 様式 (built here: number, label and
answer in their own cells, a table per heading, merged cells, 「■」 check boxes, (1) instead of ①, 1. measures), the
bad files that must be refused with nothing written, and the CLI."""
from __future__ import annotations

import io
import json

import pytest

from app.domain.answer_types import row_label
from app.domain.forms import AUDIENCES
from app.domain.policy import SYSTEM
from app.domain.wareki import wareki
from app.models import AssessmentVersion
from app.services import catalogue, fileimport, revisions
from app.services.answers import version_values
from app.services.assessments import current_version, files
from tests.services.test_fileimport_roundtrip import compare

CIRCLED = {chr(0x2460 + i): f"({i + 1})" for i in range(20)}


def _actor():
    return SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": 1})


def _box(item, value) -> str:
    """An answer as a person types it into the 様式 (not as our export prints it)."""
    from datetime import date

    if value is None or value in ("", [], {}):
        return "-"
    t = item.type
    if t in ("choice", "judgement"):
        return "　".join(("■ " if c == value else "□ ") + c for c in item.choice_labels)
    if t == "multi":
        return "\n".join(("■ " if c in value else "□ ") + c for c in item.choice_labels)
    if t == "multi_text":
        return "\n".join(("■ " if c.label in value["checked"] else "□ ") + c.label
                         + (f"({value['texts'][c.label]})" if value["texts"].get(c.label) else "") for c in item.choices)
    if t == "number":
        return f"{value:,}{item.unit}"
    if t == "date":
        return wareki(date.fromisoformat(value))
    if t == "measures":
        out = []
        for aud, heading in AUDIENCES.items():
            texts = [m["text"] for m in value.get(aud, []) if m["text"].strip()]
            if texts:
                out.append(f"【{heading}】")
                out.extend(f"{n}. {x}" for n, x in enumerate(texts, 1))
        return "\n".join(out) or "-"
    return str(value)


def _number(item) -> str:
    n = item.number
    for k, v in CIRCLED.items():
        n = n.replace(k, v)   # (1) where the 様式 prints ①
    return n


def person_rows(d, values, vfiles, number):
    """Blocks of the file: ("p", text) paragraphs and ("t", [[cells]], merges) tables, in the 様式's order."""
    blocks = [("p", d.manifest.title), ("t", [["評価書番号", "評価書名"], [str(number), values[""].get("cover.name", "")]])]

    def rows_of(item, vals, out):
        if item.type == "fixed" or (item.readonly and item.prefill != "assessment.number"):
            return
        if item.type == "heading":
            child = item.children[0] if item.children and not item.children[0].label.strip() else None
            out.append([_number(item), item.label, _box(child, vals.get(child.id)) if child else ""])
            for c in item.children:
                if c is not child:
                    rows_of(c, vals, out)
        elif item.type == "group" and item.print_as == "list":
            blocks.append(("t", out[:] if out else None))
            out.clear()
            blocks.append(("t", [["項番"] + [c.label for c in item.children]] + [
                [str(n)] + [_box(c, r.get(c.id)) for c in item.children] for n, r in enumerate(vals.get(item.id) or [], 1)]))
        elif item.type == "group":
            rows = vals.get(item.id) or []
            out.append([_number(item), item.label, "" if rows else "-"])
            for n, r in enumerate(rows, 1):
                first = item.children[0]
                titled = first.type == "text" and not first.number
                out.append(["", row_label(item, n), _box(first, r.get(first.id)) if titled else ""])
                for c in item.children[1 if titled else 0:]:
                    out.append([_number(c), c.label, _box(c, r.get(c.id))])
        elif item.answerable:
            if item.id == "cover.number" or item.id == "cover.name":
                return
            out.append([_number(item), item.label, _box(item, vals.get(item.id))])

    for s in d.sections:
        if s.id == "changes":
            continue
        if s.kind != "cover":
            blocks.append(("p", f"{s.number} {s.title}".strip()))
        scopes = [("", "")] if s.scope != "file" else [(f.uid, f.name) for f in vfiles]
        for n, (uid, name) in enumerate(scopes, 1):
            if name:
                blocks.append(("p", f"【ファイル{n}】{name}"))
            vals = {**values.get("", {}), **values.get(uid, {})}
            for top in s.items:
                out: list = []
                rows_of(top, vals, out)
                if out:
                    blocks.append(("t", out))   # a table per top-level item: another split than our export's
    blocks.append(("p", f"[{d.label.strip('[]')}]"))
    return [b for b in blocks if b[1]]


def person_docx(blocks) -> bytes:
    from docx import Document

    doc = Document()
    for kind, body in blocks:
        if kind == "p":
            doc.add_paragraph(body)
            continue
        width = max(len(r) for r in body)
        table = doc.add_table(rows=0, cols=width)
        for r in body:
            cells = table.add_row().cells
            for k, text in enumerate(r):
                cells[k].text = text
            if width == 3 and r[1] and not r[2] and not r[0]:
                cells[1].merge(cells[2])   # a heading row over two cells (a merged cell)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def person_xlsx(blocks) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "評価書"
    row = 1
    for kind, body in blocks:
        for r in ([[body]] if kind == "p" else body):
            for k, text in enumerate(r, 1):
                ws.cell(row=row, column=k, value=text or None)
            if kind == "p":
                ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
            row += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("assessment_id", [1, 5, 7])
@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_person_filled_layout_imports_every_item(db, assessment_id, kind):
    actor = _actor()
    from app.models import Assessment

    a = db.get(Assessment, assessment_id)
    v = current_version(db, assessment_id)
    d = catalogue.definition(a.form, v.form_version)
    before = version_values(db, v.id)
    vfiles = files(db, v.id)
    number = a.number
    blocks = person_rows(d, before, vfiles, number)
    data = person_docx(blocks) if kind == "docx" else person_xlsx(blocks)
    if v.stage == "published":
        revisions.revise(db, actor=actor, assessment_id=assessment_id, reason="change")
    rep = fileimport.import_file(db, actor=actor, name=f"filled.{kind}", data=data, form=d.form, into=assessment_id)
    assert rep.missing == [], rep.missing
    equal, total, diffs = compare(d, before, version_values(db, rep.version_id), [f.uid for f in vfiles])
    print(f"\n{kind} 評価書{assessment_id}: {equal}/{total}; {rep.summary()}\n" + "\n".join(diffs))
    pictures = sum(1 for uid in before for i in before[uid] if d.item(i).type == "figure")
    assert equal >= total - pictures, diffs


def _exported(db, assessment_id: int) -> bytes:
    from app.services import exports
    from tests import dbutil
    from tests.services.test_fileimport_roundtrip import strip_json

    v = current_version(db, assessment_id)
    return strip_json(exports.export(db, actor=_actor(), version_id=v.id, edition="full", today=dbutil.DEMO_TODAY).content)


def test_import_is_a_draft_and_leftovers_are_listed(db):
    """A published 評価書's file into its new draft: a draft (no stages carried), the figure listed, not dropped."""
    data = _exported(db, 5)
    rep = fileimport.import_file(db, actor=_actor(), name="kokuho.docx", data=data, form="full", into=5)
    v = db.get(AssessmentVersion, rep.version_id)
    assert v.stage == "draft" and v.published_on is None
    from app.services import migration

    assert migration.was_imported(db, v.id)   # 移行登録 is offered for it (an audit action starting with `import`)
    left = fileimport.leftovers_of(db, v.id)
    assert [u.old_item_id for u in left] == ["annex1.diagram"] and "図1" in left[0].text


def test_older_version_file_moves_to_the_newer_version(db):
    """A 評価書 on [平成30年5月 様式2] imported into a new r06-10 draft: read with h30-05, moved by id/successor_map."""
    from app.models import Assessment

    data = _exported(db, 6)        # basic h30-05 (個人住民税)
    a = db.get(Assessment, 6)
    revisions.revise(db, actor=_actor(), assessment_id=a.id, reason="change", form_version="r06-10")
    rep = fileimport.import_file(db, actor=_actor(), name="zeimin.docx", data=data, form="basic", into=a.id)
    assert (rep.source_version, rep.target_version) == ("h30-05", "r06-10")
    assert rep.filled and not rep.missing


def test_cli_import_file(db, demo_engine, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app import cli

    path = tmp_path / "kokuho.docx"
    path.write_bytes(_exported(db, 4))
    monkeypatch.setattr(cli, "engine", lambda: demo_engine)
    out = CliRunner().invoke(cli.app, ["import-file", str(path), "--form", "basic", "--into", "4", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["filled"] > 0 and report["missing"] == []
    bad = CliRunner().invoke(cli.app, ["import-file", str(path), "--form", "full", "--into", "5"])
    assert bad.exit_code == 2 and "基礎項目評価書です" in bad.output
