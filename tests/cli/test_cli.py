"""The `spia` command: threshold JSON contract, exit codes, user bootstrap, scope with --user."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(demo_engine, monkeypatch):
    url = demo_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args, env=None):
    return runner.invoke(app, list(args), env=env)


def test_threshold_json_contract():
    r = run("threshold", "--subjects", "120000", "--handlers", "600", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) >= {"required", "result", "procedures", "reasons", "rule_version"}
    assert data["required"] == ["basic", "full"] and data["result"] == "basic+full"


@pytest.mark.parametrize(("args", "result"), [
    (["--subjects", "999", "--handlers", "0"], "not_required"),
    (["--subjects", "9999", "--handlers", "900", "--serious-incident"], "basic"),
    (["--subjects", "10000", "--handlers", "500"], "basic+focused"),
    (["--subjects", "100000", "--handlers", "499"], "basic+focused"),
    (["--subjects", "100000", "--handlers", "499", "--serious-incident"], "basic+full"),
    (["--subjects", "300000", "--handlers", "0"], "basic+full"),
    (["--subjects", "300000", "--handlers", "0", "--exclusion", "staff-only"], "not_required"),
    (["--subjects", "400000", "--handlers", "0", "--org-kind", "national"], "basic+full"),
])
def test_threshold_results(args, result):
    r = run("threshold", *args, "--json")
    assert json.loads(r.stdout)["result"] == result


def test_threshold_readable_japanese_summary():
    r = run("threshold", "--subjects", "120000", "--handlers", "600")
    assert "判定: 基礎項目評価及び全項目評価の実施が義務付けられる" in r.stdout
    assert "全項目評価の手続: 公示・意見聴取(原則30日以上) → 第三者点検" in r.stdout


@pytest.mark.parametrize(("args", "fragment"), [
    (["--subjects", "-1", "--handlers", "0"], "負の数"),
    (["--subjects", "1e5", "--handlers", "0"], "整数"),
    (["--subjects", "999999999", "--handlers", "0"], "大きすぎます"),
    (["--subjects", "1", "--handlers", "0", "--exclusion", "retired"], "retired"),
    (["--subjects", "1", "--handlers", "0", "--org-kind", "city"], "city"),
])
def test_threshold_bad_input_exits_2_in_japanese(args, fragment):
    r = run("threshold", *args, "--json")
    assert r.exit_code == 2
    assert fragment in r.stderr and r.stdout == ""


def test_user_create_and_scope_of_cli_over_db(cli_db):
    r = run("user", "create", "--login", "chief", "--role", "admin", "--name", "最初の管理者", "--password",
            "First-admin9-2026")
    assert r.exit_code == 0, r.output
    bad = run("user", "create", "--login", "weak", "--role", "admin", "--password", "short")
    assert bad.exit_code == 2 and "10文字以上" in bad.stderr
    everyone = json.loads(run("jimu", "list", "--json").stdout)
    assert len(everyone) == 4
    mine = json.loads(run("--user", "shimin", "jimu", "list", "--json").stdout)
    assert [j["name"] for j in mine] == ["住民基本台帳に関する事務"]
    other = next(j for j in everyone if j["name"] == "個人住民税の賦課徴収に関する事務")
    denied = run("--user", "shimin", "jimu", "show", str(other["id"]))
    assert denied.exit_code == 3 and "他の部署の事務" in denied.stderr
    assert run("jimu", "show", "99999").exit_code == 4


def test_demo_is_idempotent_and_prints_accounts(cli_db):
    r = run("demo")
    assert r.exit_code == 0 and "デモデータは登録済みです" in r.stdout
    assert "records" in r.stdout and "Bunsho-Demo-2025" in r.stdout


def test_cli_refusals_and_exports_are_audited(cli_db, read, tmp_path):
    """Item 14: a CLI 403 is a `denied` row; `spia export` / `export-plan` are `output` rows with the edition."""
    from sqlmodel import select

    from app.models import AuditLog

    everyone = json.loads(run("jimu", "list", "--json").stdout)
    other = next(j for j in everyone if j["name"] == "個人住民税の賦課徴収に関する事務")
    assert run("--user", "shimin", "jimu", "show", str(other["id"])).exit_code == 3
    denied = read(select(AuditLog).where(AuditLog.action == "denied"))
    assert denied and denied[-1].after["method"] == "CLI" and denied[-1].after["login"] == "shimin"
    aid = json.loads(run("list", "--json").stdout)[0]["id"]
    assert run("export", str(aid), "--out", str(tmp_path / "a.docx"), "--edition", "full").exit_code == 0
    assert run("export-plan", "--out", str(tmp_path / "p.csv")).exit_code == 0
    outputs = read(select(AuditLog).where(AuditLog.action == "output").order_by(AuditLog.id))
    assert [o.entity for o in outputs[-2:]] == ["version", "plan"] and outputs[-2].after["edition"] == "full"


def test_export_of_a_version_that_does_not_exist_or_of_another_department(cli_db, tmp_path):
    """`--version N` picks 第N版; a missing one exits 4 with a Japanese message, another department's 評価書 exits 3,
    and no file is written in either case (export and export-json alike)."""
    listed = json.loads(run("list", "--json").stdout)
    juki = next(a for a in listed if a["jimu"] == "住民基本台帳に関する事務")
    for cmd, name in (("export", "a.docx"), ("export-json", "a.json")):
        ok = run(cmd, str(juki["id"]), "--out", str(tmp_path / name), "--version", "1")
        assert ok.exit_code == 0, ok.output
        missing = run(cmd, str(juki["id"]), "--out", str(tmp_path / f"x-{name}"), "--version", "99")
        assert missing.exit_code == 4 and "指定された版がありません。" in missing.output
        other = run("--user", "kodomo", cmd, str(juki["id"]), "--out", str(tmp_path / f"y-{name}"))
        assert other.exit_code == 3
        assert not (tmp_path / f"x-{name}").exists() and not (tmp_path / f"y-{name}").exists()
