"""`make screenshots`: the main screens of the demo, photographed in Debian's chromium into docs/images/.

    .venv/bin/python -m tests.browser.screenshots [--out docs/images] [--only home,queue,...] [--list]

A temporary SQLite database gets the demo (基準日 2026-11-23, as the tests), the app is served in a thread
and Playwright drives /usr/bin/chromium at 1280×900. A screen that cannot be taken (e.g. a page that fails
while it is being built) is skipped with a note; the others are still written. To add a screen, append a
`Shot` to SHOTS.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from app.config import Settings
from app.demo import load_demo
from app.deps import today
from app.domain.policy import SYSTEM
from app.main import build_asgi
from app.models import Assessment, AssessmentVersion, Jimu, Organisation, Review, Snapshot, VersionFile
from tests import dbutil
from tests.browser.conftest import ARGS, CHROMIUM, LiveServer, sign_in

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 900}
PASSWORDS = {"admin": "Kanri-Demo-2025", "records": "Bunsho-Demo-2025", "shimin": "Juki-Demo-2025",
             "zeimu": "Kazei-Demo-2025", "kodomo": "Teate-Demo-2025", "hoken": "Kokuho-Demo-2025",
             "council": "Shingi-Demo-2025"}


@dataclass
class Ids:
    """Ids in the demo database the screens point at."""

    juki_jimu: int
    juki_full: int  # 住基 全項目 (published, 3 files)
    juki_full_v: int
    juki_uid: str
    kokuho_full: int  # 国保 全項目 (draft, 2 files)
    kokuho_full_v: int
    kokuho_uid: str
    council_snapshot: int | None
    base: str = ""
    kokuho_jimu: int = 0
    engine: object = None  # the screenshots' database (for preparations that need records the demo lacks)


@dataclass
class Shot:
    name: str  # docs/images/<name>.png
    login: str | None  # None: not signed in
    path: Callable[[Ids], str]
    what: str
    full_page: bool = True
    prepare: Callable[..., None] | None = None  # (page, ids, browser) -> None, after the page has loaded
    width: int = VIEWPORT["width"]  # wider for tables that do not fit in 1280 px
    status: int = 200  # the status the page is expected to answer (403 for the refusal page)


# ------------------------------------------------------------------ preparations of particular screens

def _measures_in_view(page, ids: Ids, browser) -> None:
    """The first risk (its heading, then its measures in the two lists) at the top of the window."""
    page.evaluate("""() => {
        const both = [...document.querySelectorAll('.measures')].find(
            m => m.querySelector('.audience.external textarea') && m.querySelector('.audience.staff textarea'));
        const risk = [...document.querySelectorAll('section.item-heading')].find(
            h => both && h.compareDocumentPosition(both) & Node.DOCUMENT_POSITION_FOLLOWING);
        const target = risk || (both && both.closest('.item'));
        if (!target) return;
        const bar = document.querySelector('.editor-bar');
        window.scrollBy(0, target.getBoundingClientRect().top - (bar ? bar.getBoundingClientRect().height : 0) - 12);
    }""")


def _unbounded(page, ids: Ids, browser) -> None:
    """Let a wide table use the whole (wider) window instead of the 1280 px column with a scroll bar."""
    page.evaluate("() => { document.querySelector('main').style.maxWidth = 'none'; }")


def _picker(page, ids: Ids, browser) -> None:
    """The 指摘事項 form open, 「リスク1 入手」 typed into the picker, two items ticked, the picker in view."""
    page.click("summary:has-text('指摘事項を登録する')")
    picker = page.locator("fieldset.item-picker")
    picker.locator("input[type=search]").fill("リスク1 入手")
    options = picker.locator(".picker-option:visible label")
    options.nth(0).click()
    options.nth(1).click()
    picker.scroll_into_view_if_needed()
    page.evaluate("() => document.querySelector('fieldset.item-picker').scrollIntoView({block: 'center'})")


def _scroll_to(page, selector: str) -> None:
    """Scroll so that `selector` starts just below the editor's sticky bar."""
    page.evaluate("""(sel) => {
        const el = document.querySelector(sel);
        const bar = document.querySelector('.editor-bar');
        if (el) window.scrollBy(0, el.getBoundingClientRect().top - (bar ? bar.getBoundingClientRect().height : 0) - 12);
    }""", selector)


