"""DOCX → PDF through a running LibreOffice over UNO (issue 13 item 3). Standard library + `uno` only.

The app's virtualenv has no `uno` module; Debian's python3-uno gives it to /usr/bin/python3, so app.services.pdf
runs this file with that interpreter and never imports it.

    python3 uno_convert.py serve
        Long-lived helper: one JSON request a line on stdin, one JSON answer a line on stdout.
        {"op": "start", "exe": ".../soffice.bin", "pipe": "spia-…", "profile": "/dir", "timeout": 60}
            starts a headless LibreOffice listening on the pipe (a child of this helper, in a session of its own,
            killed by the kernel if the helper dies) and answers {"ok": true, "pid": …} once it accepts UNO calls.
        {"op": "convert", "pipe": "spia-…", "pid": …, "src": "/in.docx", "dst": "/out.pdf"}
            loads src hidden and read-only, stores it with writer_pdf_Export, closes it: {"ok": true}.
        Failures answer {"ok": false, "error": "…"}. On end of input (the app closed the pipe or died), SIGTERM or
        SIGHUP, the LibreOffice processes this helper started are killed and the helper exits.
    python3 uno_convert.py convert PIPE SRC DST
        One conversion against a LibreOffice already listening on PIPE (exit status 0 on success).
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

import uno
from com.sun.star.beans import PropertyValue

RESTART = 81  # soffice.bin asks to be started again (first start on a new profile)


# UNO objects (the desktop, documents) come from LibreOffice's `uno` module, which has no type information: Any.
def _prop(name: str, value: Any) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe: str) -> Any:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
    return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)


# the source's import filter by its suffix: the PDF of a 評価書 comes from ODF (app/export/odt.py), a Word file
# handed in is read as one
IMPORT_FILTER = {".odt": "writer8", ".docx": "MS Word 2007 XML"}


def convert(desktop: Any, src: str, dst: str) -> None:
    # ReadOnly: no online spelling or lock file for the document (about half the load time of the demo 全項目)
    load = (_prop("Hidden", True), _prop("ReadOnly", True), _prop("PickListEntry", False),
            _prop("FilterName", IMPORT_FILTER[os.path.splitext(src)[1]]))
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, load)
    if doc is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        doc.storeToURL(uno.systemPathToFileUrl(dst), (_prop("FilterName", "writer_pdf_Export"),))
    finally:
        doc.close(True)


def _child_setup() -> None:
    """In the child before exec: SIGKILL when this helper dies (prctl PR_SET_PDEATHSIG), so nothing outlives it;
    its pipe (a socket in /tmp) and profile files for this user only."""
    os.umask(0o077)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def pipe_path(pipe: str) -> str:
    """Where LibreOffice (osl) puts the socket of a named pipe; a killed LibreOffice leaves it behind."""
    return f"/tmp/OSL_PIPE_{os.getuid()}_{pipe}"


def remove_pipe(pipe: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(pipe_path(pipe))


class Helper:
    def __init__(self) -> None:
        self.children: dict[int, tuple[subprocess.Popen[bytes], str]] = {}  # pid -> (process, pipe name)
        self.desktops: dict[tuple[str, int], Any] = {}

    def start(self, exe: str, pipe: str, profile: str, timeout: float) -> dict[str, Any]:
        argv = [exe, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
                f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}"]
        env = {**os.environ, "SAL_ENABLE_FILE_LOCKING": "1"}  # as the soffice launcher script sets it

        def launch() -> subprocess.Popen[bytes]:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, env=env, start_new_session=True,
                                    preexec_fn=_child_setup)
            self.children[proc.pid] = (proc, pipe)
            return proc

        proc = launch()
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                self.children.pop(proc.pid, None)
                if code != RESTART:
                    return {"ok": False, "error": f"LibreOffice exited with status {code} while starting"}
                proc = launch()
            try:
                self.desktops[(pipe, proc.pid)] = connect(pipe)
                return {"ok": True, "pid": proc.pid}
            except Exception as exc:
                last = str(exc)
                time.sleep(0.05)
        self.kill(proc.pid)
        return {"ok": False, "error": f"LibreOffice did not accept connections in {timeout:.0f} s ({last[:200]})"}

    def convert(self, pipe: str, pid: int, src: str, dst: str) -> dict[str, Any]:
        for pipe_key in [k for k in self.desktops if k[0] != pipe or k[1] != pid]:
            del self.desktops[pipe_key]  # connections to LibreOffice processes that are gone or replaced
        for attempt in (1, 2):
            desktop = self.desktops.get((pipe, pid))
            fresh = desktop is None
            if fresh:
                try:
                    desktop = self.desktops[(pipe, pid)] = connect(pipe)
                except Exception as exc:
                    return {"ok": False, "error": f"cannot connect: {exc}"[:500]}
            try:
                convert(desktop, src, dst)
                return {"ok": True}
            except Exception as exc:
                self.desktops.pop((pipe, pid), None)
                if fresh or attempt == 2 or "disposed" not in str(exc).lower():
                    return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        return {"ok": False, "error": "unreachable"}

    def kill(self, pid: int) -> None:
        child = self.children.pop(pid, None)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        if child is not None:
            proc, pipe = child
            proc.wait()
            remove_pipe(pipe)

    def close(self, grace: float = 3.0) -> None:
        """Ask each LibreOffice this helper started to quit (it removes its pipe and profile lock), then kill."""
        for pid, (proc, pipe) in list(self.children.items()):
            desktop = self.desktops.get((pipe, pid))
            if desktop is not None and proc.poll() is None:
                with contextlib.suppress(Exception):
                    desktop.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=grace)
            self.kill(pid)


def serve() -> int:
    # Our answers go to a private copy of stdout; anything LibreOffice or uno print goes to stderr instead.
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    helper = Helper()

    def stop(signum: int, frame: FrameType | None) -> None:
        helper.close()
        os._exit(0)

    def reap(signum: int, frame: FrameType | None) -> None:
        for pid, (proc, pipe) in list(helper.children.items()):
            if proc.poll() is not None:
                helper.children.pop(pid, None)
                if all(other != pipe for _, other in helper.children.values()):  # not restarting under that name
                    remove_pipe(pipe)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    signal.signal(signal.SIGCHLD, reap)
    out.write(json.dumps({"ok": True, "ready": True}) + "\n")
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                op = req.get("op")
                if op == "start":
                    ans = helper.start(req["exe"], req["pipe"], req["profile"], float(req.get("timeout", 60)))
                elif op == "convert":
                    ans = helper.convert(req["pipe"], int(req["pid"]), req["src"], req["dst"])
                elif op == "ping":
                    ans = {"ok": True}
                else:
                    ans = {"ok": False, "error": f"unknown op {op!r}"}
            except Exception as exc:
                ans = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
            out.write(json.dumps(ans) + "\n")
    finally:
        helper.close()
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        return serve()
    if len(argv) == 4 and argv[0] == "convert":
        convert(connect(argv[1]), argv[2], argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
