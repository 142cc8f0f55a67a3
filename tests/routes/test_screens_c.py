"""Issue 14 items 1-4: the next step after the しきい値判断, the pair of 評価書 with stage and progress, people's
names / step names / 和暦 instead of codes, and 版 labels instead of r06-10."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.domain.workflow import STEP_LABEL
from app.models import Assessment, AssessmentVersion, Department, Determination, Jimu
from tests.html import parse, text_of


def _register(browser, read, *, name="印鑑登録に関する事務", subjects=120_000, handlers=600) -> int:
    """A 事務 registered over the API, no しきい値判断 yet (the wizard records it in the tests)."""
    browser.login_as("shimin")
    dept = read(select(Department.id).where(Department.name == "市民課"))[0]
    r = browser.api("POST", "/api/v1/jimu", json={
        "name": name, "department_id": dept, "handlers": handlers, "handlers_as_of": "2026-04-01",
        "files": [{"name": "印鑑登録原票ファイル", "subjects": subjects, "subjects_as_of": "2026-04-01"}]})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _record(browser, jid: int, subjects="120000", handlers="600", **extra) -> str:
    r = browser.post(f"/jimu/{jid}/threshold", {"determined_on": "2026-11-20", "subjects": subjects,
                                                "handlers": handlers, "serious_incident": "no", **extra})
    assert r.status_code == 303
    return r.headers["location"]


def _buttons(page, selector: str) -> tuple[list[str], list[str]]:
    """(primary, secondary) button texts of an actions bar."""
    bar = page.select_one(selector)
    links = bar.select("a.button")
    return ([a.get_text(strip=True) for a in links if "secondary" not in a.get("class", [])],
            [a.get_text(strip=True) for a in links if "secondary" in a.get("class", [])])


def _pair(page, testid="pair") -> dict[str, dict]:
    rows = {}
    for tr in page.select(f"[data-testid={testid}] tbody tr"):
        link = tr.select_one("a")
        rows[tr["data-form"]] = {"stage": text_of(tr, "[data-testid=pair-stage]"),
                                 "percent": text_of(tr, "[data-testid=pair-percent]"),
                                 "link": (link.get_text(strip=True), link["href"]) if link else None,
                                 "current": tr.get("aria-current") == "page"}
    return rows


# --- 1 ------------------------------------------------------------------------------------------------------------
def test_recorded_determination_confirms_and_offers_creating_the_required_forms(browser, read):
    jid = _register(browser, read)
    before = _buttons(browser.page(f"/jimu/{jid}"), "[data-testid=jimu-actions]")
    assert before[0] == ["しきい値判断を行う"]  # nothing recorded yet: that is the next step
    shown = browser.page(_record(browser, jid))
    assert "記録しました" in text_of(shown, ".flash")
    step = shown.select_one("[data-testid=next-step-panel] a[data-testid=next-step]")
    assert step.get_text(strip=True) == "評価書を作成"
    assert step["href"] == f"/jimu/{jid}/assessments/new?forms=basic&forms=full"
    assert "基礎項目評価書・全項目評価書の作成が必要です" in text_of(shown, "[data-testid=next-step-panel]")
    pair = _pair(shown)
    assert list(pair) == ["basic", "full"] and {r["stage"] for r in pair.values()} == {"未作成"}
    # the create page has exactly the missing required forms ticked
    new = browser.page(step["href"])
    assert sorted(i["value"] for i in new.select("input[name=forms][checked]")) == ["basic", "full"]
    # the 事務 page: the next step is the primary action, re-doing the determination a secondary one
    primary, secondary = _buttons(browser.page(f"/jimu/{jid}"), "[data-testid=jimu-actions]")
    assert primary == ["評価書を作成"] and "しきい値判断をやり直す" in secondary
    assert "しきい値判断を行う" not in primary


def test_a_page_per_form_offers_only_that_form(browser, read):
    jid = _register(browser, read)
    page = browser.page(_record(browser, jid))
    links = {tr["data-form"]: tr.select_one("a")["href"] for tr in page.select("[data-testid=pair] tbody tr")}
    assert links == {"basic": f"/jimu/{jid}/assessments/new?forms=basic",
                     "full": f"/jimu/{jid}/assessments/new?forms=full"}
    new = browser.page(links["full"])
    assert [i["value"] for i in new.select("input[name=forms][checked]")] == ["full"]


def test_viewer_without_edit_rights_is_not_offered_to_create(browser, read):
    jid = _register(browser, read)
    location = _record(browser, jid)
    browser.login_as("council")
    assert browser.get(location).status_code == 403
    browser.login_as("records")  # 総務 sees every 事務; may create too (sees_all)
    assert browser.page(location).select_one("[data-testid=next-step]") is not None


def test_an_older_determination_points_to_the_latest(browser, read):
    jid = _register(browser, read)
    first = _record(browser, jid)
    _record(browser, jid, subjects="50000", handlers="100", correction_note="転出の反映")  # 基礎 only now
    old = browser.page(first)
    assert old.select_one("[data-testid=next-step]") is None
    assert "最新ではありません" in text_of(old, "[data-testid=not-latest]")


def test_rerun_needed_keeps_the_determination_as_the_primary_action(browser, read):
    # 個人住民税 (重点): a 重大事故 within a year raises it to 全項目, so the determination must be re-done first
    browser.login_as("zeimu")
    jid = read(select(Jimu.id).where(Jimu.name == "個人住民税の賦課徴収に関する事務"))[0]
    assert _buttons(browser.page(f"/jimu/{jid}"), "[data-testid=jimu-actions]")[0] != ["しきい値判断を行う"]
    browser.login_as("records")
    assert browser.post("/incidents", {"occurred_on": "2026-09-01", "summary": "課税通知書の誤送付(150件)",
                                       "involves_specific": "1"}).status_code == 303
    browser.login_as("zeimu")
    page = browser.page(f"/jimu/{jid}")
    assert page.select_one("[data-testid=rerun-warning]")
    assert _buttons(page, "[data-testid=jimu-actions]")[0] == ["しきい値判断を行う"]


# --- 2 ------------------------------------------------------------------------------------------------------------
def test_after_creating_both_each_page_shows_the_pair_with_stage_and_progress(browser, read):
    jid = _register(browser, read)
    _record(browser, jid)
    r = browser.post(f"/jimu/{jid}/assessments/new", [("forms", "basic"), ("forms", "full")])
    assert r.status_code == 303
    ids = {a.form: a.id for a in read(select(Assessment).where(Assessment.jimu_id == jid))}
    assert r.headers["location"] == f"/assessments/{ids['full']}"  # lands on the 全項目 …
    full_page = browser.page(r.headers["location"])
    pair = _pair(full_page, "companions")
    assert pair["basic"]["link"] == ("評価書を開く", f"/assessments/{ids['basic']}")  # … with its 基礎 one click away
    assert pair["full"]["current"] and pair["full"]["link"] is None
    assert pair["basic"]["stage"] == pair["full"]["stage"] == "作成中"
    # progress is the editor's 完成度
    for form, aid in ids.items():
        vid = read(select(AssessmentVersion.id).where(AssessmentVersion.assessment_id == aid))[0]
        editor = re.search(r"(\d+)%", browser.get(f"/versions/{vid}/progress").text).group(1)
        assert pair[form]["percent"] == f"{editor}%"
    basic_pair = _pair(browser.page(f"/assessments/{ids['basic']}"), "companions")
    assert basic_pair["full"]["link"] == ("評価書を開く", f"/assessments/{ids['full']}") and basic_pair["basic"]["current"]
    jimu_page = browser.page(f"/jimu/{jid}")
    assert _pair(jimu_page).keys() == {"basic", "full"}
    primary, _ = _buttons(jimu_page, "[data-testid=jimu-actions]")
    assert len(primary) == 1 and primary[0].endswith("評価書を開く")


def test_pair_notes_a_basic_resting_on_an_earlier_determination(browser, read):
    # demo: 住民基本台帳 has two determinations; both of its 評価書 rest on the first
    browser.login_as("shimin")
    jid = read(select(Jimu.id).where(Jimu.name == "住民基本台帳に関する事務"))[0]
    _record(browser, jid, subjects="418000", handlers="350")
    page = browser.page(f"/jimu/{jid}")
    rows = page.select("[data-testid=pair] tbody tr")
    assert len(rows) == 2 and all("以前のしきい値判断に基づく版" in tr.get_text() for tr in rows)


# --- 3, 4 ---------------------------------------------------------------------------------------------------------
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
VERSION_CODE = re.compile(r"\b[rh]\d{2}-\d{2}\b")
STEP_CODE = re.compile(r"\b(" + "|".join(sorted(STEP_LABEL, key=len, reverse=True)) + r")\b|stage:")
LOGINS = re.compile(r"\b(admin|records|shimin|zeimu|kodomo|hoken|council|demo)\b")


def visible_text(soup) -> str:
    soup = parse(str(soup))
    for hidden in soup.select("script, style, template, .visually-hidden, [hidden]"):
        hidden.decompose()
    return (soup.select_one("main") or soup).get_text(" ", strip=True)


def assert_readable(url: str, text: str) -> None:
    for name, pattern in (("ISO date", ISO_DATE), ("version code", VERSION_CODE), ("step code", STEP_CODE),
                          ("login ID", LOGINS)):
        found = pattern.search(text)
        assert not found, f"{url}: {name} 「{found.group(0)}」 in 「…{text[max(0, found.start() - 60):found.end() + 60]}…」"


@pytest.fixture
def life(life_browser):
    """A browser on the whole demo, with the procedures in flight (tests/conftest.py `life_browser`)."""
    return life_browser


@pytest.fixture
def life_read(engine):
    from sqlmodel import Session

    def run(stmt):
        with Session(engine) as s:
            return list(s.exec(stmt).all())

    return run


def test_history_pages_show_names_and_wareki_not_codes(life, life_read):
    read = life_read
    versions = read(select(AssessmentVersion))
    assessments = read(select(Assessment))
    urls = ["/queue", "/jimu"] + [f"/jimu/{j}" for j in read(select(Jimu.id))]
    urls += [f"/determinations/{d}" for d in read(select(Determination.id))]
    urls += [f"/assessments/{a.id}" for a in assessments]
    urls += [f"/versions/{v.id}/history" for v in versions]
    urls += [f"/versions/{v.id}/changes" for v in versions if v.based_on_id]
    forms = {a.id: a.form for a in assessments}
    urls += [f"/versions/{v.id}/{p}" for v in versions if forms[v.assessment_id] != "basic" for p in ("comment", "review")]
    life.login_as("records")
    steps_seen = set()
    for url in urls:
        page = life.page(url)
        steps_seen |= {td.get_text(strip=True) for td in page.select("#timeline [data-testid=step]")}
        assert_readable(url, visible_text(page))
    # the in-flight demo went through these steps; each shows by its name
    assert {"庁内確認に回す", "意見公募を開始", "公表"} <= steps_seen
    # who: the 文書担当's display name in the 経過 of the 再実施 in 意見公募
    in_comment = next(v for v in versions if v.stage == "public_comment")
    who = {td.get_text(strip=True) for td in life.page(f"/versions/{in_comment.id}/history").select("[data-testid=who]")}
    assert who == {"総務課 文書担当 佐藤"}
    # the council: its home and each document it was sent
    life.login_as("council")
    home = life.page("/council")
    assert_readable("/council", visible_text(home))
    links = {a["href"] for a in home.select("a[href^='/snapshots/']") if re.fullmatch(r"/snapshots/\d+", a["href"])}
    assert links
    for link in links:
        assert_readable(link, visible_text(life.page(link)))


def test_audit_view_shows_names_step_names_and_wareki(life):
    life.login_as("records")
    page = life.page("/audit?entity=assessment_version")
    rows = page.select("#audit-table tbody tr")
    stage_rows = [tr for tr in rows if tr.select_one("[data-testid=action]")["data-code"].startswith("stage:")]
    assert stage_rows
    for tr in rows:
        cells = tr.find_all("td", recursive=False)
        shown = " ".join(c.get_text(" ", strip=True) for c in cells[:4])  # 日時, 操作者, 対象, 操作 (not the JSON)
        assert_readable("/audit", shown)
        assert re.fullmatch(r"(令和|平成)\S+年\d+月\d+日 \d+:\d\d:\d\d", cells[0].get_text(strip=True))
    assert "手続: 意見公募を開始" in {text_of(tr, "[data-testid=action]") for tr in stage_rows}


def test_revision_page_shows_the_version_label_and_one_planned_date(browser, read):
    aid = read(select(Assessment.id).join(Jimu, Jimu.id == Assessment.jimu_id)
               .where(Jimu.name == "住民基本台帳に関する事務", Assessment.form == "full"))[0]
    browser.login_as("shimin")
    overview = browser.page(f"/assessments/{aid}")
    assert [td.get_text(strip=True) for td in overview.select("#versions tbody tr td:nth-of-type(3)")] == \
        ["[平成30年5月 様式4]"]
    options = [o.get_text(strip=True) for o in overview.select("#revise select[name=form_version] option")]
    assert options == ["現在の様式([平成30年5月 様式4])のまま", "[令和6年10月 様式4]"]
    r = browser.post(f"/assessments/{aid}/revise", {"reason": "change", "form_version": "r06-10"})
    assert r.status_code == 303
    page = browser.page(r.headers["location"])
    summary = page.select_one("#revision-summary")
    assert "様式 [平成30年5月 様式4]" in text_of(summary, "tr:nth-of-type(1)")
    assert "[平成30年5月 様式4] → [令和6年10月 様式4](新しい様式へ移行)" in summary.get_text()
    assert page.select_one("#f-planned_change_on") is not None  # the field is there …
    assert visible_text(page).count("変更予定日") == 1          # … named once on screen (the row header)
    assert page.select_one("label[for=f-planned_change_on]").get_text(strip=True) == "変更予定日"  # and to a reader
    assert_readable(r.headers["location"], visible_text(browser.page(r.headers["location"])))
    history = browser.page(f"/versions/{read(select(AssessmentVersion.id).where(AssessmentVersion.assessment_id == aid).order_by(AssessmentVersion.id.desc()))[0]}/history")
    assert "[令和6年10月 様式4]" in history.get_text()
