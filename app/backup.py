"""Consistent online backups and their restore: SQLite backup API; pg_dump / pg_restore for PostgreSQL."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class RestoreRefused(RuntimeError):
    """The target database already holds data (and --force was not given)."""


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
        dsn, env = _pg_dsn(parsed)
        result = subprocess.run([pg_dump, "--format=custom", "--no-owner", f"--file={out}", dsn],
                                capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise RuntimeError(f"pg_dump に失敗しました: {result.stderr.strip()}")
        return f"バックアップを作成しました: {out}(pg_dump custom 形式。復元は spia restore --from {out})"
    raise RuntimeError(f"{parsed.get_backend_name()} のバックアップには対応していません。")


def _pg_dsn(parsed) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password (which goes to PGPASSWORD, not onto the command line)."""
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def restore(url: str, path: Path, *, force: bool = False) -> str:
    """Restore a backup made by `backup()` into the database at `url`.

    The target must be empty (no table holds a row) unless `force`; then its content is replaced. SQLite: the
    backup file is checked (integrity) and copied in with the backup API. PostgreSQL: pg_restore in a single
    transaction (--clean --if-exists), so a failed restore leaves the target as it was. Stop the server first.
    """
    parsed = make_url(url)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"バックアップファイル {path} が見つかりません。")
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _restore_sqlite(parsed.database, path, force)
    if backend == "postgresql":
        return _restore_postgres(url, parsed, path, force)
    raise RuntimeError(f"{backend} への復元には対応していません。")


def _refuse(rows: int, where: str) -> None:
    raise RestoreRefused(f"復元先のデータベース({where})は空ではありません(データが {rows:,} 行あります)。"
                         "上書きする場合は --force を指定してください(現在の内容はすべて失われます)。")


def _sqlite_rows(conn: sqlite3.Connection) -> tuple[int, int]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' AND name <> 'alembic_version'")]
    return len(names), sum(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names)


def _restore_sqlite(target: str | None, path: Path, force: bool) -> str:
    if not target or target == ":memory:":
        raise RuntimeError("メモリ上のデータベースには復元できません。DATABASE_URL にファイルを指定してください。")
    try:
        src = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        check = src.execute("PRAGMA integrity_check").fetchone()[0]
        names = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise RuntimeError(f"{path} は SQLite のバックアップではありません({exc})。") from None
    try:
        if check != "ok":
            raise RuntimeError(f"バックアップファイルの整合性検査に失敗しました: {check}")
        if "auditlog" not in names:
            raise RuntimeError(f"{path} はこのシステムのバックアップではありません(監査ログの表がありません)。")
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            _, rows = _sqlite_rows(dst)
            if rows and not force:
                _refuse(rows, target)
            src.backup(dst)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            tables, rows = _sqlite_rows(dst)
        finally:
            dst.close()
    finally:
        src.close()
    if check != "ok":
        raise RuntimeError(f"復元したデータベースの整合性検査に失敗しました: {check}")
    return f"復元しました: {path} → {target}(SQLite、{tables}表・{rows:,}行、整合性検査 ok)"


def _pg_rows(url: str) -> tuple[int, int]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            names = [r[0] for r in conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' AND table_name <> 'alembic_version'"))]
            return len(names), sum(conn.execute(text(f'SELECT count(*) FROM public."{n}"')).scalar_one()
                                   for n in names)
    finally:
        engine.dispose()


def _restore_postgres(url: str, parsed, path: Path, force: bool) -> str:
    pg_restore = shutil.which("pg_restore")
    if not pg_restore:
        raise RuntimeError("pg_restore が見つかりません。PostgreSQL のクライアント(postgresql-client)を導入してください。")
    dsn, env = _pg_dsn(parsed)
    listing = subprocess.run([pg_restore, "--list", str(path)], capture_output=True, text=True, env=env)
    if listing.returncode != 0:
        raise RuntimeError(f"{path} は pg_dump(custom 形式)のバックアップではありません: {listing.stderr.strip()}")
    if "TABLE DATA public auditlog" not in listing.stdout:
        raise RuntimeError(f"{path} はこのシステムのバックアップではありません(監査ログの表がありません)。")
    _, rows = _pg_rows(url)
    if rows and not force:
        _refuse(rows, parsed.database or "")
    result = subprocess.run([pg_restore, "--no-owner", "--clean", "--if-exists", "--single-transaction",
                             "--exit-on-error", f"--dbname={dsn}", str(path)], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"pg_restore に失敗しました(復元先は変更していません): {result.stderr.strip()}")
    tables, rows = _pg_rows(url)
    return f"復元しました: {path} → {parsed.database}(PostgreSQL、{tables}表・{rows:,}行)"
