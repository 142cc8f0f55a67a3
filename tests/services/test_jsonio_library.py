"""Lossless JSON round trip (CLI, API, service), `spia list --json`, and the measure library."""
from __future__ import annotations

import json

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import get_settings
from app.errors import ValidationFailed
from app.models import Assessment, Jimu, LibraryMeasure
from app.services import jsonio
from tests.factories import new_jimu


@pytest.fixture
def cli_env(demo_engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def juki_full(read) -> int:
    jid = read(select(Jimu.id).where(Jimu.name == "住民基本台帳に関する事務"))[0]
    return read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full"))[0]


def test_cli_export_import_round_trip_is_identical(cli_env, tmp_path, browser, read):
    aid = juki_full(read)
    out = tmp_path / "juki.json"
    r = cli_env.invoke(cli, ["export-json", str(aid), "--out", str(out)])
    assert r.exit_code == 0, r.output
    original = json.loads(out.read_text(encoding="utf-8"))
    assert len(original["files"]) == 3 and len(original["answers"]) > 400
    # import as a new 評価書 of another 事務 with the same content
    new_jimu(browser, read, login="shimin", dept="市民課", name="住民基本台帳に関する事務(検証用)", subjects=400_000)
    copy = dict(original, jimu={**original["jimu"], "name": "住民基本台帳に関する事務(検証用)"})
    (tmp_path / "copy.json").write_text(json.dumps(copy, ensure_ascii=False), encoding="utf-8")
    r = cli_env.invoke(cli, ["import-json", str(tmp_path / "copy.json"), "--number", "90"])
    assert r.exit_code == 0, r.output
    # the copy is a working draft: the procedure record and the other 事務's file links are not taken over
    assert "手続の記録(段階・日付)は取り込みません" in r.output and "取り込みませんでした" in r.output
    new_id = read(select(Assessment.id).join(Jimu).where(Jimu.name == "住民基本台帳に関する事務(検証用)",
                                                         Assessment.form == "full"))[0]
    r = cli_env.invoke(cli, ["export-json", str(new_id), "--out", str(tmp_path / "again.json")])
    again = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    for key in ("answers", "actions"):
        assert again[key] == original[key], key
    assert again["files"] == [{**f, "register_file_id": None} for f in original["files"]]
    procedure = {"seq": 1, "kind": "initial", "stage": "draft", "submitted_on": None, "approved_on": None,
                 "published_on": None}
    assert again["version"] == {**original["version"], **procedure}
    assert again["assessment"] == {"form": "full", "number": 90}


def test_import_rejects_bad_documents_and_writes_nothing(db, read):
    from app.domain.policy import SYSTEM
    from app.models import Organisation

    org = db.exec(select(Organisation)).first()
    actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org.id})
    before = len(read(select(Assessment)))
    good = jsonio.export_version(db, actor=actor, version_id=_current(read, juki_full(read)))
    for broken, fragment in [
        ({"format": "other"}, "評価書のJSONではありません"),
        ({**good, "answers": [{"file": "", "item": "no.such.item", "value": "x"}]}, "にない項目"),
        ({**good, "answers": [{"file": "", "item": "I.1.3", "value": "100万人"}]}, "様式にありません"),
        ({**good, "answers": [{"file": "", "item": "I.1.2", "value": "a\x00b"}]}, "制御文字"),
        ({**good, "answers": [{"file": "nope", "item": "II.1", "value": "x"}]}, "ファイル指定"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            jsonio.import_version(db, actor=actor, data=broken, number=77)
        db.rollback()
        assert any(fragment in m for m in exc.value.errors.values()), exc.value.errors
    assert len(read(select(Assessment))) == before


def _current(read, aid):
    from tests.factories import version_of

    return version_of(read, aid).id


def test_api_json_export_and_import_into_a_draft(browser, read):
    browser.login_as("hoken")
    jid = read(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務"))[0]
    aid = read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full"))[0]
    vid = _current(read, aid)
    doc = browser.api("GET", f"/api/v1/versions/{vid}/json").json()
    doc_answers = {(a["file"], a["item"]): a["value"] for a in doc["answers"]}
    r = browser.api("POST", f"/api/v1/assessments/import?into={aid}", json=doc)
    assert r.status_code == 201, r.text
    again = browser.api("GET", f"/api/v1/versions/{r.json()['version_id']}/json").json()
    assert {(a["file"], a["item"]): a["value"] for a in again["answers"]} == doc_answers
    browser.login_as("zeimu")
    assert browser.api("GET", f"/api/v1/versions/{vid}/json").status_code == 403
    assert browser.api("POST", f"/api/v1/assessments/import?into={aid}", json=doc).status_code == 403


def test_spia_list_json(cli_env):
    r = cli_env.invoke(cli, ["list", "--json"])
    data = json.loads(r.stdout)
    juki = next(x for x in data if x["jimu"] == "住民基本台帳に関する事務" and x["form"] == "full")
    assert (juki["number"], juki["stage"], juki["form_version"]) == (1, "published", "h30-05")
    assert {"id", "jimu", "form", "number", "stage", "version"} <= set(juki)
    mine = json.loads(cli_env.invoke(cli, ["--user", "hoken", "list", "--json"]).stdout)
    assert {x["jimu"] for x in mine} == {"国民健康保険に関する事務"}


def test_library_search_and_permissions(browser, read):
    browser.login_as("shimin")
    page = browser.page("/library?q=USB")
    rows = page.select("#library-table tbody tr")
    assert rows and all("USB" in r.get_text() or "電子記録媒体" in r.get_text() for r in rows)
    assert browser.post("/library", {"title": "x", "text": "y", "audience": "staff", "risks": "use"}).status_code == 403
    browser.login_as("records")
    bad = browser.post("/library", {"title": "", "text": "y", "audience": "public"})
    assert bad.status_code == 422 and "見出しを入力" in bad.text and "リスクを1つ以上" in bad.text
    ok = browser.post("/library", [("title", "クラウドの利用"), ("text", "ISMAP登録のクラウドを利用している。"),
                                   ("audience", "external"), ("risks", "store"), ("active", "1")])
    assert ok.status_code == 303
    assert read(select(LibraryMeasure.title).where(LibraryMeasure.title == "クラウドの利用")) == ["クラウドの利用"]
