"""Bounded LibreOffice conversions: at most `pdf_concurrency` at once across all worker processes.

Slots are flock()ed files under data/pdf-slots (a lock is released by the kernel when its holder dies, so a
crashed worker never leaks a slot). Up to `pdf_queue` further requests wait (polling) for `pdf_wait_seconds`;
beyond that, or after the wait, the caller gets `ConversionBusy` (503 + Retry-After). Each conversion runs in
its own process group with its own profile directory and the whole group is killed on timeout.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from app.errors import DomainError

BUSY_MESSAGE = "PDF変換が混み合っています。しばらくしてから再度お試しください。"


class ConversionBusy(DomainError):
    status = 503

    def __init__(self, message: str = BUSY_MESSAGE, *, retry_after: int = 30):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class ConversionFailed(DomainError):
    status = 503  # same status as exports.ConversionUnavailable


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _release(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _first_free(paths: list[Path]) -> int | None:
    for p in paths:
        fd = _try_lock(p)
        if fd is not None:
            return fd
    return None


@contextlib.contextmanager
def slot(slot_dir: Path, *, concurrency: int, queue: int, wait_seconds: float, poll: float = 0.1) -> Iterator[None]:
    """Hold one of `concurrency` slots for the duration of the block, or raise ConversionBusy."""
    slot_dir.mkdir(parents=True, exist_ok=True)
    slots = [slot_dir / f"run-{i}.lock" for i in range(max(1, concurrency))]
    waits = [slot_dir / f"wait-{i}.lock" for i in range(max(0, queue))]
    fd = _first_free(slots)
    if fd is None:
        wait_fd = _first_free(waits)
        if wait_fd is None:
            raise ConversionBusy(retry_after=max(1, int(wait_seconds) or 30))
        try:
            deadline = time.monotonic() + wait_seconds
            while fd is None and time.monotonic() < deadline:
                time.sleep(poll)
                fd = _first_free(slots)
        finally:
            _release(wait_fd)
        if fd is None:
            raise ConversionBusy(retry_after=max(1, int(wait_seconds) or 30))
    try:
        yield
    finally:
        _release(fd)


FONTCONFIG_FILE = Path(__file__).resolve().parent.parent / "export" / "fontconfig" / "fonts.conf"


def converter_env() -> dict[str, str]:
    """The environment of a conversion: our fontconfig file maps ＭＳ 明朝/ゴシック (and the generic families
    LibreOffice falls back to) to IPAex明朝/IPAexゴシック for every script, so the PDF uses only those two."""
    return {**os.environ, "FONTCONFIG_FILE": str(FONTCONFIG_FILE)}


def run_converter(argv: list[str], *, timeout: float) -> None:
    """Run in a new process group; on timeout kill the whole group (soffice forks oosplash/soffice.bin)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env=converter_env())
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ConversionFailed("LibreOffice による PDF への変換が時間内に終わりませんでした。") from None
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # stray children of a finished conversion
    if proc.returncode != 0:
        raise ConversionFailed(f"LibreOffice による PDF への変換に失敗しました: {err.decode(errors='replace')[:300]}")


def convert(docx: bytes, exe: str) -> bytes:
    from app.config import get_settings

    s = get_settings()
    with slot(s.pdf_slot_dir, concurrency=s.pdf_concurrency, queue=s.pdf_queue, wait_seconds=s.pdf_wait_seconds):
        with tempfile.TemporaryDirectory(prefix="spia-pdf-") as tmp:
            src = Path(tmp) / "doc.docx"
            src.write_bytes(docx)
            profile = Path(tmp) / "profile"
            run_converter([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", tmp, str(src)], timeout=s.pdf_timeout_seconds)
            out = Path(tmp) / "doc.pdf"
            if not out.exists():
                raise ConversionFailed("LibreOffice による PDF への変換に失敗しました(出力がありません)。")
            return out.read_bytes()
