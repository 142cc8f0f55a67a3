"""The 見直し page in groups (issue 14 item 8): the 住基 全項目 (3 files, 230 measures + 7 checklist items) shown
as the checklist, then each 特定個人情報ファイル with its risks, each a <details> with its progress, one open;
each answer autosaves (htmx) with its own lock (409 when stale); the bulk action is per group and confirmed."""
from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlmodel import select

from app.models import AnnualReview, AnnualReviewCheck, Assessment, Jimu, User, VersionFile
from tests.html import parse

HX = {"HX-Request": "true"}


@pytest.fixture
def review(browser, read):
    """An open review of the 住基 全項目 started by the records section: (review id, its checks)."""
    aid = read(select(Assessment.id).join(Jimu).where(Jimu.name == "住民基本台帳に関する事務",
                                                      Assessment.form == "full"))[0]
    browser.login_as("records")
    r = browser.post(f"/assessments/{aid}/annual-reviews")
    assert r.status_code == 303, r.text[:300]
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    return rid, _checks(read, rid)


def _checks(read, rid):
    return read(select(AnnualReviewCheck).where(AnnualReviewCheck.review_id == rid).order_by(AnnualReviewCheck.position))


def _risk(item_id: str) -> str:
    """III.2.r1.xxx → III.2.r1; III.4.xxx (委託: no risks) → III.4; IV.1.xxx → IV.1."""
    parts = item_id.split(".")
    return ".".join(parts[:3]) if len(parts) > 3 and re.fullmatch(r"r\d+", parts[2]) else ".".join(parts[:2])


def _groups(soup):
    return soup.select("details.review-group")


def _progress(el) -> str:
    return el.select_one("[data-testid=group-progress]").get_text(" ", strip=True)


def test_page_groups_by_file_then_risk_with_counts_and_one_open(browser, review, read):
    rid, checks = review
    soup = browser.page(f"/annual-reviews/{rid}")
    measures = [c for c in checks if c.kind == "measure"]
    assert len(measures) == 230 and len(checks) == 237  # the page that was 29,000 px with 238 dropdowns

    # the checklist first, as its own group with its 7 items
    groups = _groups(soup)
    assert groups[0]["id"] == "g-checklist"
    assert len(groups[0].select("tbody tr")) == 7
    assert _progress(groups[0]) == "7項目中 0項目 確認済"

    # then each 特定個人情報ファイル in the order of the 評価書, then Ⅳ (answered once)
    version_id = read(select(AnnualReview.version_id).where(AnnualReview.id == rid))[0]
    files = read(select(VersionFile).where(VersionFile.version_id == version_id).order_by(VersionFile.position))
    assert len(files) == 3
    parts = soup.select("details.review-part")
    titles = [p.select_one(".part-title").get_text(strip=True) for p in parts]
    assert titles[:3] == [f"【{f.name}】" for f in files]
    assert titles[3].startswith("Ⅳ")
    for part, f in zip(parts[:3], files, strict=True):
        mine = [c for c in measures if c.file_uid == f.uid]
        want = Counter(_risk(c.item_id) for c in mine)
        shown = part.select("details.review-group")
        assert len(shown) == len(want) > 10  # one group per risk (or per subsection without risks)
        assert [len(g.select("tbody tr")) for g in shown] == [want[k] for k in dict.fromkeys(_risk(c.item_id) for c in mine)]
        for g, key in zip(shown, dict.fromkeys(_risk(c.item_id) for c in mine), strict=True):
            assert _progress(g) == f"{want[key]}項目中 0項目 確認済"
        assert part.select_one("[data-testid=part-progress]").get_text(" ", strip=True) == f"{len(mine)}項目中 0項目 確認済"
    risk_titles = [g.select_one(".group-title").get_text(strip=True) for g in parts[0].select("details.review-group")]
    assert risk_titles[0].startswith("2.特定個人情報の入手") and "リスク1: 目的外の入手が行われるリスク" in risk_titles[0]
    assert any(t.startswith("4.特定個人情報ファイルの取扱いの委託") for t in risk_titles)

    # every question is on the page once; only one group is open (the first with unanswered items), and the
    # parts around the others are closed
    assert len(soup.select("select[name^=status-]")) == 237
    assert [g["id"] for g in soup.select("details.review-group[open]")] == ["g-checklist"]
    assert not soup.select("details.review-part[open]")
    assert soup.select_one("[data-testid=review-progress]").get_text(strip=True).startswith("全体: 237項目中 0項目 確認済")
    # each group keeps its no-JS save button and its bulk action
    assert len(soup.select("form.review-group-form button[name=save]")) == len(groups)
    assert len(soup.select("[data-testid=bulk]")) == len(groups)


