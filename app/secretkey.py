"""The cookie-signing key: from SPIA_SECRET_KEY, else generated once and kept in a 0600 file under ./data.

The published development default (and any short key) is refused outside the test suite: a server that signed
cookies with it would accept session and flash cookies forged by anyone who has read the source.
"""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

PUBLISHED_DEFAULTS = frozenset({"dev-insecure-secret-change-me"})
MIN_LENGTH = 32
log = logging.getLogger("spia")


def key_problem(key: str) -> str | None:
    """Japanese reason a key cannot sign cookies, else None."""
    if key in PUBLISHED_DEFAULTS:
        return "SPIA_SECRET_KEY に公開されている既定値が設定されています。32文字以上の独自の値を設定してください。"
    if len(key) < MIN_LENGTH:
        return f"SPIA_SECRET_KEY は{MIN_LENGTH}文字以上にしてください(現在{len(key)}文字)。"
    return None


def load_or_create(path: Path) -> str:
    """The key kept in `path`, created (random, mode 0600, written atomically) on first use.

    Several worker processes may start at once: the key is written to a private temporary file and linked into
    place, so exactly one key wins and every process reads that one.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
            log.warning("SPIA_SECRET_KEY が未設定のため、署名用の鍵を生成して %s に保存しました。", path)
        except FileExistsError:
            pass  # another process was first: use its key
    finally:
        tmp.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning("鍵ファイル %s は所有者以外も読めます。chmod 600 にしてください。", path)
    problem = key_problem(key)
    if problem:
        raise ValueError(f"鍵ファイル {path} の内容が使えません: {problem}")
    return key
