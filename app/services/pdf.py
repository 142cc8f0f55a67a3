"""Bounded LibreOffice conversions: at most `pdf_concurrency` at once across all worker processes.

Slots are flock()ed files under data/pdf-slots (a lock is released by the kernel when its holder dies, so a
crashed worker never leaks a slot). Up to `pdf_queue` further requests wait (polling) for `pdf_wait_seconds`;
beyond that, or after the wait, the caller gets `ConversionBusy` (503 + Retry-After). The holder of a slot
converts with the slot's warm LibreOffice over UNO (SPIA_PDF_WARM, see below); a cold conversion runs in its own
process group with its own profile directory and the whole group is killed on timeout.
"""
from __future__ import annotations

import atexit
import contextlib
import fcntl
import itertools
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _first_free(paths: list[Path]) -> tuple[int, int] | None:
    """(fd, index) of the first lock in `paths` that is free, now held."""
    for i, p in enumerate(paths):
        fd = _try_lock(p)
        if fd is not None:
            return fd, i
    return None


@contextlib.contextmanager
def slot(slot_dir: Path, *, concurrency: int, queue: int, wait_seconds: float, poll: float = 0.1) -> Iterator[int]:
    """Hold one of `concurrency` slots for the duration of the block (yields its index), or raise ConversionBusy."""
    slot_dir.mkdir(parents=True, exist_ok=True)
    slots = [slot_dir / f"run-{i}.lock" for i in range(max(1, concurrency))]
    waits = [slot_dir / f"wait-{i}.lock" for i in range(max(0, queue))]
    held = _first_free(slots)
    if held is None:
        waiting = _first_free(waits)
        if waiting is None:
            raise ConversionBusy(retry_after=max(1, int(wait_seconds) or 30))
        try:
            deadline = time.monotonic() + wait_seconds
            while held is None and time.monotonic() < deadline:
                time.sleep(poll)
                held = _first_free(slots)
        finally:
            _release(waiting[0])
        if held is None:
            raise ConversionBusy(retry_after=max(1, int(wait_seconds) or 30))
    fd, index = held
    try:
        yield index
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


# ------------------------------------------------------------------ warm LibreOffice (issue 13 item 3)
#
# Each slot has at most one warm LibreOffice (soffice.bin --accept=pipe,…) at a time, so SPIA_PDF_CONCURRENCY also
# bounds the LibreOffice processes, idle or busy. slot_dir/warm-<i>.json names the one of slot i (pid, pipe); only
# the holder of slot i reads or replaces it, and any worker holding the slot converts with it. A worker talks UNO
# through a helper of its own (uno_convert.py, run by the python that has `uno`), which starts the LibreOffice
# processes as its children: they die with the helper (PR_SET_PDEATHSIG), the helper kills them when the worker
# closes its stdin or dies (end of input), and shutdown() does it at the end of the app (lifespan, atexit).
# A warm LibreOffice found dead before a conversion is simply started again. Any failure during the warm attempt
# (the helper or LibreOffice dying, no answer within WARM_SHARE of the timeout, a failed start or conversion) kills
# the slot's warm processes, forgets its profile and converts with a cold start; the next conversion starts a fresh
# warm LibreOffice. Without a python that has `uno` every conversion is cold (the helper is tried again later).

HELPER = Path(__file__).resolve().with_name("uno_convert.py")
WARM_SHARE = 0.5  # of pdf_timeout_seconds for the warm attempt; the cold fallback gets the rest (at least as much)
RECYCLE_AFTER = 200  # conversions before a warm LibreOffice is replaced (bounds its memory growth)
UNAVAILABLE_RETRY = 300.0  # seconds before trying again when no python with `uno` answered
log = logging.getLogger("spia")


class WarmFailed(Exception):
    pass


class WarmUnavailable(WarmFailed):
    """No python with `uno` answered: nothing to kill, the cold start converts (logged once a while)."""