def test_autosave_saves_one_answer_and_updates_the_progress(browser, review, read):
    rid, checks = review
    c = next(x for x in checks if x.kind == "measure")
    r = browser.post(f"/annual-reviews/{rid}/checks/{c.id}",
                     {f"status-{c.id}": "in_place", f"note-{c.id}": "", f"lock-{c.id}": "1"}, headers=HX)
    assert r.status_code == 200, r.text[:300]
    soup = parse(r.text)
    assert soup.select_one(f"#saved-{c.id}").get_text(strip=True).startswith("保存しました")
    assert soup.select_one(f"#lock-{c.id}")["value"] == "2" and soup.select_one(f"#lock-{c.id}")["hx-swap-oob"]
    group = soup.select_one("[data-testid=group-progress]")
    assert group["hx-swap-oob"] and re.fullmatch(r"\d+項目中 1項目 確認済", group.get_text(" ", strip=True))
    assert soup.select_one("[data-testid=part-progress]").get_text(" ", strip=True).endswith("中 1項目 確認済")
    assert soup.select_one("#review-progress").get_text(strip=True).startswith("全体: 237項目中 1項目 確認済")
    stored = read(select(AnnualReviewCheck).where(AnnualReviewCheck.id == c.id))[0]
    assert (stored.status, stored.lock_version, stored.answered_by_id is not None) == ("in_place", 2, True)

    # the page shows it saved, and its group's progress
    soup = browser.page(f"/annual-reviews/{rid}")
    assert soup.select_one(f"#f-status-{c.id} option[selected]")["value"] == "in_place"
    group_el = soup.select_one(f"#check-{c.id}").find_parent("details", class_="review-group")
    assert re.fullmatch(r"\d+項目中 1項目 確認済", _progress(group_el))

    # saving what is stored changes nothing and claims no lock (a memo's input + change events)
    again = browser.post(f"/annual-reviews/{rid}/checks/{c.id}",
                         {f"status-{c.id}": "in_place", f"note-{c.id}": "", f"lock-{c.id}": "2"}, headers=HX)
    assert again.status_code == 200
    assert read(select(AnnualReviewCheck.lock_version).where(AnnualReviewCheck.id == c.id)) == [2]


def test_autosave_from_a_stale_page_is_a_409_that_says_who_and_changes_nothing(browser, review, read):
    rid, checks = review
    c = checks[0]
    url = f"/annual-reviews/{rid}/checks/{c.id}"
    assert browser.post(url, {f"status-{c.id}": "in_place", f"lock-{c.id}": "1"}, headers=HX).status_code == 200
    # another window (same user) still shows lock 1 and chooses 未実施 with a memo
    r = browser.post(url, {f"status-{c.id}": "not_in_place", f"note-{c.id}": "未実施。", f"lock-{c.id}": "1"},
                     headers=HX)
    assert r.status_code == 409
    msg = parse(r.text).select_one(f"#saved-{c.id}")
    assert "failed" in msg["class"] and msg["role"] == "alert"
    text = msg.get_text(strip=True)
    assert "あなたが別の画面で" in text and "「実施中」" in text and "保存できませんでした" in text
    stored = read(select(AnnualReviewCheck).where(AnnualReviewCheck.id == c.id))[0]
    assert (stored.status, stored.note, stored.lock_version) == ("in_place", "", 2)

    # another user: named
    browser.login_as("shimin")
    r = browser.post(url, {f"status-{c.id}": "partial", f"note-{c.id}": "一部。", f"lock-{c.id}": "1"}, headers=HX)
    records = read(select(User.display_name).where(User.login_id == "records"))[0]
    assert r.status_code == 409 and f"{records}さんが" in parse(r.text).get_text()


def test_autosave_refuses_a_shortfall_without_a_memo(browser, review, read):
    rid, checks = review
    c = checks[3]
    url = f"/annual-reviews/{rid}/checks/{c.id}"
    r = browser.post(url, {f"status-{c.id}": "partial", f"note-{c.id}": "", f"lock-{c.id}": "1"}, headers=HX)
    assert r.status_code == 422 and "メモに記入" in r.text and "未保存" in r.text
    assert read(select(AnnualReviewCheck.status).where(AnnualReviewCheck.id == c.id)) == [""]
    r = browser.post(url, {f"status-{c.id}": "partial", f"note-{c.id}": "一部の端末で未設定。", f"lock-{c.id}": "1"},
                     headers=HX)
    assert r.status_code == 200
    assert "(未実施・一部実施 1件)" in parse(r.text).select_one("[data-testid=group-progress]").get_text(strip=True)


