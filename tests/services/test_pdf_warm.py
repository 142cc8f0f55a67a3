"""Issue 13 item 3: a warm LibreOffice per slot, driven over UNO, with a cold start as the fallback.

Real LibreOffice throughout (skipped when it or python3-uno is missing, failed then under SPIA_CI_REQUIRE_ALL=1).
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.config import get_settings
from app.services import pdf
from tests import dbutil

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _require_libreoffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    problem = None
    if not exe:
        problem = "LibreOffice (soffice) is not installed"
    else:
        python = pdf.uno_python(exe)
        if not python or subprocess.run([python, "-c", "import uno"], capture_output=True).returncode != 0:
            problem = "no python with the uno module (apt install python3-uno)"
    if problem:
        if dbutil.REQUIRE_ALL:
            pytest.fail(f"required in CI: {problem}")
        pytest.skip(problem)
    return exe


@pytest.fixture
def office(tmp_path, monkeypatch):
    """(soffice, slot dir) with settings pointing at a private slot directory; nothing left running afterwards."""
    exe = _require_libreoffice()
    slots = tmp_path / "slots"
    monkeypatch.setenv("SPIA_PDF_SLOT_DIR", str(slots))
    monkeypatch.setenv("SPIA_PDF_CONCURRENCY", "1")
    monkeypatch.delenv("SPIA_PDF_WARM", raising=False)
    get_settings.cache_clear()
    yield exe, slots
    pdf.shutdown()
    pdf.discard_warm(slots, 0)
    get_settings.cache_clear()


def _docx(pages: int = 4) -> bytes:
    from docx import Document

    doc = Document()
    for n in range(pages):
        doc.add_heading(f"特定個人情報保護評価書 第{n + 1}章", level=1)
        for k in range(12):
            doc.add_paragraph(f"住民基本台帳に関する事務 {n}-{k}: 個人番号を含む特定個人情報ファイルを取り扱う。" * 3)
        table = doc.add_table(rows=6, cols=3, style="Table Grid")
        for row in table.rows:
            for cell in row.cells:
                cell.text = "リスク対策 ①②③"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]


def _gone(pid: int, pipe: str, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not pdf.office_alive(pid, pipe):
            return True
        time.sleep(0.1)
    return False


def _our_offices(slots: Path) -> list[str]:
    """Command lines of LibreOffice processes using this test's profile directory."""
    out = subprocess.run(["pgrep", "-af", "soffice"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(slots) in line]


def test_second_conversion_reuses_the_warm_office_and_beats_a_cold_start(office, monkeypatch):
    exe, slots = office
    docx = _docx()
    monkeypatch.setenv("SPIA_PDF_WARM", "0")
    get_settings.cache_clear()
    t0 = time.perf_counter()
    assert _is_pdf(pdf.convert(docx, exe))
    cold = time.perf_counter() - t0
    assert pdf.last["mode"] == "cold"

    monkeypatch.setenv("SPIA_PDF_WARM", "1")
    get_settings.cache_clear()
    assert _is_pdf(pdf.convert(docx, exe))  # starts the warm LibreOffice
    first = pdf.last
    assert first["mode"] == "warm", first
    t0 = time.perf_counter()
    assert _is_pdf(pdf.convert(docx, exe))
    warm = time.perf_counter() - t0
    assert pdf.last["mode"] == "warm" and pdf.last["pid"] == first["pid"]
    state = pdf.read_state(slots)
    assert state["pid"] == first["pid"] and state["conversions"] == 2
    # our fontconfig file reaches the warm LibreOffice (pdffonts: IPAex only, tests/export/test_export_robustness.py)
    environ = Path(f"/proc/{state['pid']}/environ").read_bytes().split(b"\0")
    assert f"FONTCONFIG_FILE={pdf.FONTCONFIG_FILE}".encode() in environ
    print(f"\ncold {cold:.2f} s, warm {warm:.2f} s")
    assert warm < cold * 0.8, (warm, cold)


def test_a_dead_warm_office_is_replaced(office):
    exe, slots = office
    docx = _docx(1)
    assert _is_pdf(pdf.convert(docx, exe))
    state = pdf.read_state(slots)
    os.killpg(state["pid"], signal.SIGKILL)
    assert _gone(state["pid"], state["pipe"])
    assert _is_pdf(pdf.convert(docx, exe))
    assert pdf.last["mode"] == "warm" and pdf.last["pid"] != state["pid"]
    assert len(_our_offices(slots)) == 1


def test_office_killed_during_the_conversion_falls_back_to_a_cold_start(office, monkeypatch):
    exe, slots = office
    docx = _docx(2)
    assert _is_pdf(pdf.convert(docx, exe))
    state = pdf.read_state(slots)
    request = pdf._Helper.request

    def dies_under_us(self, message, deadline):
        if message["op"] == "convert":
            os.killpg(message["pid"], signal.SIGKILL)
        return request(self, message, deadline)

    monkeypatch.setattr(pdf._Helper, "request", dies_under_us)
    assert _is_pdf(pdf.convert(docx, exe))
    assert pdf.last["mode"] == "cold" and pdf.last["fallback"], pdf.last
    assert pdf.read_state(slots) == {}  # forgotten: the next conversion starts a fresh one
    monkeypatch.setattr(pdf._Helper, "request", request)
    assert _is_pdf(pdf.convert(docx, exe))
    assert pdf.last["mode"] == "warm" and pdf.last["pid"] != state["pid"]


def test_a_hung_warm_office_is_killed_and_the_request_still_gets_its_pdf(office, monkeypatch):
    exe, slots = office
    docx = _docx(1)
    monkeypatch.setenv("SPIA_PDF_TIMEOUT_SECONDS", "60")
    monkeypatch.setattr(pdf, "WARM_SHARE", 0.1)  # 6 s for the warm attempt, the rest for the cold start
    get_settings.cache_clear()
    assert _is_pdf(pdf.convert(docx, exe))
    state = pdf.read_state(slots)
    helper = next(iter(pdf._helpers.values()))
    os.kill(state["pid"], signal.SIGSTOP)
    try:
        t0 = time.perf_counter()
        assert _is_pdf(pdf.convert(docx, exe))
        took = time.perf_counter() - t0
    finally:
        if pdf.office_alive(state["pid"], state["pipe"]):
            os.kill(state["pid"], signal.SIGCONT)
    assert pdf.last["mode"] == "cold" and "in time" in pdf.last["fallback"], pdf.last
    assert 6 <= took < 60
    assert _gone(state["pid"], state["pipe"])  # the hung one was killed, its helper too
    assert helper.proc.poll() is not None


def test_warm_off_uses_the_cold_start(office, monkeypatch):
    exe, slots = office
    monkeypatch.setenv("SPIA_PDF_WARM", "0")
    get_settings.cache_clear()
    assert _is_pdf(pdf.convert(_docx(1), exe))
    assert pdf.last["mode"] == "cold" and pdf.last["fallback"] == "SPIA_PDF_WARM=0"
    assert pdf.read_state(slots) == {} and not pdf._helpers
    assert _our_offices(slots) == [] and not (slots / "warm-0.profile").exists()


def test_without_python3_uno_the_cold_start_still_converts(office, monkeypatch):
    exe, slots = office
    monkeypatch.setattr(pdf, "uno_python", lambda exe: sys.executable)  # the venv's python: no uno module
    monkeypatch.setattr(pdf, "_unavailable_until", [0.0])
    assert _is_pdf(pdf.convert(_docx(1), exe))
    assert pdf.last["mode"] == "cold" and "uno" in pdf.last["fallback"], pdf.last
    assert _our_offices(slots) == []
    assert _is_pdf(pdf.convert(_docx(1), exe))  # no new helper for a while: straight to the cold start
    assert pdf.last["mode"] == "cold" and "trying again later" in pdf.last["fallback"], pdf.last


def test_shutdown_leaves_no_libreoffice_behind(office):
    exe, slots = office
    assert _is_pdf(pdf.convert(_docx(1), exe))
    state = pdf.read_state(slots)
    helper = next(iter(pdf._helpers.values()))
    assert pdf.office_alive(state["pid"], state["pipe"])
    pipe = Path(f"/tmp/OSL_PIPE_{os.getuid()}_{state['pipe']}")  # the socket LibreOffice listens on
    assert pipe.is_socket() and pipe.stat().st_mode & 0o077 == 0  # only this user may connect
    pdf.shutdown()
    assert _gone(state["pid"], state["pipe"], within=2)
    assert helper.proc.poll() is not None
    assert _our_offices(slots) == []
    assert not pipe.exists()


def test_a_worker_killed_outright_takes_its_libreoffice_with_it(office, tmp_path):
    """SIGKILL leaves no atexit: the helper sees the end of its input and kills what it started."""
    exe, slots = office
    script = textwrap.dedent(f"""
        import os, signal
        from app.services import pdf
        from docx import Document
        Document().save({str(tmp_path / 'a.docx')!r})
        pdf.convert(open({str(tmp_path / 'a.docx')!r}, 'rb').read(), {exe!r})
        assert pdf.last["mode"] == "warm", pdf.last
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = {**os.environ, "SPIA_PDF_SLOT_DIR": str(slots), "PYTHONPATH": str(ROOT), "SPIA_ENVIRONMENT": "test"}
    r = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert r.returncode == -signal.SIGKILL, r.stderr
    state = pdf.read_state(slots)
    assert state.get("pid"), state
    assert _gone(state["pid"], state["pipe"])
    assert _our_offices(slots) == []
    deadline = time.monotonic() + 5
    while Path(f"/tmp/OSL_PIPE_{os.getuid()}_{state['pipe']}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/tmp/OSL_PIPE_{os.getuid()}_{state['pipe']}").exists()
