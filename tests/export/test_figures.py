"""Issue 13 item 2, read back: the (別添1) diagram in Word and PDF, withheld in the public editions when 非公表,
kept through the JSON and Word round trips, shown to the council.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from docx.oxml.ns import qn
from sqlmodel import select

from app.errors import ValidationFailed
from app.export.assessment_doc import PAGE_MM
from app.export.docx import read_custom_json
from app.models import Answer, FigureBlob
from app.services import exports, jsonimport, jsonio
from tests import dbutil
from tests.export.helpers import body_sequence, open_docx
from tests.export.test_layout import TODAY, demo_version
from tests.fill import png

ITEM = "annex1.diagram"
CAPTION = "図1 住民基本台帳に関する事務 特定個人情報の流れ"


def media(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("word/media/")}


def diagram(db, v):
    return db.exec(select(Answer).where(Answer.version_id == v.id, Answer.item_id == ITEM)).one()


OTHER_JIMU = "児童手当の支給に関する事務"  # registered, with no 全項目評価書 yet: a file is imported as a new one there


def elsewhere(doc: dict) -> dict:
    return {**doc, "jimu": {**doc["jimu"], "name": OTHER_JIMU}}


def export(db, system, v, edition="full", fmt="docx"):
    return exports.export(db, actor=system, version_id=v.id, edition=edition, fmt=fmt, today=TODAY).content


@pytest.mark.parametrize("edition", ["draft", "full", "public"])
def test_the_demo_full_prints_its_diagram_in_annex1_at_page_width(db, system, edition):
    v = demo_version(db, "full")
    ans = diagram(db, v)
    blob = db.get(FigureBlob, ans.value[0]["sha"])
    data = export(db, system, v, edition)
    assert list(media(data).values()) == [blob.data]  # the stored PNG itself, once
    doc = open_docx(data)
    inlines = list(doc.element.body.iter(qn("wp:inline")))
    assert len(inlines) == 1
    extent = inlines[0].find(qn("wp:extent"))
    width_mm = int(extent.get("cx")) / 36000
    assert PAGE_MM - 10 < width_mm <= PAGE_MM  # the width of the page's text
    assert abs(int(extent.get("cy")) / int(extent.get("cx")) - blob.height / blob.width) < 0.01
    assert inlines[0].find(qn("wp:docPr")).get("descr") == CAPTION
    seq = [t for _, t in body_sequence(doc)]
    annex = seq.index("(別添1) 事務の内容")
    label = seq.index("事務の内容(図)", annex)
    # label, the picture's paragraph (no text), then its caption; no 「別添1 … を参照」 inside 別添1 itself
    assert seq[label + 1] == "" and seq[label + 2] == CAPTION
    assert not any("別添1 事務の内容(図)を参照" in t for t in seq)


def test_a_withheld_diagram_is_in_no_public_edition(db, system):
    v = demo_version(db, "full")
    ans = diagram(db, v)
    ans.withheld, ans.withheld_reason = True, "庁内ネットワークの構成が分かるため"
    db.add(ans)
    db.commit()
    for edition in ("draft", "public"):
        data = export(db, system, v, edition)
        assert media(data) == {}, edition
        seq = [t for _, t in body_sequence(open_docx(data))]
        assert "(非公表)" in seq and CAPTION not in seq
        embedded = json.loads(read_custom_json(data))
        assert embedded["figures"] == {}
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert all("特定個人情報の流れ" not in z.read(n).decode("utf-8", "replace") for n in z.namelist())
    assert len(media(export(db, system, v, "full"))) == 1  # the 提出用 keeps everything
    from app.services import snapshots

    v.stage = "draft"
    snap = snapshots.take(db, actor=system, version_id=v.id, purpose="public_comment", today=TODAY)
    assert snap.data["figures"] == {} and media(snap.docx) == {}  # the record of the 案 as published
    full_snap = snapshots.take(db, actor=system, version_id=v.id, purpose="council", today=TODAY)
    assert list(full_snap.data["figures"]) == [ans.value[0]["sha"]]


def test_json_round_trip_carries_the_pictures(db, system):
    v = demo_version(db, "full")
    doc = jsonio.export_version(db, actor=system, version_id=v.id)
    sha = diagram(db, v).value[0]["sha"]
    assert hashlib.sha256(base64.b64decode(doc["figures"][sha])).hexdigest() == sha
    # the picture travels in the file: remove the stored one first, as in a database that never saw it
    for row in db.exec(select(Answer).where(Answer.item_id == ITEM)).all():
        db.delete(row)
    db.delete(db.get(FigureBlob, sha))
    db.commit()
    out = jsonimport.import_document(db, actor=system, data=elsewhere(doc), number=99)
    value = db.exec(select(Answer.value).where(Answer.version_id == out.version.id, Answer.item_id == ITEM)).one()
    assert value == doc["answers"][[e["item"] for e in doc["answers"]].index(ITEM)]["value"]
    assert db.get(FigureBlob, sha) is not None
    again = jsonio.export_version(db, actor=system, version_id=out.version.id)
    assert again["figures"] == doc["figures"]


@pytest.mark.parametrize(("tamper", "message"), [
    (lambda d, sha: d["figures"].__setitem__(sha, base64.b64encode(b"<script>").decode()), "PNG または JPEG"),
    (lambda d, sha: d["figures"].__setitem__(sha, "not base64!"), "base64"),
    (lambda d, sha: d.__setitem__("figures", {}), None),
], ids=["not-an-image", "not-base64", "picture-missing"])
def test_import_refuses_bad_or_missing_pictures(db, system, tamper, message):
    v = demo_version(db, "full")
    doc = jsonio.export_version(db, actor=system, version_id=v.id)
    sha = diagram(db, v).value[0]["sha"]
    tamper(doc, sha)
    if message is None:  # a picture that is neither in the file nor stored: remove the stored one
        for blob in db.exec(select(FigureBlob).where(FigureBlob.sha == sha)).all():
            db.delete(blob)
        for row in db.exec(select(Answer).where(Answer.item_id == ITEM)).all():
            db.delete(row)
        db.commit()
    with pytest.raises(ValidationFailed) as exc:
        jsonimport.import_document(db, actor=system, data=elsewhere(doc), number=98)
    text = " ".join(exc.value.errors.values())
    assert (message or "図の画像がファイルに含まれていません") in text


def test_a_foreign_picture_in_a_file_is_re_encoded_on_import(db, system):
    v = demo_version(db, "full")
    doc = jsonio.export_version(db, actor=system, version_id=v.id)
    entry = next(e for e in doc["answers"] if e["item"] == ITEM)
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "hidden payload")
    raw = io.BytesIO()
    Image.new("RGB", (30, 20), (9, 9, 9)).save(raw, "PNG", pnginfo=info)
    claimed = hashlib.sha256(raw.getvalue()).hexdigest()
    doc["figures"] = {claimed: base64.b64encode(raw.getvalue()).decode()}
    entry["value"] = [{"id": "gforeign01", "sha": claimed, "caption": "外から来た図"}]
    out = jsonimport.import_document(db, actor=system, data=elsewhere(doc), number=97)
    value = db.exec(select(Answer.value).where(Answer.version_id == out.version.id, Answer.item_id == ITEM)).one()
    assert value[0]["sha"] != claimed  # the key of the re-encoded picture
    assert b"hidden payload" not in db.get(FigureBlob, value[0]["sha"]).data


def test_word_round_trip_keeps_the_diagram(db, system):
    """The 国保 全項目 (a draft) exported to Word and imported back into itself: the same figures, same pictures."""
    from app.models import Assessment, Jimu

    jimu = db.exec(select(Jimu).where(Jimu.name == "国民健康保険に関する事務")).one()
    a = db.exec(select(Assessment).where(Assessment.jimu_id == jimu.id, Assessment.form == "full")).one()
    from app.services import assessments

    v = assessments.current_version(db, a.id)
    before = diagram(db, v).value
    data = export(db, system, v, "full")
    for row in db.exec(select(Answer).where(Answer.item_id == ITEM)).all():
        db.delete(row)
    db.delete(db.get(FigureBlob, before[0]["sha"]))
    db.commit()
    exports.import_docx(db, actor=system, data=data, into=a.id)
    v = assessments.current_version(db, a.id)
    assert diagram(db, v).value == before
    assert db.get(FigureBlob, before[0]["sha"]) is not None


def test_pdf_carries_the_diagram(db, system):
    if not shutil.which("soffice") or not shutil.which("pdfimages"):
        if dbutil.REQUIRE_ALL:
            pytest.fail("LibreOffice / pdfimages are required in CI")
        pytest.skip("LibreOffice (soffice) or pdfimages is not installed")
    v = demo_version(db, "full")
    pdf = export(db, system, v, "public", fmt="pdf")
    listing = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    sizes = {(int(line.split()[3]), int(line.split()[4])) for line in listing.splitlines()[2:] if line.strip()}
    assert (1800, 1150) in sizes, listing


def test_png_helper_makes_distinct_pictures():
    assert png("a") != png("b")
