"""`spia remind [--as-of] [--dry-run] [--json]` against aiosmtpd on loopback: output, exit codes, once-only."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from tests.services.smtp_server import FROM, Collector, addr, sent_rows, start, with_addresses

runner = CliRunner()
AS_OF = "2026-11-23"


@pytest.fixture
def smtp():
    handler = Collector()
    controller, port = start(handler)
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture
def cli_env(demo_engine, monkeypatch, smtp):
    with_addresses(demo_engine)
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SPIA_ENVIRONMENT", "test")
    monkeypatch.setenv("SPIA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPIA_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("SPIA_SMTP_FROM", FROM)
    monkeypatch.setenv("SPIA_SMTP_TIMEOUT_SECONDS", "5")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def remind(*args):
    get_settings.cache_clear()
    return runner.invoke(app, ["remind", "--as-of", AS_OF, *args])


def test_dry_run_json_prints_what_would_be_sent(cli_env, smtp, demo_engine):
    r = remind("--dry-run", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["as_of"] == AS_OF and data["dry_run"] is True and data["counts"]["dry_run"] == 4
    shimin = next(m for m in data["mails"] if m["user"] == "shimin")
    assert shimin["email"] == addr("shimin") and shimin["status"] == "dry_run"
    assert shimin["subject"].startswith("【特定個人情報保護評価】期限のお知らせ(4件")
    assert "令和8年11月23日現在" in shimin["body"]
    item = shimin["items"][0]
    assert set(item) >= {"key", "kind", "kind_label", "threshold", "threshold_label", "due_on", "days_left",
                         "assessment_id", "number", "title", "what"}
    assert item["threshold"] == "overdue" and item["kind_label"] == "見直し"
    assert smtp.received == [] and sent_rows(demo_engine) == []


def test_sends_once_and_reports(cli_env, smtp):
    r = remind()
    assert r.exit_code == 0, r.output
    assert "2026-11-23 のお知らせ: 4通" in r.stdout and "[送信] shimin" in r.stdout
    assert "期限超過 2022-03-15 No.1 見直し: 見直し(毎年)の期限" in r.stdout
    assert len(smtp.received) == 4
    again = remind("--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["mails"] == [] and len(smtp.received) == 4


def test_refused_recipient_exits_non_zero_and_is_sent_next_run(cli_env, smtp):
    smtp.refuse.add(addr("zeimu"))
    r = remind("--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["counts"]["failed"] == 1 and data["counts"]["sent"] == 3
    failed = next(m for m in data["mails"] if m["status"] == "failed")
    assert failed["user"] == "zeimu" and "550" in failed["error"]
    text = remind()
    assert text.exit_code == 1 and "[失敗] zeimu" in text.stdout
    assert "1通を送信できませんでした。次回の実行で再送します。" in text.stderr
    smtp.refuse.clear()
    ok = remind()
    assert ok.exit_code == 0 and "[送信] zeimu" in ok.stdout and len(smtp.to(addr("zeimu"))) == 1


def test_without_smtp_settings_and_bad_date(cli_env):
    cli_env.delenv("SPIA_SMTP_HOST")
    r = remind()
    assert r.exit_code == 1 and "SPIA_SMTP_HOST" in r.stderr
    assert remind("--dry-run").exit_code == 0
    bad = runner.invoke(app, ["remind", "--as-of", "2026/11/23"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr
