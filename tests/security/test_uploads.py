"""Upload limits: request bodies (JSON import, forms, multipart), wrong types, and the DOCX import
(`spia import-docx` and exports.import_docx) against oversize files, non-docx files and zip bombs.

The test app's limit is 2 MB (tests/conftest.py settings). Every refusal is a clear Japanese 4xx (or exit
code 2 with a Japanese message for the CLI) and writes nothing.
"""
from __future__ import annotations

import io
import json
import struct
import time
import tracemalloc
import zipfile

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from app.domain.policy import Actor
from app.errors import ValidationFailed
from app.services import exports, jsonio
from tests.security.helpers import JAPANESE, fingerprint

LIMIT = 2 * 1024 * 1024
TOO_LARGE = "送信されたデータが大きすぎます(上限 2MB)"
SYSTEM = Actor(user_id=None, login_id="security-tests", role="system", organisation_id=1)


def _chunks(total: int, size: int = 64 * 1024):
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b" " * n


@pytest.fixture
def kokuho_json(ids, demo_engine) -> dict:
    with Session(demo_engine) as s:
        return jsonio.export_version(s, actor=SYSTEM, version_id=ids["kokuho_full_v"])


# --- request bodies --------------------------------------------------------------------------------------

def test_json_import_over_the_limit_is_413_in_japanese(browser, ids, demo_engine, kokuho_json):
    browser.login_as("hoken")
    doc = dict(kokuho_json, padding="x" * (LIMIT + 1000))
    before = fingerprint(demo_engine)
    r = browser.api("POST", f"/api/v1/assessments/import?into={ids['kokuho_full']}", json=doc)
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/json")
    assert TOO_LARGE in r.json()["detail"]
    assert fingerprint(demo_engine) == before


def test_json_import_streamed_without_length_is_413_too(browser, ids, demo_engine):
    """No Content-Length (chunked): counted as it arrives; the API must not turn it into a 400/422/500."""
    browser.login_as("hoken")
    before = fingerprint(demo_engine)
    r = browser.client.post(f"/api/v1/assessments/import?into={ids['kokuho_full']}", content=_chunks(LIMIT + 200_000),
                            headers={"X-CSRFToken": browser.csrf(), "content-type": "application/json"})
    assert r.status_code == 413 and TOO_LARGE in r.json()["detail"]
    assert fingerprint(demo_engine) == before


