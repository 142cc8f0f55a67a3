"""`spia import-plan FILE`: dry run, mapping, department confirmation, idempotent re-run, staff refused."""
from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from app.models import AssessmentVersion, Jimu

runner = CliRunner()
CSV = ("番号,事務の名称,区分,公表日,担当部署\r\n"
       "601,CLI移行テスト事務,全項目評価書,R2.10.1,CLIテスト課\r\n"
       "601,CLI移行テスト事務,基礎項目評価書,令和2年10月1日,CLIテスト課\r\n").encode("cp932")


@pytest.fixture
def cli_db(demo_engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield demo_engine
    get_settings.cache_clear()


def test_import_plan(cli_db, tmp_path):
    f = tmp_path / "plan.csv"
    f.write_bytes(CSV)
    r = runner.invoke(app, ["import-plan", str(f)])
    assert r.exit_code == 2 and "区分" in r.output  # an unrecognised header: named, nothing written
    r = runner.invoke(app, ["import-plan", str(f), "--map", "区分=評価の種類", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "作成 2件" in r.output and "作成する部署: CLIテスト課" in r.output and "書き込んでいません" in r.output
    r = runner.invoke(app, ["import-plan", str(f), "--map", "区分=評価の種類"])
    assert r.exit_code == 2 and "CLIテスト課" in r.output  # the new department is not confirmed
    with Session(cli_db) as s:
        assert s.exec(select(Jimu).where(Jimu.name == "CLI移行テスト事務")).first() is None
    r = runner.invoke(app, ["import-plan", str(f), "--map", "区分=評価の種類", "--create-departments", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["counts"]["create"] == 2 and {x["form"] for x in data["rows"]} == {"basic", "full"}
    with Session(cli_db) as s:
        jimu = s.exec(select(Jimu).where(Jimu.name == "CLI移行テスト事務")).one()
        kinds = s.exec(select(AssessmentVersion.kind).where(AssessmentVersion.kind == "migration")).all()
        assert jimu and len(kinds) == 2
    r = runner.invoke(app, ["import-plan", str(f), "--map", "区分=評価の種類", "--json"])
    assert json.loads(r.stdout)["counts"]["unchanged"] == 2
    # staff may not (and the file check comes first: a bad file is exit 2 with a message)
    r = runner.invoke(app, ["--user", "shimin", "import-plan", str(f), "--map", "区分=評価の種類", "--dry-run"])
    assert r.exit_code != 0 and "移行登録は総務・文書担当と管理者だけ" in r.output
    bad = tmp_path / "plan.xlsm"
    bad.write_bytes(b"PK")
    r = runner.invoke(app, ["import-plan", str(bad)])
    assert r.exit_code == 2 and "マクロ" in r.output