def _conflict(page, ids: Ids, browser) -> None:
    """Another user saves the same measure first; this window's autosave then gets the merge view (409)."""
    from playwright.sync_api import expect

    url = page.url
    field = "textarea[name='m|III.3.r1.atena|staff'] >> nth=0"
    other_ctx = browser.new_context(base_url=ids.base, locale="ja-JP", timezone_id="Asia/Tokyo", viewport=VIEWPORT)
    try:
        other = other_ctx.new_page()
        sign_in(other, "records", PASSWORDS["records"])
        other.goto(url)
        other.locator(field).fill("団体内統合宛名システムの参照権限は、情報政策課が年2回棚卸しし、不要な権限を削除している。")
        expect(other.locator("#save-status")).to_contain_text("保存しました", timeout=15_000)
    finally:
        other_ctx.close()
    page.locator(field).fill("団体内統合宛名システムでは、国民健康保険の事務に必要な項目だけを参照できるよう設定している。")
    expect(page.locator("[data-testid=conflict]")).to_be_visible(timeout=15_000)
    _scroll_to(page, "[data-testid=conflict]")


def _review_in_progress(page, ids: Ids, browser) -> None:
    """The 住基 全項目's 見直し started: the checklist done with its bulk action, two answers of the first risk of
    the first file saved as chosen (one 一部実施 with its memo), and that risk's bulk confirmation open."""
    import re

    from playwright.sync_api import expect

    page.click("[data-testid=start-review]")
    page.wait_for_url(re.compile(r".*/annual-reviews/\d+$"))
    checklist = page.locator("#g-checklist")
    checklist.locator("[data-testid=bulk]").click()
    checklist.locator("[data-testid=bulk-confirm-button]").click()
    expect(page.locator("#g-checklist [data-testid=bulk-done]")).to_be_visible()
    page.reload()
    group = page.locator("details.review-group[open]")
    rows = group.locator("tbody tr")
    rows.nth(0).locator("select").select_option("in_place")
    expect(rows.nth(0).locator("[data-testid=row-status]")).to_contain_text("保存しました")
    rows.nth(1).locator("textarea").fill("窓口端末2台で入手時の確認画面の設定が未了(令和8年12月に設定予定)。")
    rows.nth(1).locator("select").select_option("partial")
    expect(rows.nth(1).locator("[data-testid=row-status]")).to_contain_text("保存しました")
    group.locator("[data-testid=bulk]").click()
    expect(group.locator("[data-testid=bulk-confirm]")).to_be_visible()
    page.mouse.move(0, 0)


def _record_new_determination(page, ids: Ids, browser) -> None:
    """A new 事務 registered and its しきい値判断 recorded in the browser: the 「記録しました」 page with its next step."""
    from tests.browser.conftest import register_and_determine

    register_and_determine(page, name="印鑑登録に関する事務", department="市民部 市民課", file_name="印鑑登録原票ファイル",
                           subjects=120_000, handlers=600, result="基礎項目評価及び全項目評価の実施が義務付けられる")


def _pair_in_view(page, ids: Ids, browser) -> None:
    page.evaluate("() => document.querySelector('#pair-panel').scrollIntoView({block: 'start'})")


def _comment_setup(page, ids: Ids, browser) -> None:
    """The 国保 全項目 completed and sent to 庁内確認 by the records officer: 「意見公募を開始」 is disabled, the form
    for its method and period sits under it. (Changes the 国保 全項目: keep this shot last.)"""
    from app.services import catalogue
    from tests.fill import complete

    with Session(ids.engine) as s:
        v = s.get(AssessmentVersion, ids.kokuho_full_v)
        complete(s, catalogue.definition("full", v.form_version), v.id)
        s.commit()
    page.reload()
    page.locator("form.transition button[data-action='submit_for_check']").click()
    page.wait_for_load_state()
    page.locator("[data-testid=setup-comment]").scroll_into_view_if_needed()
    page.evaluate("() => document.querySelector('#procedure').scrollIntoView({block: 'start'})")


# ------------------------------------------------------------------ the list (extend here)