@pytest.mark.parametrize("streamed", [False, True], ids=["with-length", "chunked"])
def test_form_over_the_limit_is_413_in_japanese(browser, ids, demo_engine, streamed):
    browser.login_as("hoken")
    url = f"/versions/{ids['kokuho_full_v']}/edit/I"
    before = fingerprint(demo_engine)
    if streamed:  # the token in the header (as htmx sends it), the body streamed
        r = browser.client.post(url, content=_chunks(LIMIT + 200_000), follow_redirects=False,
                                headers={"X-CSRFToken": browser.csrf(),
                                         "content-type": "application/x-www-form-urlencoded"})
    else:
        r = browser.post(url, {"lock": "1", "p|I.1.2": "1", "a|I.1.2": "あ" * (LIMIT // 2)})
    assert r.status_code == 413 and TOO_LARGE in r.text
    assert fingerprint(demo_engine) == before


def test_multipart_upload_over_the_limit_is_413(browser, ids, demo_engine):
    browser.login_as("records")
    before = fingerprint(demo_engine)
    r = browser.client.post("/library", data={"csrftoken": browser.csrf(), "title": "x"},
                            files={"file": ("big.docx", b"PK" + b"\0" * (LIMIT + 10), exports.DOCX_TYPE)},
                            follow_redirects=False)
    assert r.status_code == 413 and TOO_LARGE in r.text
    assert fingerprint(demo_engine) == before


LIBRARY_FORM = {"title": "多要素認証", "text": "端末の認証", "audience": "staff", "risks": "general", "active": "1"}


@pytest.mark.parametrize("header_token", [False, True])
def test_multipart_form_within_the_limit_is_accepted(browser, demo_engine, header_token):
    """The guards refuse only what is malformed, forged or too large: a multipart form goes through."""
    browser.login_as("records")
    token = browser.csrf()
    before = fingerprint(demo_engine)
    r = browser.client.post("/library", data=LIBRARY_FORM if header_token else {"csrftoken": token, **LIBRARY_FORM},
                            headers={"X-CSRFToken": token} if header_token else {},
                            files={"attachment": ("note.txt", b"hello", "text/plain")}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    assert fingerprint(demo_engine) != before


@pytest.mark.parametrize("forgery", ["no token", "wrong token", "token without its cookie", "no boundary space"])
def test_forged_multipart_form_is_refused(browser, demo_engine, forgery):
    browser.login_as("records")
    token = browser.csrf()
    before = fingerprint(demo_engine)
    fields = dict(LIBRARY_FORM)
    if forgery == "wrong token":
        fields["csrftoken"] = token[::-1]
    elif forgery == "token without its cookie":
        fields["csrftoken"] = token
        browser.client.cookies.pop("csrftoken")
    if forgery == "no boundary space":
        body = (b'--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--xyz--\r\n')
        r = browser.client.post("/library", content=body, headers={"content-type": "multipart/form-data;boundary=xyz"},
                                follow_redirects=False)
    else:
        r = browser.client.post("/library", data=fields, files={"attachment": ("a.txt", b"x", "text/plain")},
                                follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    assert fingerprint(demo_engine) == before


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/plain", b'{"format": "spia-assessment"}'),
    (exports.DOCX_TYPE, b"PK\x03\x04" + b"\0" * 100),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'{"format": "something-else"}'),
    ("application/json", b"\xff\xfe not utf-8"),
])
def test_json_import_of_the_wrong_type_is_a_japanese_4xx(browser, ids, demo_engine, content_type, body):
    browser.login_as("hoken")
    before = fingerprint(demo_engine)
    r = browser.client.post("/api/v1/assessments/import", content=body,
                            headers={"X-CSRFToken": browser.csrf(), "content-type": content_type})
    assert 400 <= r.status_code < 500 and r.status_code not in (401, 403), r.status_code
    detail = r.json()
    assert JAPANESE.search(detail["detail"] + " ".join(e["message"] for e in detail.get("errors", [])))
    assert fingerprint(demo_engine) == before


@pytest.mark.parametrize(("content_type", "body"), [
    ("multipart/form-data", b"csrftoken=x"),  # no boundary at all
    ("multipart/form-data; boundary=abc",  # a token that is not UTF-8
     b"--abc\r\nContent-Disposition: form-data; name=\"csrftoken\"\r\n\r\n\xff\xfe\r\n--abc--\r\n"),
    ("application/x-www-form-urlencoded", b"csrftoken=\xff\xfe&title=\xff"),  # not UTF-8
])
def test_malformed_form_bodies_are_400_not_500(browser, demo_engine, content_type, body):
    browser.login_as("records")
    before = fingerprint(demo_engine)
    r = browser.client.post("/library", content=body, headers={"content-type": content_type}, follow_redirects=False)
    assert r.status_code == 400 and "形式が正しくありません" in r.text
    assert fingerprint(demo_engine) == before


# --- DOCX import -------------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli(demo_engine, monkeypatch):
    from app.config import get_settings

    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    from app.cli import app

    def run(*args):
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


@pytest.fixture
def exported_docx(ids, demo_engine) -> bytes:
    from tests.dbutil import DEMO_TODAY

    with Session(demo_engine) as s:
        return exports.export(s, actor=SYSTEM, version_id=ids["kokuho_full_v"], edition="full", today=DEMO_TODAY).content


def _zip(members: dict[str, bytes | int], level: int = 9) -> bytes:
    """A zip; an int member is that many zero bytes, written in chunks (never held in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, content in members.items():
            if isinstance(content, int):
                with zf.open(name, "w", force_zip64=True) as f:
                    chunk = b"\0" * (1024 * 1024)
                    for _ in range(content // len(chunk)):
                        f.write(chunk)
            else:
                zf.writestr(name, content)
    return out.getvalue()


def _docx_with(docx: bytes, replace: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def _refused(cli, tmp_path, data: bytes, *args) -> str:
    path = tmp_path / "upload.docx"
    path.write_bytes(data)
    started = time.monotonic()
    r = cli("import-docx", str(path), *args)
    elapsed = time.monotonic() - started
    assert r.exit_code == 2, r.output
    assert elapsed < 10, f"took {elapsed:.1f}s"
    assert JAPANESE.search(r.output), r.output
    return r.output


def test_a_real_export_still_imports(cli, tmp_path, ids, exported_docx):
    path = tmp_path / "kokuho.docx"
    path.write_bytes(exported_docx)
    r = cli("import-docx", str(path), "--into", str(ids["kokuho_full"]))
    assert r.exit_code == 0, r.output
    assert "取り込みました" in r.output


def test_zip_bomb_docx_is_refused_quickly_without_unpacking(cli, tmp_path, demo_engine, ids):
    """300 MB of zeros in a few hundred KB: refused from the zip's directory, with little memory."""
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": 300 * 1024 * 1024})
    assert len(bomb) < 2 * 1024 * 1024
    before = fingerprint(demo_engine)
    out = _refused(cli, tmp_path, bomb, "--into", str(ids["kokuho_full"]))
    assert "展開後のサイズが大きすぎる" in out
    tracemalloc.start()
    with Session(demo_engine) as s, pytest.raises(ValidationFailed) as exc:
        exports.import_docx(s, actor=SYSTEM, data=bomb, into=ids["kokuho_full"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, f"peak memory {peak / 1e6:.0f} MB"
    assert "圧縮爆弾" in exc.value.errors["file"]
    assert fingerprint(demo_engine) == before


def test_many_small_members_adding_up_are_refused(cli, tmp_path):
    members = {"[Content_Types].xml": b"<Types/>", **{f"word/media/p{i}.bin": 1024 * 1024 for i in range(120)}}
    out = _refused(cli, tmp_path, _zip(members))
    assert "上限 100MB" in out


def test_declared_sizes_bound_what_is_read(tmp_path, demo_engine):
    """A member whose directory entry understates its size: zipfile stops at the declared size (CRC error)."""
    data = bytearray(_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": 64 * 1024 * 1024}))
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = data.find(sig)
        while pos != -1:
            name_len = struct.unpack("<H", data[pos + (26 if sig == b"PK\x03\x04" else 28):][:2])[0]
            start = pos + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[start:start + name_len]) == b"word/document.xml":
                data[pos + off:pos + off + 4] = struct.pack("<I", 1000)
            pos = data.find(sig, pos + 4)
    tracemalloc.start()
    with Session(demo_engine) as s, pytest.raises(ValidationFailed) as exc:
        exports.import_docx(s, actor=SYSTEM, data=bytes(data))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, f"peak memory {peak / 1e6:.0f} MB"
    assert JAPANESE.search(exc.value.errors["file"])


def test_oversize_docx_file_is_refused(cli, tmp_path):
    out = _refused(cli, tmp_path, b"PK\x03\x04" + b"\0" * (exports.MAX_DOCX_BYTES + 1))
    assert "Word ファイルが大きすぎます(上限 20MB)" in out


@pytest.mark.parametrize(("data", "message"), [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, "読み込めません(docx ではありません)"),
    (b"", "読み込めません(docx ではありません)"),
    (json.dumps({"format": "spia-assessment"}).encode(), "読み込めません(docx ではありません)"),
])
def test_not_a_docx_is_refused_in_japanese(cli, tmp_path, data, message):
    assert message in _refused(cli, tmp_path, data)


def test_a_zip_that_is_no_word_file_is_refused(cli, tmp_path):
    out = _refused(cli, tmp_path, _zip({"hello.txt": b"hello"}))
    assert "Word ファイルとして読み込めません" in out


def test_a_docx_without_embedded_data_is_refused(cli, tmp_path):
    from docx import Document

    buf = io.BytesIO()
    Document().save(buf)
    assert "埋め込みデータがありません" in _refused(cli, tmp_path, buf.getvalue())


def test_entity_expansion_in_the_embedded_xml_is_refused(cli, tmp_path, exported_docx):
    """'Billion laughs' in the custom XML part: the parser's amplification limit stops it, quickly."""
    name = next(n for n in zipfile.ZipFile(io.BytesIO(exported_docx)).namelist() if n.startswith("customXml/item"))
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    evil = (f'<!-- urn:spia:assessment:1 --><!DOCTYPE spia [{entities}]>'
            f'<spia xmlns="urn:spia:assessment:1"><json>&a9;</json></spia>').encode()
    out = _refused(cli, tmp_path, _docx_with(exported_docx, {name: evil}))
    assert "Word ファイルとして読み込めません" in out
