"""Consistent online backups: SQLite backup API; pg_dump for PostgreSQL."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


def backup(url: str, out: Path) -> str:
    parsed = make_url(url)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        src_path = parsed.database
        if not src_path or src_path == ":memory:":
            raise RuntimeError("メモリ上のデータベースはバックアップできません。")
        if not Path(src_path).exists():
            raise RuntimeError(f"データベースファイル {src_path} が見つかりません。")
        src = sqlite3.connect(src_path, timeout=30)
        dst = sqlite3.connect(str(out))
        try:
            src.backup(dst)  # online, consistent snapshot even while others write
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if check != "ok":
            raise RuntimeError(f"バックアップの整合性検査に失敗しました: {check}")
        return f"バックアップを作成しました: {out}(SQLite、整合性検査 ok)"
    if parsed.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if not pg_dump:
            raise RuntimeError("pg_dump が見つかりません。PostgreSQL のクライアント(postgresql-client)を導入してください。")
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        result = subprocess.run([pg_dump, "--format=custom", "--no-owner", f"--file={out}", dsn],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"pg_dump に失敗しました: {result.stderr.strip()}")
        return f"バックアップを作成しました: {out}(pg_dump custom 形式。復元は pg_restore -d <DB> {out})"
    raise RuntimeError(f"{parsed.get_backend_name()} のバックアップには対応していません。")
