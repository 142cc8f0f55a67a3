"""Issue 18: a rendered 評価書 is kept by content hash. The same content, edition and format are served without
rendering; any change to what the document is made of (an answer, a 非公表 mark, the edition, the format, an
organisation print setting) renders anew; access is checked before the cache is looked at; files are private,
the directory is trimmed to its size limit, and 0 MB turns the cache off."""
from __future__ import annotations

import os
import shutil
import stat
import time

import pytest
from sqlmodel import select

from app.config import get_settings
from app.errors import Forbidden, NotFound
from app.models import Answer, Organisation, User
from app.services import auth, export_cache, exports, render_pool
from tests.export.helpers import all_text
from tests.export.test_layout import TODAY, demo_version


@pytest.fixture(autouse=True)
def empty_cache(db):
    """Start empty: loading the demo (for the first test that needs it) takes its snapshots through the cache."""
    shutil.rmtree(get_settings().export_cache_dir, ignore_errors=True)


class Renders:
    """Counts the renderings (the real renderer still runs)."""

    def __init__(self, monkeypatch):
        self.count = 0
        for kind, real in list(render_pool.RENDERERS.items()):  # Word, and ODF for the PDF
            monkeypatch.setitem(render_pool.RENDERERS, kind, self.counting(real))

    def counting(self, real):
        def counting(model):
            self.count += 1
            return real(model)
        return counting


def export(db, actor, v, edition="full", fmt="docx") -> bytes:
    return exports.export(db, actor=actor, version_id=v.id, edition=edition, fmt=fmt, today=TODAY).content


def cache_files() -> list[str]:
    d = get_settings().export_cache_dir
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_the_same_content_is_served_from_the_cache_byte_for_byte(db, system, monkeypatch):
    renders = Renders(monkeypatch)
    v = demo_version(db, "full")
    first = export(db, system, v)
    second = export(db, system, v)
    assert renders.count == 1
    assert second == first  # file properties included: the time it was first produced
    assert len(cache_files()) == 1 and cache_files()[0].endswith(".docx")


def test_an_edited_answer_renders_anew_with_the_new_words(db, system, monkeypatch):
    renders = Renders(monkeypatch)
    v = demo_version(db, "basic")
    before = export(db, system, v)
    row = db.exec(select(Answer).where(Answer.version_id == v.id, Answer.item_id == "I.1.2")).one()
    row.value = "キャッシュ確認用に書き換えた事務の内容"
    db.add(row)
    db.commit()
    after = export(db, system, v)
    assert renders.count == 2
    assert "キャッシュ確認用に書き換えた事務の内容" in all_text(after)
    assert "キャッシュ確認用に書き換えた事務の内容" not in all_text(before)


def test_withholding_an_answer_changes_the_public_edition(db, system, monkeypatch):
    v = demo_version(db, "basic")
    row = db.exec(select(Answer).where(Answer.version_id == v.id, Answer.item_id == "I.1.2")).one()
    text = str(row.value).splitlines()[0]
    assert text in all_text(export(db, system, v, "public"))
    row.withheld, row.withheld_reason = True, "検証のため"
    db.add(row)
    db.commit()
    assert text not in all_text(export(db, system, v, "public"))


def test_editions_and_print_settings_are_kept_apart(db, system, monkeypatch):
    renders = Renders(monkeypatch)
    v = demo_version(db, "focused")
    full, public, draft = (export(db, system, v, e) for e in ("full", "public", "draft"))
    assert renders.count == 3 and len({full, public, draft}) == 3
    org = db.exec(select(Organisation)).first()
    org.measure_headings = not org.measure_headings
    db.add(org)
    db.commit()
    export(db, system, v, "full")
    assert renders.count == 4  # the organisation's print setting is part of the content


def test_access_is_checked_before_the_cache(db, system):
    v = demo_version(db, "full")  # 市民課's 評価書, now cached
    export(db, system, v)
    other = db.exec(select(User).where(User.login_id == "kodomo")).one()  # こども家庭課
    with pytest.raises((Forbidden, NotFound)):
        export(db, auth.actor_for(db, other), v)


def test_cached_files_are_private_and_the_directory_is_trimmed(db, system, monkeypatch):
    v = demo_version(db, "basic")
    export(db, system, v, "full")
    directory = get_settings().export_cache_dir
    (path,) = directory.iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) & 0o077 == 0
    for i, age in enumerate((300, 200, 100)):  # three old files of 1 MB, the oldest first to go
        old = directory / f"{i:064x}.docx"
        old.write_bytes(b"x" * 1024 * 1024)
        os.utime(old, (time.time() - age, time.time() - age))
    export_cache.trim(directory, 2 * 1024 * 1024 + path.stat().st_size)
    assert sorted(p.name for p in directory.iterdir()) == sorted([path.name, f"{1:064x}.docx", f"{2:064x}.docx"])


def test_zero_megabytes_turns_the_cache_off(db, system, monkeypatch):
    monkeypatch.setenv("SPIA_EXPORT_CACHE_MB", "0")
    get_settings.cache_clear()
    renders = Renders(monkeypatch)
    v = demo_version(db, "basic")
    assert export(db, system, v) and export(db, system, v)
    assert renders.count == 2 and cache_files() == []
