"""Issue 11 item 4: every CSV the product writes neutralises cells a spreadsheet would read as a formula.

CSV writers of the product (each goes through app.export.csv_safe.to_csv_bytes):
- 計画管理書 CSV: `GET /plan/export?format=csv` and `spia export-plan --out x.csv` (services.plan.to_csv).
- 一括変更の進捗 CSV: `GET /campaigns/{id}/report?format=csv` (services.campaign_progress.to_csv).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlmodel import select

from app.export.csv_safe import neutralise, to_csv_bytes
from tests.factories import new_assessment

APP = Path(__file__).resolve().parents[2] / "app"
CAMPAIGN = APP.parent / "assessments" / "demo" / "campaigns" / "gov_cloud.yaml"
PAYLOADS = ['=HYPERLINK("http://x"&A1,"詳細")', "+SUM(1,2)", "-2+3", "@cmd", "\t=1+1", "\r=1", "\n=1",
            "＝HYPERLINK(\"http://x\")", "＋1", "－1", "＠SUM(A1)"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralise_prefixes_formula_cells(payload):
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize(("value", "expected"), [(12, "12"), (-3, "-3"), (1.5, "1.5"), (None, ""),
                                             ("住民基本台帳に関する事務", "住民基本台帳に関する事務"),
                                             ("令和8年4月1日", "令和8年4月1日"), ("a=b", "a=b"), ("", "")])
def test_neutralise_leaves_data_alone(value, expected):
    assert neutralise(value) == expected


def test_to_csv_bytes_neutralises_header_and_rows():
    text = to_csv_bytes(["=h"], [["=1+1", 5]]).decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [["'=h"], ["'=1+1", "5"]]


def _formula_cells(rows: list[list[str]]) -> list[str]:
    return [c for row in rows for c in row if c and c[0] in "=+-@\t\r\n＝＋－＠"]


NAME = '=HYPERLINK("http://x"&A1,"詳細")'


def test_plan_csv_route_neutralises_a_hostile_jimu_name(browser, read):
    new_assessment(browser, read, name=NAME)
    r = browser.get("/plan/export?format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert "'" + NAME in cells
    assert _formula_cells(rows) == []


def test_plan_csv_cli_neutralises_a_hostile_jimu_name(browser, read, demo_engine, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app.cli import app
    from app.config import get_settings

    new_assessment(browser, read, name=NAME)
    out = tmp_path / "plan.csv"
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["export-plan", "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert "'" + NAME in [c for row in rows for c in row]
    assert _formula_cells(rows) == []


def test_campaign_progress_csv_neutralises_a_hostile_jimu_name(browser, read, demo_engine):
    from sqlmodel import Session

    from app.models import Jimu

    b = browser.login_as("records")
    r = b.post("/campaigns", {"spec": CAMPAIGN.read_text("utf-8")})
    assert r.status_code == 303, r.text[:500]
    url = r.headers["location"]
    assert b.post(url + "/apply").status_code == 303
    with Session(demo_engine) as s:  # a 事務 of the campaign renamed to what a spreadsheet would run as a formula
        jimu = s.exec(select(Jimu).where(Jimu.name == "個人住民税の賦課徴収に関する事務")).one()
        jimu.name = NAME
        s.add(jimu)
        s.commit()
    out = b.get(url + "/report?format=csv")
    assert out.status_code == 200 and out.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(out.content.decode("utf-8-sig"))))
    assert "'" + NAME in [c for row in rows for c in row], rows
    assert _formula_cells(rows) == []


# writers only: reading a CSV (the 計画管理書 import, services/planfile.py) cannot inject a formula
CSV_USE = re.compile(r"^\s*from csv import[^\n]*\b(writer|DictWriter)\b|csv\.(writer|DictWriter)\b", re.M)


def test_no_csv_writer_outside_the_safe_module():
    """A new CSV writer must go through app.export.csv_safe (add its test above and to the list in the docstring)."""
    offenders = [str(p.relative_to(APP)) for p in APP.rglob("*.py")
                 if p.name != "csv_safe.py" and CSV_USE.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
