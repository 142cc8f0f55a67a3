"""Issue 11 items 1 and 9: an import brings content only (a 作成中 draft), and keeps the links to the register."""
from __future__ import annotations

import json

import pytest
from sqlmodel import select

from app.models import AssessmentVersion, AuditLog, SpecificFile, StageEvent, VersionFile
from app.services.jsonimport import PROCEDURE_NOTICE
from tests.factories import new_jimu

PROCEDURE = {"stage": "published", "kind": "correction", "seq": 7, "submitted_on": "2026-10-01",
             "approved_on": "2026-10-02", "published_on": "2026-10-03"}


def _export(browser, version_id: int) -> dict:
    r = browser.api("GET", f"/api/v1/versions/{version_id}/json")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_staff_member_cannot_publish_by_importing(browser, read, ids):
    name = "国民健康保険の保健事業に関する事務"
    new_jimu(browser, read, login="hoken", dept="保険年金課", name=name)
    doc = _export(browser, ids["kokuho_full_v"])
    doc = {**doc, "jimu": {**doc["jimu"], "name": name}, "version": {**doc["version"], **PROCEDURE}}
    r = browser.api("POST", "/api/v1/assessments/import?number=901", json=doc)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["stage"] == "draft" and body["notices"][0] == PROCEDURE_NOTICE
    v = read(select(AssessmentVersion).where(AssessmentVersion.id == body["version_id"]))[0]
    assert (v.seq, v.kind, v.stage, v.frozen) == (1, "initial", "draft", False)
    assert (v.submitted_on, v.approved_on, v.published_on) == (None, None, None)
    assert read(select(StageEvent).where(StageEvent.version_id == v.id)) == []
    log = read(select(AuditLog).where(AuditLog.entity == "assessment_version", AuditLog.entity_id == str(v.id),
                                      AuditLog.action == "imported"))
    assert log and PROCEDURE_NOTICE in log[-1].after["notices"]
    # the 計画管理書 does not list it as published
    plan = browser.get("/plan/export?format=csv").content.decode("utf-8-sig")
    row = next(line for line in plan.splitlines() if name in line)
    assert "公表済" not in row and "2026-10-03" not in row


def test_a_plain_working_copy_gets_no_notice(browser, read, ids):
    name = "国民健康保険の保健事業に関する事務"
    new_jimu(browser, read, login="hoken", dept="保険年金課", name=name)
    doc = _export(browser, ids["kokuho_full_v"])
    doc = {**doc, "jimu": {**doc["jimu"], "name": name},
           "version": {**doc["version"], "stage": "draft", "kind": "initial", "seq": 1,
                       "submitted_on": None, "approved_on": None, "published_on": None},
           "files": [{**f, "register_file_id": None} for f in doc["files"]]}
    r = browser.api("POST", "/api/v1/assessments/import?number=902", json=doc)
    assert r.status_code == 201, r.text
    assert r.json()["notices"] == []


def test_into_keeps_the_version_procedure_and_refuses_frozen_or_foreign(browser, read, ids):
    browser.login_as("hoken")
    doc = _export(browser, ids["kokuho_full_v"])
    before = read(select(AssessmentVersion).where(AssessmentVersion.id == ids["kokuho_full_v"]))[0]
    r = browser.api("POST", f"/api/v1/assessments/import?into={ids['kokuho_full']}",
                    json={**doc, "version": {**doc["version"], **PROCEDURE}})
    assert r.status_code == 201, r.text
    assert r.json()["notices"] == [PROCEDURE_NOTICE] and r.json()["version_id"] == ids["kokuho_full_v"]
    after = read(select(AssessmentVersion).where(AssessmentVersion.id == ids["kokuho_full_v"]))[0]
    assert (after.seq, after.kind, after.stage, after.frozen, after.published_on) == (
        before.seq, before.kind, before.stage, before.frozen, before.published_on)
    # another department's 評価書: 403; a published (frozen) version: 409 with a Japanese reason
    r = browser.api("POST", f"/api/v1/assessments/import?into={ids['juki_basic']}", json=doc)
    assert r.status_code == 403
    browser.login_as("shimin")
    basic = _export(browser, ids["juki_basic_v"])
    r = browser.api("POST", f"/api/v1/assessments/import?into={ids['juki_basic']}", json=basic)
    assert r.status_code == 409 and "公表済" in r.text


def test_cli_import_prints_and_records_the_notice(tmp_path, demo_engine, read, ids, monkeypatch):
    from sqlmodel import Session
    from typer.testing import CliRunner

    from app.cli import app
    from app.config import get_settings
    from app.domain.policy import SYSTEM
    from app.services import jsonio

    with Session(demo_engine) as s:
        actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": ids["org"]})
        doc = jsonio.export_version(s, actor=actor, version_id=ids["kokuho_full_v"])
    path = tmp_path / "k.json"
    path.write_text(json.dumps({**doc, "version": {**doc["version"], **PROCEDURE}}, ensure_ascii=False), "utf-8")
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["--user", "hoken", "import-json", str(path), "--into", str(ids["kokuho_full"])])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    assert PROCEDURE_NOTICE in r.output
    v = read(select(AssessmentVersion).where(AssessmentVersion.id == ids["kokuho_full_v"]))[0]
    assert not v.frozen and v.stage != "published"


@pytest.mark.parametrize("with_key", [True, False], ids=["export-with-links", "older-export-without-links"])
def test_json_round_trip_keeps_the_register_links(browser, read, ids, with_key):
    browser.login_as("shimin")
    vid = ids["juki_full_revised_v"]
    links = {f.uid: f.register_file_id for f in read(select(VersionFile).where(VersionFile.version_id == vid))}
    assert links and all(links.values())
    doc = _export(browser, vid)
    if not with_key:
        doc["files"] = [{k: v for k, v in f.items() if k != "register_file_id"} for f in doc["files"]]
    r = browser.api("POST", f"/api/v1/assessments/import?into={ids['juki_full']}", json=doc)
    assert r.status_code == 201, r.text
    assert r.json()["notices"] == []
    assert {f.uid: f.register_file_id for f in read(select(VersionFile).where(VersionFile.version_id == vid))} == links


def test_a_link_to_another_jimu_file_is_dropped_with_a_notice(browser, read, ids):
    browser.login_as("shimin")
    vid = ids["juki_full_revised_v"]
    foreign = read(select(SpecificFile.id).where(SpecificFile.jimu_id == ids["kokuho_jimu"]))[0]
    doc = _export(browser, vid)
    doc["files"][0]["register_file_id"] = foreign
    r = browser.api("POST", f"/api/v1/assessments/import?into={ids['juki_full']}", json=doc)
    assert r.status_code == 201, r.text
    assert any("取り込みませんでした" in n for n in r.json()["notices"])
    uid = doc["files"][0]["uid"]
    got = read(select(VersionFile.register_file_id).where(VersionFile.version_id == vid, VersionFile.uid == uid))
    assert got == [None]


def test_docx_import_of_a_published_edition_is_a_draft(browser, read, demo_engine, ids):
    from sqlmodel import Session

    from app.domain.policy import SYSTEM
    from app.services import exports
    from tests.dbutil import DEMO_TODAY

    name = "住民基本台帳に関する事務(写し)"
    new_jimu(browser, read, login="shimin", dept="市民課", name=name)
    actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": ids["org"]})
    with Session(demo_engine, expire_on_commit=False) as s:
        published = s.get(AssessmentVersion, ids["juki_full_published_v"])
        assert published.stage == "published" and published.frozen
        data = exports.export(s, actor=actor, version_id=published.id, edition="full", fmt="docx",
                              today=DEMO_TODAY).content
        from app.export.docx import read_custom_json

        doc = json.loads(read_custom_json(data))
        assert doc["version"]["stage"] == "published"
    # the same embedded document, under the copy's 事務 name, through the DOCX import path
    from app.services import jsonimport

    with Session(demo_engine, expire_on_commit=False) as s:
        out = jsonimport.import_document(s, actor=actor, data={**doc, "jimu": {**doc["jimu"], "name": name}},
                                         number=903)
    assert out.notices[0] == PROCEDURE_NOTICE
    v = read(select(AssessmentVersion).where(AssessmentVersion.id == out.version.id))[0]
    assert (v.seq, v.kind, v.stage, v.frozen, v.published_on) == (1, "initial", "draft", False, None)
