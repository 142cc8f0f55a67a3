"""The 版 label printed on the cover (Word export and screen) is the one of the 様式 version the 評価書 version uses
(issue 12 §3: the demo 基礎 published 令和3年3月15日 printed [令和6年10月 様式2])."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from app.models import Assessment, AssessmentVersion, FormLabel, Jimu
from app.services import catalogue, exports
from tests.export.helpers import body_sequence, open_docx

TODAY = date(2026, 11, 23)


def cover_labels(db, system, v) -> list[str]:
    """The 版 labels (any 様式 version's) printed in the document, in order."""
    every = {d.label for d in catalogue.catalogue().all()} | {row.label for row in db.exec(select(FormLabel)).all()}
    data = exports.export(db, actor=system, version_id=v.id, edition="full", today=TODAY).content
    return [t for _, t in body_sequence(open_docx(data)) if t in every]


def demo_version(db, jimu: str, form: str) -> AssessmentVersion:
    jid = db.exec(select(Jimu.id).where(Jimu.name == jimu)).one()
    aid = db.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form)).one()
    return db.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == aid)).one()


@pytest.mark.parametrize(("jimu", "form", "label"), [
    ("住民基本台帳に関する事務", "basic", "[平成30年5月 様式2]"),           # published 令和3年3月15日
    ("住民基本台帳に関する事務", "full", "[平成30年5月 様式4]"),
    ("個人住民税の賦課徴収に関する事務", "focused", "[平成30年5月 様式3]"),  # published 令和6年7月1日
    ("個人住民税の賦課徴収に関する事務", "basic", "[平成30年5月 様式2]"),
    ("児童手当の支給に関する事務", "basic", "[令和6年10月 様式2]"),          # published 令和7年6月2日
    ("国民健康保険に関する事務", "basic", "[令和6年10月 様式2]"),            # a draft
])
def test_docx_cover_prints_the_label_of_the_version_used(db, system, jimu, form, label):
    v = demo_version(db, jimu, form)
    assert catalogue.definition(form, v.form_version).label == label
    assert cover_labels(db, system, v) == [label]


def test_an_administrators_correction_of_that_version_is_printed(db, system):
    v = demo_version(db, "住民基本台帳に関する事務", "basic")
    db.add(FormLabel(form="basic", version="h30-05", label="[平成30年5月 様式2](訂正)"))
    db.add(FormLabel(form="basic", version="r06-10", label="[令和6年10月 様式2](訂正)"))
    db.commit()
    assert cover_labels(db, system, v) == ["[平成30年5月 様式2](訂正)"]


def test_the_screen_shows_the_same_label(browser, db):
    v = demo_version(db, "住民基本台帳に関する事務", "basic")
    browser.login_as("records")
    overview = browser.page(f"/assessments/{v.assessment_id}")
    row = next(th.find_parent("tr") for th in overview.select("th[scope=row]") if th.get_text(strip=True) == "様式")
    assert row.td.get_text(" ", strip=True) == "基礎項目評価書 [平成30年5月 様式2]"
    editor = browser.page(f"/versions/{v.id}/edit/cover")
    assert "[平成30年5月 様式2]" in editor.h1.get_text()