SHOTS: list[Shot] = [
    Shot("login", None, lambda i: "/login", "ログイン画面", full_page=False),
    Shot("home", "records", lambda i: "/", "ホーム(総務・文書担当): 事務と最新のしきい値判断"),
    Shot("jimu", "records", lambda i: f"/jimu/{i.juki_jimu}", "事務の画面(住基): 登録情報・しきい値判断の履歴・評価書"),
    Shot("editor-measures", "shimin", lambda i: f"/versions/{i.juki_full_v}/edit/III~III.3?file={i.juki_uid}",
         "エディタ(住基 全項目 Ⅲ3): 措置の2つの一覧", full_page=False, prepare=_measures_in_view),
    Shot("editor-conflict", "hoken", lambda i: f"/versions/{i.kokuho_full_v}/edit/III~III.3?file={i.kokuho_uid}",
         "エディタの 409: あなたの入力と保存済みの内容", full_page=False, prepare=_conflict),
    Shot("editor-figure", "hoken", lambda i: f"/versions/{i.kokuho_full_v}/edit/annex1",
         "エディタ(国保 全項目 (別添1)): 事務の内容の図の添付・表題・並べ替え", full_page=False),
    Shot("overview", "records", lambda i: f"/assessments/{i.juki_full}", "評価書の画面(住基 全項目): 手続と経過"),
    Shot("queue", "records", lambda i: "/queue", "手続状況(総務・文書担当)"),
    Shot("council", "council", lambda i: f"/snapshots/{i.council_snapshot}" if i.council_snapshot else "/council",
         "審議会委員の閲覧画面(送付された評価書、読み取り専用)", full_page=False),
    Shot("plan", "records", lambda i: "/plan", "計画管理書(1280 px に収まる表、備考に期限超過)"),
    Shot("plan-all-columns", "records", lambda i: "/plan", "計画管理書: 「列をすべて表示する」で16列(幅 1920 px)",
         width=1920, prepare=lambda page, ids, browser: (_unbounded(page, ids, browser),
                                                         page.check("#f-plan-all-columns"))),
    Shot("item-picker", "records", lambda i: f"/versions/{i.juki_full_v}/review",
         "指摘事項の関連する項目: 検索して複数選択(節 › ファイル › リスク › 項目)", full_page=False, prepare=_picker),
    Shot("admin-departments", "admin", lambda i: "/admin", "管理: 部署の名称変更・廃止"),
    Shot("dashboard", "records", lambda i: "/dashboard", "期限の一覧(見直し・再実施・手続)"),
    Shot("review", "records", lambda i: f"/assessments/{i.juki_full}",
         "見直し(住基 全項目、実施中): チェックリスト → ファイル → リスクの区分ごとの進み具合、選ぶと保存、区分ごとの一括(確認つき)",
         prepare=_review_in_progress),
    Shot("jimu-next-step", "hoken", lambda i: f"/jimu/{i.kokuho_jimu}",
         "事務の画面(国保): 次の手順が主な操作、評価書の組(段階・完成度)"),
    Shot("overview-pair", "hoken", lambda i: f"/assessments/{i.kokuho_full}",
         "全項目評価書の画面(国保): 同じ評価書番号の基礎項目評価書(段階・完成度)", full_page=False, prepare=_pair_in_view),
    Shot("version-history", "records", lambda i: f"/versions/{i.juki_full_v}/history",
         "版の経過(住基 全項目 第1版): 操作の名前・和暦の日時・様式の版"),
    Shot("home-deadlines", "shimin", lambda i: "/", "ホーム(担当課職員): 所属部署の評価書の期限、期限超過が先頭"),
    Shot("forbidden-council", "council", lambda i: f"/assessments/{i.kokuho_full}",
         "審議会委員の 403: 役割に合わせた説明と「審議会資料へ戻る」", full_page=False, status=403),
    # last: it adds a 事務 to the database
    Shot("determination-next-step", "shimin", lambda i: "/jimu/new",
         "しきい値判断の記録: 「記録しました」と次の手順(評価書を作成)", full_page=False, prepare=_record_new_determination),
    # keep last: it completes the 国保 全項目 and sends it to 庁内確認
    Shot("procedure-setup", "records", lambda i: f"/assessments/{i.kokuho_full}",
         "手続: 無効の「意見公募を開始」の下に方法と期間の入力欄", full_page=False, prepare=_comment_setup),
]


# ------------------------------------------------------------------ database and run