class _Helper:
    """`python3 uno_convert.py serve` in a session of its own: JSON lines in and out, every read with a deadline."""

    def __init__(self, python: str, deadline: float):
        proc = subprocess.Popen([python, str(HELPER), "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=converter_env(), start_new_session=True, bufsize=0)
        if proc.stdin is None or proc.stdout is None:  # never: both are pipes (Popen types them as optional)
            proc.kill()
            raise WarmFailed("the UNO helper has no pipes")
        self.proc, self.stdin, self.stdout = proc, proc.stdin, proc.stdout
        self.buf = b""
        try:
            ready = self._answer(deadline)
        except WarmFailed:
            self.kill()
            raise
        if not ready.get("ready"):
            self.kill()
            raise WarmFailed(f"the UNO helper did not start: {ready}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def request(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        try:
            self.stdin.write((json.dumps(message) + "\n").encode())
        except (OSError, ValueError) as exc:
            raise WarmFailed(f"the UNO helper is gone ({exc})") from None
        answer = self._answer(deadline)
        if not answer.get("ok"):
            raise WarmFailed(str(answer.get("error") or answer))
        return answer

    def _answer(self, deadline: float) -> dict[str, Any]:
        fd = self.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarmFailed("no answer from LibreOffice in time")
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise WarmFailed(f"the UNO helper exited (status {self.proc.wait()})")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            answer: dict[str, Any] = json.loads(line)
        except ValueError:
            raise WarmFailed(f"unexpected answer from the UNO helper: {line[:200]!r}") from None
        return answer

    def close(self, wait: float = 5.0) -> None:
        """End of input: the helper kills the LibreOffice processes it started and exits; killed if it does not."""
        with contextlib.suppress(OSError, ValueError):
            self.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=wait)
        self.kill()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError, ValueError):
                stream.close()
        self.proc.wait()


_lock = threading.Lock()
_helpers: dict[tuple[str, int], _Helper] = {}  # (slot dir, slot index) -> this process's helper for that slot
_started: dict[int, str] = {}  # pid -> pipe of the warm LibreOffice processes started by this process's helpers
_pipes = itertools.count(1)
_unavailable_until = [0.0]
_atexit = [False]
last: dict[str, object] = {}  # how the last conversion in this process went: mode warm|cold, pid, fallback reason


def uno_python(exe: str) -> str | None:
    """A python that can `import uno`: LibreOffice's own (upstream builds), else Debian's python3-uno."""
    for candidate in (Path(exe).resolve().parent / "python", Path("/usr/bin/python3")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def soffice_bin(exe: str) -> str:
    """soffice.bin itself (the `soffice` script and oosplash would stand between the helper and LibreOffice)."""
    real = Path(exe).resolve()
    binary = real.parent / "soffice.bin"
    return str(binary) if binary.is_file() else str(real)


def office_alive(pid: int, pipe: str) -> bool:
    """The warm LibreOffice `pid` still runs and is the one listening on `pipe` (not a reused pid, not a zombie)."""
    try:
        return f"name={pipe};".encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _kill_office(pid: int, pipe: str) -> None:
    if office_alive(pid, pipe):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # started with setsid: its pid is its process group
    with contextlib.suppress(OSError):
        os.unlink(f"/tmp/OSL_PIPE_{os.getuid()}_{pipe}")  # its socket (uno_convert.pipe_path), left when killed


def _state_path(slot_dir: Path, index: int) -> Path:
    return slot_dir / f"warm-{index}.json"


def read_state(slot_dir: Path, index: int = 0) -> dict[str, Any]:
    try:
        state = json.loads(_state_path(slot_dir, index).read_text())
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_state(slot_dir: Path, index: int, state: dict[str, Any]) -> None:
    path = _state_path(slot_dir, index)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)


def _helper(slot_dir: Path, index: int, exe: str, deadline: float) -> _Helper:
    key = (str(slot_dir), index)
    with _lock:
        helper = _helpers.get(key)
    if helper is not None and helper.alive():
        return helper
    if helper is not None:
        helper.kill()
    if time.monotonic() < _unavailable_until[0]:
        raise WarmUnavailable("no python with the uno module (python3-uno) answered; trying again later")
    python = uno_python(exe)
    if python is None:
        _unavailable_until[0] = time.monotonic() + UNAVAILABLE_RETRY
        raise WarmUnavailable("no python with the uno module (python3-uno) was found")
    try:
        helper = _Helper(python, deadline)
    except (WarmFailed, OSError) as exc:
        _unavailable_until[0] = time.monotonic() + UNAVAILABLE_RETRY
        log.warning("PDF: cold starts for %d s: %s (%s %s; is python3-uno installed?)", UNAVAILABLE_RETRY, exc,
                    python, HELPER.name)
        raise WarmUnavailable(f"{exc} ({python} {HELPER.name}; is python3-uno installed?)") from None
    with _lock:
        _helpers[key] = helper
        if not _atexit[0]:
            atexit.register(shutdown)
            _atexit[0] = True
    return helper


def warm_convert(exe: str, slot_dir: Path, index: int, src: Path, dst: Path, *, deadline: float) -> int:
    """Convert with the warm LibreOffice of slot `index` (held by the caller), starting it if needed; its pid."""
    helper = _helper(slot_dir, index, exe, deadline)
    state = read_state(slot_dir, index)
    pid, pipe = state.get("pid"), state.get("pipe")
    if not (isinstance(pid, int) and isinstance(pipe, str) and office_alive(pid, pipe)) \
            or int(state.get("conversions", 0)) >= RECYCLE_AFTER:
        if isinstance(pid, int) and isinstance(pipe, str):
            _kill_office(pid, pipe)
        pipe = f"spia-{os.getpid()}-{next(_pipes)}"
        left = deadline - time.monotonic()
        answer = helper.request({"op": "start", "exe": soffice_bin(exe), "pipe": pipe, "timeout": max(1.0, left - 1),
                                 "profile": str(slot_dir / f"warm-{index}.profile")}, deadline)
        pid = int(answer["pid"])
        with _lock:
            _started[pid] = pipe
        state = {"pid": pid, "pipe": pipe, "conversions": 0, "started_by": os.getpid()}
        _write_state(slot_dir, index, state)
    helper.request({"op": "convert", "pipe": pipe, "pid": pid, "src": str(src), "dst": str(dst)}, deadline)
    state["conversions"] = int(state.get("conversions", 0)) + 1
    _write_state(slot_dir, index, state)
    return pid


def discard_warm(slot_dir: Path, index: int) -> None:
    """Kill this process's helper for the slot and the slot's warm LibreOffice (whoever started it); forget its
    profile, so the next conversion starts afresh."""
    with _lock:
        helper = _helpers.pop((str(slot_dir), index), None)
    if helper is not None:
        helper.kill()
    state = read_state(slot_dir, index)
    if isinstance(state.get("pid"), int) and isinstance(state.get("pipe"), str):
        _kill_office(state["pid"], state["pipe"])
    with contextlib.suppress(OSError):
        _state_path(slot_dir, index).unlink()
    shutil.rmtree(slot_dir / f"warm-{index}.profile", ignore_errors=True)


def shutdown() -> None:
    """Stop this process's helpers and the warm LibreOffice processes they started (app shutdown, atexit)."""
    with _lock:
        helpers = list(_helpers.values())
        _helpers.clear()
        started = dict(_started)
        _started.clear()
    for helper in helpers:
        helper.close()
    for pid, pipe in started.items():
        _kill_office(pid, pipe)


SOURCE_SUFFIXES = (".odt", ".docx")


def convert(document: bytes, exe: str, suffix: str = ".docx") -> bytes:
    """The PDF of an .odt or .docx document (`suffix` says which)."""
    from app.config import get_settings

    if suffix not in SOURCE_SUFFIXES:
        raise ValueError(f"unsupported source type {suffix!r}")
    s = get_settings()
    with slot(s.pdf_slot_dir, concurrency=s.pdf_concurrency, queue=s.pdf_queue,
              wait_seconds=s.pdf_wait_seconds) as index, tempfile.TemporaryDirectory(prefix="spia-pdf-") as tmp:
        src = Path(tmp) / f"doc{suffix}"
        src.write_bytes(document)
        out = Path(tmp) / "doc.pdf"
        t0 = time.monotonic()
        if s.pdf_warm:
            try:
                pid = warm_convert(exe, s.pdf_slot_dir, index, src, out,
                                   deadline=t0 + s.pdf_timeout_seconds * WARM_SHARE)
                data = out.read_bytes() if out.exists() else b""
                if data.startswith(b"%PDF"):
                    last.clear()
                    last.update(mode="warm", pid=pid, seconds=time.monotonic() - t0)
                    return data
                raise WarmFailed("no PDF was written")
            except WarmUnavailable as exc:
                fallback = str(exc)
            except WarmFailed as exc:
                log.warning("PDF: the warm LibreOffice failed (%s); converting with a cold start", exc)
                discard_warm(s.pdf_slot_dir, index)
                out.unlink(missing_ok=True)
                fallback = str(exc)
        else:
            fallback = "SPIA_PDF_WARM=0"
        timeout = max(s.pdf_timeout_seconds - (time.monotonic() - t0), s.pdf_timeout_seconds * (1 - WARM_SHARE))
        profile = Path(tmp) / "profile"
        run_converter([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                       "--outdir", tmp, str(src)], timeout=timeout)
        if not out.exists():
            raise ConversionFailed("LibreOffice による PDF への変換に失敗しました(出力がありません)。")
        last.clear()
        last.update(mode="cold", pid=None, seconds=time.monotonic() - t0, fallback=fallback)
        return out.read_bytes()
