"""Issue 13 item 2: figures in (別添1) 事務の内容 — upload, re-encoding, limits, the image route, editor operations.

The demo 国保 全項目 (a draft of 保険年金課, login hoken) carries one diagram; uploads go through the editor's page save
(CSRF, page lock, audit) as multipart posts.
"""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image, PngImagePlugin
from sqlmodel import select

from app.models import Answer, Assessment, AuditLog, FigureBlob, Jimu
from tests.factories import lock_of, page_form, replace, version_of
from tests.html import parse

ITEM = "annex1.diagram"
KOKUHO = "国民健康保険に関する事務"


def png_bytes(size=(120, 80), colour=(10, 120, 200), *, text: dict | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_exif(size=(90, 60)) -> bytes:
    im = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"   # Make
    exif[0x0112] = 6                     # Orientation: rotate 90° when shown
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


@pytest.fixture
def kokuho(browser, read):
    jid = read(select(Jimu.id).where(Jimu.name == KOKUHO))[0]
    aid = read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full"))[0]
    v = version_of(read, aid)
    browser.login_as("hoken")
    return v


def figures_of(read, vid):
    rows = read(select(Answer.value).where(Answer.version_id == vid, Answer.item_id == ITEM))
    return rows[0] if rows else None


def upload(browser, vid, data: bytes, *, caption="追加した図", filename="flow.png", ctype="image/png", lock=None,
           htmx=True):
    url = f"/versions/{vid}/edit/annex1"
    pairs, action = page_form(browser, url)
    pairs = [(k, v) for k, v in pairs if not k.startswith("fu|")]
    pairs = replace(pairs, f"fc|{ITEM}", caption) + [("op", f"figadd|{ITEM}")]
    if lock is not None:
        pairs = replace(pairs, "lock", str(lock))
    headers = {"HX-Request": "true"} if htmx else {}
    return browser.post(action, pairs, files={f"fu|{ITEM}": (filename, data, ctype)}, headers=headers)


def blob_count(read) -> int:
    return len(read(select(FigureBlob.sha)))


def test_the_demo_diagram_shows_in_the_editor_and_the_image_route_serves_it(browser, read, kokuho):
    value = figures_of(read, kokuho.id)
    assert len(value) == 1 and value[0]["caption"] == "国民健康保険に関する事務 特定個人情報の流れ"
    soup = browser.page(f"/versions/{kokuho.id}/edit/annex1")
    form = soup.select_one("#page-form")
    assert form["enctype"] == "multipart/form-data"
    img = form.select_one(f"figure[data-figure='{value[0]['id']}'] img")
    assert img["src"] == f"/versions/{kokuho.id}/figures/{value[0]['sha']}.png"
    assert img["alt"].startswith("図1 国民健康保険")
    assert soup.select_one(f"label[for='{form.select_one('input[type=file]')['id']}']")  # the upload has a label
    r = browser.get(img["src"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(r.content).hexdigest() == value[0]["sha"]
    assert Image.open(io.BytesIO(r.content)).size == (1800, 1150)


def test_upload_is_re_encoded_without_what_rode_along(browser, read, kokuho):
    before = lock_of(read, kokuho.id, "annex1")
    r = upload(browser, kokuho.id, jpeg_with_exif(), caption="窓口での流れ", filename="photo.jpg", ctype="image/jpeg")
    assert r.status_code == 200, parse(r.text).select_one(".error-summary")
    value = figures_of(read, kokuho.id)
    assert [f["caption"] for f in value] == ["国民健康保険に関する事務 特定個人情報の流れ", "窓口での流れ"]
    blob = read(select(FigureBlob).where(FigureBlob.sha == value[1]["sha"]))[0]
    assert blob.data.startswith(b"\x89PNG") and hashlib.sha256(blob.data).hexdigest() == blob.sha
    assert b"SecretCameraMaker" not in blob.data and b"Exif" not in blob.data
    assert (blob.width, blob.height) == (60, 90)  # the EXIF orientation was applied, then dropped
    assert lock_of(read, kokuho.id, "annex1") == before + 1
    log = read(select(AuditLog).where(AuditLog.action == "page_saved").order_by(AuditLog.id.desc()))[0]
    assert log.after[ITEM]["value"][1]["sha"] == blob.sha and log.actor_login == "hoken"
    # the page came back with the new figure shown
    assert f"/figures/{blob.sha}.png" in r.text
    # a PNG's text chunks are dropped too
    upload(browser, kokuho.id, png_bytes(text={"Comment": "内部メモ secret"}), caption="二枚目")
    last = figures_of(read, kokuho.id)[-1]
    data = read(select(FigureBlob.data).where(FigureBlob.sha == last["sha"]))[0]
    assert b"secret" not in data and b"tEXt" not in data and b"iTXt" not in data


def test_same_picture_twice_is_stored_once(browser, read, kokuho):
    n = blob_count(read)
    picture = png_bytes(colour=(1, 2, 3))
    assert upload(browser, kokuho.id, picture, caption="A").status_code == 200
    assert upload(browser, kokuho.id, picture, caption="B").status_code == 200
    value = figures_of(read, kokuho.id)
    assert value[-1]["sha"] == value[-2]["sha"] and blob_count(read) == n + 1


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "GIF")
    return out.getvalue()


def _bomb() -> bytes:  # 6000 x 5000 = 30 MP of one colour: a small file that decodes huge
    out = io.BytesIO()
    Image.new("1", (6000, 5000)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(("data", "caption", "message"), [
    (b"", "x", "画像ファイルを選択してください"),
    (b"not an image at all", "x", "PNG または JPEG"),
    (png_bytes()[:60], "x", "壊れている"),
    (_gif(), "x", "PNG または JPEG"),
    (_bomb(), "x", "2,500万画素以下"),
    (png_bytes(), "表題に\x07制御文字", "制御文字"),
    (png_bytes(), "長" * 201, "200"),
], ids=["empty", "text", "truncated", "gif", "pixel-bomb", "control-char", "long-caption"])
def test_bad_uploads_get_a_japanese_message_and_change_nothing(browser, read, kokuho, data, caption, message):
    before_value, before_blobs = figures_of(read, kokuho.id), blob_count(read)
    lock = lock_of(read, kokuho.id, "annex1")
    r = upload(browser, kokuho.id, data, caption=caption, htmx=False)
    assert r.status_code == 422, r.text[:300]
    summary = parse(r.text).select_one(".error-summary")
    assert summary is not None and message in summary.get_text(), summary
    assert figures_of(read, kokuho.id) == before_value
    assert blob_count(read) == before_blobs and lock_of(read, kokuho.id, "annex1") == lock


def test_more_than_ten_figures_are_refused(browser, read, kokuho):
    for n in range(9):
        assert upload(browser, kokuho.id, png_bytes(colour=(n, n, n)), caption=f"図{n}").status_code == 200
    assert len(figures_of(read, kokuho.id)) == 10
    r = upload(browser, kokuho.id, png_bytes(colour=(99, 1, 1)), htmx=False)
    assert r.status_code == 422 and "10枚まで" in r.text
    assert len(figures_of(read, kokuho.id)) == 10


def test_caption_edit_reorder_and_delete(browser, read, kokuho):
    upload(browser, kokuho.id, png_bytes(colour=(5, 5, 5)), caption="二枚目")
    first, second = figures_of(read, kokuho.id)
    url = f"/versions/{kokuho.id}/edit/annex1"
    pairs, action = page_form(browser, url)
    pairs = [(k, v) for k, v in pairs if not k.startswith("fu|")]
    captions = [i for i, (k, _) in enumerate(pairs) if k == f"gc|{ITEM}"]
    pairs[captions[1]] = (f"gc|{ITEM}", "窓口の図(改訂)")
    assert browser.post(action, pairs + [("op", f"figup|{ITEM}|1")], headers={"HX-Request": "true"}).status_code == 200
    value = figures_of(read, kokuho.id)
    assert [f["id"] for f in value] == [second["id"], first["id"]] and value[0]["caption"] == "窓口の図(改訂)"
    pairs, action = page_form(browser, url)
    pairs = [(k, v) for k, v in pairs if not k.startswith("fu|")]
    assert browser.post(action, pairs + [("op", f"figdel|{ITEM}|0")], headers={"HX-Request": "true"}).status_code == 200
    assert [f["id"] for f in figures_of(read, kokuho.id)] == [first["id"]]


def test_a_forged_figure_key_is_refused(browser, read, kokuho):
    pairs, action = page_form(browser, f"/versions/{kokuho.id}/edit/annex1")
    pairs = [(k, v) for k, v in pairs if not k.startswith("fu|")]
    pairs = replace(pairs, f"gs|{ITEM}", "a" * 64)
    r = browser.post(action, pairs)
    assert r.status_code == 422 and "添付された図が見つかりません" in r.text
    assert figures_of(read, kokuho.id)[0]["sha"] != "a" * 64


def test_upload_on_a_stale_page_is_a_conflict_and_stores_nothing(browser, read, kokuho):
    lock = lock_of(read, kokuho.id, "annex1")
    assert upload(browser, kokuho.id, png_bytes(colour=(7, 7, 7)), caption="先").status_code == 200
    n, value = blob_count(read), figures_of(read, kokuho.id)
    r = upload(browser, kokuho.id, png_bytes(colour=(8, 8, 8)), caption="後", lock=lock, htmx=False)
    assert r.status_code == 409
    assert figures_of(read, kokuho.id) == value and blob_count(read) == n


def test_the_image_route_serves_only_pictures_of_readable_versions(browser, read, kokuho):
    sha = figures_of(read, kokuho.id)[0]["sha"]
    url = f"/versions/{kokuho.id}/figures/{sha}.png"
    browser.login_as("shimin")  # another department
    assert browser.get(url).status_code == 403
    browser.login_as("hoken")
    juki_sha = read(select(Answer.value).where(Answer.item_id == ITEM, Answer.version_id != kokuho.id))[0][0]["sha"]
    assert browser.get(f"/versions/{kokuho.id}/figures/{juki_sha}.png").status_code == 404  # not this version's
    assert browser.get(f"/versions/{kokuho.id}/figures/{'0' * 64}.png").status_code == 404
    browser.logout()
    r = browser.get(url)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_an_upload_over_the_request_limit_is_refused_whole(browser, read, kokuho, settings):
    before_value, before_blobs = figures_of(read, kokuho.id), blob_count(read)
    r = upload(browser, kokuho.id, b"\x89PNG\r\n\x1a\n" + b"0" * settings.max_upload_bytes, htmx=False)
    assert r.status_code == 413 and "大きすぎます" in r.text
    assert figures_of(read, kokuho.id) == before_value and blob_count(read) == before_blobs


def test_the_five_megabyte_limit_of_a_picture():
    from app.errors import ValidationFailed
    from app.services import figures

    with pytest.raises(ValidationFailed) as exc:
        figures.sanitise(b"\x89PNG\r\n\x1a\n" + b"0" * figures.MAX_UPLOAD_BYTES)
    assert "5MB以下" in exc.value.message
    big = png_bytes(size=(3000, 2000))  # over the stored side: scaled to 2400 px on the long side
    clean = figures.sanitise(big)
    assert (clean.width, clean.height) == (2400, 1600)


def test_the_council_reads_the_diagram_in_the_document_sent(browser, read, kokuho, db):
    from datetime import date

    from app.domain.policy import SYSTEM
    from app.models import Organisation
    from app.services import snapshots

    org = db.exec(select(Organisation)).first()
    system = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org.id})
    snap = snapshots.take(db, actor=system, version_id=kokuho.id, purpose="council", today=date(2026, 11, 23))
    db.commit()
    browser.login_as("records")
    soup = browser.page(f"/snapshots/{snap.id}")
    img = soup.select_one(".doc-figure img")
    assert img is not None and img["src"].startswith("data:image/png;base64,")
    assert img["alt"] == "図1 国民健康保険に関する事務 特定個人情報の流れ"
