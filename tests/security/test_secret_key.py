"""The cookie-signing key is never the published default (issue 11, item 10).

Without SPIA_SECRET_KEY a random key is generated on first start and kept in a 0600 file (data/secret_key, or
SPIA_SECRET_KEY_FILE) so that restarts keep sessions; the published default and short keys are refused outside
the test suite, so a flash or session cookie signed with the default from the source is never accepted.
"""
from __future__ import annotations

import os
import stat
import threading

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import DEV_SECRET, Settings
from app.main import build_asgi
from app.security import CookieSigner
from app.web import FLASH_COOKIE


@pytest.fixture
def no_env_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SPIA_SECRET_KEY", raising=False)
    monkeypatch.delenv("SPIA_ENVIRONMENT", raising=False)
    monkeypatch.setenv("SPIA_SECRET_KEY_FILE", str(tmp_path / "data" / "secret_key"))
    return tmp_path / "data" / "secret_key"


def _settings(**kw) -> Settings:
    return Settings(_env_file=None, database_url="sqlite://", **kw)


def test_first_start_generates_a_private_key_and_restarts_reuse_it(no_env_key):
    first = _settings()
    assert first.secret_key != DEV_SECRET and len(first.secret_key) >= 32
    assert no_env_key.read_text().strip() == first.secret_key
    assert stat.S_IMODE(os.stat(no_env_key).st_mode) == 0o600
    assert _settings().secret_key == first.secret_key  # a restart keeps the key (and everyone's session)


def test_workers_starting_together_agree_on_one_key(no_env_key):
    keys: list[str] = []
    barrier = threading.Barrier(10)

    def start() -> None:
        barrier.wait()
        keys.append(_settings().secret_key)

    threads = [threading.Thread(target=start) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys) == 10
    assert [p.name for p in no_env_key.parent.iterdir()] == ["secret_key"], "no temporary files left behind"


@pytest.mark.parametrize("environment", ["development", "production"])
@pytest.mark.parametrize("key", [DEV_SECRET, "short-key-123"])
def test_published_default_and_short_keys_are_refused(no_env_key, environment, key):
    with pytest.raises(ValidationError, match="SPIA_SECRET_KEY"):
        _settings(secret_key=key, environment=environment)


def test_a_flash_cookie_forged_with_the_published_default_is_ignored(no_env_key, demo_engine):
    settings = _settings()
    forged = CookieSigner(DEV_SECRET, "flash").sign("偽のお知らせ:このリンクからパスワードを再設定してください")
    with TestClient(build_asgi(settings, engine=demo_engine), base_url="http://testserver") as client:
        client.cookies.set(FLASH_COOKIE, forged)
        page = client.get("/login")
    assert page.status_code == 200
    assert "偽のお知らせ" not in page.text
