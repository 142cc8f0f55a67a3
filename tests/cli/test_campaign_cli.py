"""`spia campaign plan FILE --as-of DATE --json` and `spia campaign apply FILE` on the demo."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings

runner = CliRunner()
EXAMPLE = str(Path(__file__).resolve().parents[2] / "assessments" / "demo" / "campaigns" / "gov_cloud.yaml")


@pytest.fixture
def cli_db(demo_engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def plan():
    r = runner.invoke(app, ["campaign", "plan", EXAMPLE, "--as-of", "2026-11-23", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_plan_then_apply_then_plan_again(cli_db, tmp_path):
    data = plan()
    assert data["planned_on"] == "2027-04-01" and data["not_found"] == []
    status = {(a["jimu"][:4], a["form"]): (a["status"], a["kind"], a["timing"]) for a in data["assessments"]}
    assert status[("住民基本", "full")] == ("ready", "reassessment", "事前")
    assert status[("児童手当", "basic")] == ("ready", "correction", "事前")
    r = runner.invoke(app, ["campaign", "apply", EXAMPLE])
    assert r.exit_code == 0, r.output
    assert "新しい版 5件" in r.stdout
    assert {a["status"] for a in plan()["assessments"]} == {"applied", "skipped"}
    r = runner.invoke(app, ["campaign", "apply", EXAMPLE, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["created"] == []
    text = runner.invoke(app, ["campaign", "plan", EXAMPLE, "--as-of", "2026-11-23"])
    assert "適用済み" in text.stdout


def test_a_bad_file_exits_2(cli_db, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nedits: []\n", "utf-8")
    r = runner.invoke(app, ["campaign", "plan", str(bad), "--json"])
    assert r.exit_code == 2 and "reason" in r.output
    r = runner.invoke(app, ["campaign", "plan", str(tmp_path / "none.yaml")])
    assert r.exit_code == 2
