"""Settings from the environment (SPIA_<NAME>, and DATABASE_URL; documented in README) and an optional `.env`."""
from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-insecure-secret-change-me"
log = logging.getLogger("spia")


ENV_PREFIX = "SPIA_"
ENV_FILE = ".env"
UNPREFIXED = {"database_url": "DATABASE_URL"}


def read_env_file(path: str | Path | None) -> dict[str, str]:
    """KEY=VALUE lines of a dotenv file (comments, blank lines, `export ` and surrounding quotes allowed)."""
    if not path or not Path(path).is_file():
        return {}
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip().upper()] = value
    return out


def from_environment(fields, env_file: str | Path | None = ENV_FILE) -> dict[str, str]:
    """The settings given in the environment (names case-insensitive); the environment wins over the file.
    (A few lines instead of pydantic-settings, whose import cost every `spia` command ~60 ms.)"""
    env = read_env_file(env_file) | {k.upper(): v for k, v in os.environ.items()}
    names = {name: UNPREFIXED.get(name, ENV_PREFIX + name.upper()) for name in fields}
    return {name: env[key] for name, key in names.items() if key in env}


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def __init__(self, _env_file: str | Path | None = ENV_FILE, **given: Any) -> None:
        """Keyword arguments win over the environment, which wins over `.env` (as pydantic-settings did)."""
        super().__init__(**(from_environment(type(self).model_fields, _env_file) | given))

    database_url: str = f"sqlite:///{ROOT / 'data' / 'spia.db'}"
    secret_key: str = ""  # unset: generated once and kept in secret_key_file (app/secretkey.py)
    secret_key_file: Path = ROOT / "data" / "secret_key"
    environment: str = "development"  # development | production | test
    cookie_secure: bool = False
    session_hours: int = 10
    max_upload_bytes: int = 10 * 1024 * 1024
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    forms_dir: Path = ROOT / "assessments"
    soffice_path: str = "soffice"
    pdf_concurrency: int = 1  # LibreOffice conversions at once, across all worker processes
    pdf_queue: int = 2  # further requests that may wait for a slot; beyond that 503
    pdf_wait_seconds: float = 60
    pdf_timeout_seconds: float = 120
    pdf_slot_dir: Path = ROOT / "data" / "pdf-slots"
    keepalive_max_requests: int = 20  # responses per keep-alive connection (0: no limit); spreads load over workers
    export_cache_dir: Path = ROOT / "data" / "export-cache"  # rendered 評価書 by content (app/services/export_cache.py)
    export_cache_mb: int = 500
    render_processes: int = 1  # per server worker: processes that render Word documents off the request path  # the cache directory is trimmed to this size; 0 turns the cache off
    pdf_warm: bool = True  # keep one LibreOffice running per slot and convert over UNO (cold start as fallback)
    # reminder mails (`spia remind`) through the city's SMTP server; no host: mails are not sent
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""  # AUTH only when set
    smtp_password: str = ""
    smtp_from: str = ""  # e.g. 特定個人情報保護評価 <spia-noreply@city.example.lg.jp>
    smtp_timeout_seconds: float = 30
    smtp_ca_file: str = ""  # CA certificates for STARTTLS (an internal CA); empty: the system's
    # Directory sign-in (LDAP / Active Directory, README ディレクトリ連携); an empty URL turns it off.
    ldap_url: str = ""  # ldap://host:389 or ldaps://host:636
    ldap_bind_dn: str = ""  # service account that looks users up; empty: anonymous search
    ldap_bind_password: str = ""
    ldap_user_base: str = ""
    ldap_user_filter: str = "(&(objectClass=inetOrgPerson)(uid={login}))"  # {login}: the escaped sign-in ID
    ldap_name_attribute: str = "displayName"  # shown name (cn when absent)
    ldap_group_base: str = ""  # empty: ldap_user_base
    ldap_group_filter: str = "(&(objectClass=groupOfNames)(member={user_dn}))"  # {user_dn}: the escaped user DN
    ldap_starttls: bool = False
    ldap_ca_file: str = ""  # PEM file of the CA that signed the directory's certificate (LDAPS / StartTLS)
    ldap_timeout_seconds: float = 5

    @model_validator(mode="after")
    def _resolve_secret(self) -> Settings:
        """Refuse the published default and short keys (except in the test suite); generate one when unset."""
        from app import secretkey

        if self.environment == "test":
            self.secret_key = self.secret_key or DEV_SECRET
            return self
        if not self.secret_key:
            self.secret_key = secretkey.load_or_create(self.secret_key_file)
        problem = secretkey.key_problem(self.secret_key)
        if problem:
            raise ValueError(problem)
        return self

    def masked(self) -> dict[str, str]:
        url = self.database_url
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            creds, host = rest.rsplit("@", 1)
            user = creds.split(":", 1)[0]
            url = f"{scheme}://{user}:***@{host}"
        return {"database_url": url, "environment": self.environment, "secret_key": "***",
                "smtp_host": self.smtp_host, "smtp_password": "***" if self.smtp_password else "",
                "ldap_url": self.ldap_url, "ldap_bind_password": "***" if self.ldap_bind_password else ""}


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    log.info("settings: %s", settings.masked())
    return settings