def test_bulk_per_group_needs_its_confirmation(browser, review, read):
    rid, _ = review
    soup = browser.page(f"/annual-reviews/{rid}")
    first_file = soup.select("details.review-part")[0]
    group = first_file.select("details.review-group")[0]
    slug = group["data-group"]
    ids = [int(tr["id"].split("-")[1]) for tr in group.select("tbody tr")]
    title = group.select_one(".group-title").get_text(strip=True)
    file_title = first_file.select_one(".part-title").get_text(strip=True)
    # one answered beforehand: the bulk only answers the others
    browser.post(f"/annual-reviews/{rid}/checks/{ids[0]}",
                 {f"status-{ids[0]}": "partial", f"note-{ids[0]}": "一部。", f"lock-{ids[0]}": "1"}, headers=HX)
    url = f"/annual-reviews/{rid}/groups/{slug}/bulk"

    # the inline confirmation (htmx) names the file, the risk and the count
    r = browser.get(url, headers=HX)
    assert r.status_code == 200 and r.headers["HX-Retarget"] == f"#bulk-{slug}"
    box = parse(r.text).select_one("[data-testid=bulk-confirm]")
    text = box.get_text(" ", strip=True)
    assert file_title in text and title in text and f"未回答 {len(ids) - 1}件" in text
    assert box.select_one("input[name=confirm_count]")["value"] == str(len(ids) - 1)
    # without JavaScript the same confirmation is a page of its own
    page = browser.page(url)
    assert f"未回答 {len(ids) - 1}件" in page.select_one("[data-testid=bulk-confirm]").get_text(" ", strip=True)

    # not confirmed, or confirmed for another count: nothing changes
    before = [(c.status, c.lock_version) for c in _checks(read, rid)]
    assert browser.post(url, {}).status_code == 422
    stale = browser.post(url, {"confirm_count": str(len(ids))}, headers=HX)
    assert stale.status_code == 409 and "もう一度確認してください" in stale.text
    assert [(c.status, c.lock_version) for c in _checks(read, rid)] == before

    # confirmed: that group only; htmx gets the group again, open and complete, and the progress around it
    r = browser.post(url, {"confirm_count": str(len(ids) - 1)}, headers=HX)
    assert r.status_code == 200, r.text[:300]
    soup = parse(r.text)
    g = soup.select_one(f"details#g-{slug}")
    assert g.has_attr("open") and "完了" in _progress(g) and f"{len(ids)}項目中 {len(ids)}項目 確認済" in _progress(g)
    assert f"未回答{len(ids) - 1}件を「実施中」にしました" in soup.select_one("[data-testid=bulk-done]").get_text()
    assert soup.select_one("[data-testid=part-progress]")["hx-swap-oob"]
    after = {c.id: c for c in _checks(read, rid)}
    assert after[ids[0]].status == "partial"
    assert all(after[i].status == "in_place" and after[i].lock_version == 2 for i in ids[1:])
    assert sum(1 for c in after.values() if c.status) == len(ids)

    # the page: the group is marked complete and is no longer the open one
    soup = browser.page(f"/annual-reviews/{rid}")
    done = soup.select_one(f"details#g-{slug}")
    assert not done.has_attr("open") and done.select_one(".mark.complete")
    assert "(未実施・一部実施 1件)" in _progress(done)


def test_first_group_with_unanswered_items_is_the_open_one(browser, review):
    rid, _ = review
    r = browser.post(f"/annual-reviews/{rid}/groups/checklist/bulk", {"confirm_count": "7"})
    assert r.status_code == 303
    soup = browser.page(f"/annual-reviews/{rid}")
    opened = soup.select("details.review-group[open]")
    assert len(opened) == 1 and opened[0]["id"] != "g-checklist"
    first_file = soup.select("details.review-part")[0]
    assert first_file.has_attr("open") and opened[0] is first_file.select("details.review-group")[0]
    assert "7項目中 7項目 確認済" in _progress(soup.select_one("#g-checklist"))
    # a group asked for by the address is opened instead (after a no-JS save of an unfinished group)
    slug = soup.select("details.review-part")[1].select("details.review-group")[2]["data-group"]
    soup = browser.page(f"/annual-reviews/{rid}?open={slug}")
    assert [g["id"] for g in soup.select("details.review-group[open]")] == [f"g-{slug}"]


def test_group_save_without_javascript_and_its_stale_lock(browser, review, read):
    rid, checks = review
    listed = [c for c in checks if c.kind == "checklist"]
    fields = {"group": "checklist"}
    for c in listed[:3]:
        fields |= {f"status-{c.id}": "in_place", f"note-{c.id}": "", f"lock-{c.id}": "1"}
    r = browser.post(f"/annual-reviews/{rid}", fields)
    assert r.status_code == 303 and r.headers["location"].endswith("?open=checklist#g-checklist")
    assert [c.status for c in _checks(read, rid) if c.kind == "checklist"][:4] == ["in_place"] * 3 + [""]
    # the same form again from the stale page, with one answer changed: 409, nothing saved
    fields[f"status-{listed[1].id}"] = "not_in_place"
    fields[f"note-{listed[1].id}"] = "未実施。"
    r = browser.post(f"/annual-reviews/{rid}", fields)
    assert r.status_code == 409 and "あなたが別の画面で" in r.text
    assert read(select(AnnualReviewCheck.status).where(AnnualReviewCheck.id == listed[1].id)) == ["in_place"]
    # the group stays open on the refused page
    assert [g["id"] for g in parse(r.text).select("details.review-group[open]")] == ["g-checklist"]


def test_completed_review_is_read_only_with_every_group_complete(browser, read):
    browser.login_as("records")
    soup = browser.page("/annual-reviews/1")  # the demo's 住民税 重点 review, completed
    assert not soup.select("select, textarea, [data-testid=bulk]")
    groups = _groups(soup)
    assert groups and all(g.select_one(".mark.complete") for g in groups)
    assert not soup.select("details.review-group[open]")
    r = browser.post("/annual-reviews/1/groups/checklist/bulk", {"confirm_count": "0"})
    assert r.status_code == 409