def demo_database(path: str):
    """The demo in a new SQLite file, plus what the demo lacks for one screen: the 住基 全項目 as it was sent
    to the council in 2021 (a council snapshot on the demo's closed review), so the council view has a document."""
    from app.services import snapshots

    engine = dbutil.sqlite_file_engine(path)
    with Session(engine, expire_on_commit=False) as s:
        load_demo(s, today=dbutil.DEMO_TODAY)
        org = s.exec(select(Organisation)).first()
        actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org.id})

        def full(name: str) -> tuple[int, int, int, str]:
            jid = s.exec(select(Jimu.id).where(Jimu.name == name)).one()
            aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full")).one()
            vid = s.exec(select(AssessmentVersion.id).where(AssessmentVersion.assessment_id == aid)
                         .order_by(AssessmentVersion.seq)).first()  # the first version: the 住基 one published in 2021
            uid = s.exec(select(VersionFile.uid).where(VersionFile.version_id == vid)
                         .order_by(VersionFile.position)).first()
            return jid, aid, vid, uid

        juki = full("住民基本台帳に関する事務")
        kokuho = full("国民健康保険に関する事務")
        snap_id = None
        review = s.exec(select(Review).where(Review.version_id == juki[2])).first()
        if review is not None:
            if review.snapshot_id is None:
                snap = snapshots.take(s, actor=actor, version_id=juki[2], purpose="council", today=dbutil.DEMO_TODAY)
                review.snapshot_id = snap.id
                s.add(review)
                s.commit()
            snap_id = s.get(Snapshot, review.snapshot_id).id
        # the council's view: the copy of a 評価書 under review now (the demo's 住民税 重点 in 第三者点検), if any
        current = s.exec(select(Review.snapshot_id).join(AssessmentVersion, AssessmentVersion.id == Review.version_id)
                         .where(Review.snapshot_id.is_not(None), AssessmentVersion.stage == "third_party_review")).first()
        snap_id = current or snap_id
    ids = Ids(juki[0], juki[1], juki[2], juki[3], kokuho[1], kokuho[2], kokuho[3], snap_id, kokuho_jimu=kokuho[0], engine=engine)
    return engine, ids


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="画面のスクリーンショットを docs/images/ に書き出す")
    ap.add_argument("--out", default=str(ROOT / "docs" / "images"))
    ap.add_argument("--only", default="", help="comma-separated names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the screens and exit")
    args = ap.parse_args(argv)
    if args.list:
        for shot in SHOTS:
            print(f"{shot.name:18} {shot.login or '-':8} {shot.what}")
        return 0
    if not os.path.exists(CHROMIUM):
        print(f"chromium not found at {CHROMIUM} (apt-get install chromium); no screenshots written")
        return 1
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed (pip install -e '.[test]'); no screenshots written")
        return 1
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    shots = [s for s in SHOTS if not wanted or s.name in wanted]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    tmp = tempfile.mkdtemp(prefix="spia-shots-")
    engine, ids = demo_database(os.path.join(tmp, "demo.db"))
    settings = Settings(database_url=f"sqlite:///{tmp}/demo.db", secret_key="screenshots-secret-0123456789-abcdef",
                        environment="test")
    app = build_asgi(settings, engine=engine)
    app.fastapi.dependency_overrides[today] = lambda: dbutil.DEMO_TODAY
    written, skipped = [], []
    with LiveServer(app) as server, sync_playwright() as p:
        ids.base = server.url
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        contexts = {}

        def context_for(login: str | None):
            if login not in contexts:
                ctx = browser.new_context(base_url=server.url, locale="ja-JP", timezone_id="Asia/Tokyo",
                                          viewport=VIEWPORT, device_scale_factor=1)
                if login:
                    sign_in(ctx.new_page(), login, PASSWORDS[login])
                contexts[login] = ctx
            return contexts[login]

        for shot in shots:
            path = shot.path(ids)
            page = context_for(shot.login).new_page()
            page.set_default_timeout(15_000)
            if shot.width != VIEWPORT["width"]:
                page.set_viewport_size({"width": shot.width, "height": VIEWPORT["height"]})
            try:
                response = page.goto(path)
                page.wait_for_load_state("networkidle")
                if response is None or (response.status >= 400 and response.status != shot.status):
                    status = response.status if response else "no response"
                    skipped.append(f"{shot.name}: GET {path} answered {status} — skipped")
                    continue
                if shot.prepare:
                    shot.prepare(page, ids, browser)
                target = out / f"{shot.name}.png"
                page.screenshot(path=str(target), full_page=shot.full_page, animations="disabled")
                written.append(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  {shot.what}")
            except Exception as exc:
                skipped.append(f"{shot.name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]} — skipped")
                if os.environ.get("SPIA_SCREENSHOTS_DEBUG"):
                    traceback.print_exc()
            finally:
                page.close()
        for ctx in contexts.values():
            ctx.close()
        browser.close()
    dbutil.dispose(engine)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(written)} screenshots in {out}:")
    for line in written:
        print("  " + line)
    if skipped:
        print("not written:")
        for line in skipped:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
