"""Rendered 評価書 kept by content (issue 18): the same content, edition and format give the same file without
rendering again — a published (frozen) version forever, a draft until its next save.

The key is a SHA-256 over everything the document is made of: the loaded bundle (answers, 非公表 marks, 変更箇所,
files, dates, organisation print settings, figures by their own hash), the edition and the format, the form
definitions on disk and the exporting code. Access is checked before the key is computed (the bundle is loaded
through the permission checks), so the cache never hands a document to someone who could not export it.

Files live under SPIA_EXPORT_CACHE_DIR (default data/export-cache), readable by the service account only, and
the oldest are removed when the directory grows past SPIA_EXPORT_CACHE_MB (0 turns the cache off). A cached
document keeps, in its file properties, the time it was first produced.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.export.assessment_doc import Bundle

SUFFIX = {"docx": ".docx", "pdf": ".pdf"}
VOLATILE = {"exported_at", "definition", "figures"}  # time of rendering; hashed apart (definition, figures)


@lru_cache(maxsize=1)
def _code_and_forms_digest(forms_dir: str) -> str:
    """The exporting code and the form definitions as they are on disk when the process started using them."""
    h = hashlib.sha256()
    export_dir = Path(__file__).resolve().parent.parent / "export"
    paths = sorted(export_dir.rglob("*.py")) + [Path(__file__)] + sorted(Path(forms_dir).rglob("*.yaml"))
    for path in paths:
        h.update(str(path.name).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def key(b: Bundle, edition: str, fmt: str, forms_dir: Path) -> str:
    d = b.definition
    content = {f.name: _plain(getattr(b, f.name)) for f in dataclasses.fields(b) if f.name not in VOLATILE}
    content.update(form=d.form, form_version=d.version, edition=edition, format=fmt,
                   figures=sorted(b.figures))  # a figure's key is the SHA-256 of its (re-encoded) image
    h = hashlib.sha256(_code_and_forms_digest(str(forms_dir)).encode())
    h.update(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    return h.hexdigest()


def get(directory: Path, k: str, fmt: str) -> bytes | None:
    path = directory / f"{k}{SUFFIX[fmt]}"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest when the directory is trimmed
    return data


def put(directory: Path, k: str, fmt: str, data: bytes, *, limit_mb: int) -> None:
    """Write atomically (a reader never sees half a file), mode 0600, then trim to the size limit."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, directory / f"{k}{SUFFIX[fmt]}")
    except OSError:
        return  # a cache that cannot be written only costs speed
    trim(directory, limit_mb * 1024 * 1024)


def trim(directory: Path, limit_bytes: int) -> None:
    entries = []
    for path in directory.iterdir():
        with contextlib.suppress(OSError):
            st = path.stat()
            entries.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries, key=lambda e: e[0]):
        if total <= limit_bytes:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            total -= size
