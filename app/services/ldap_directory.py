"""The directory protocol (LDAP / Active Directory through ldap3): find a user, bind as them, list their groups.

Nothing here touches the database. `authenticate` answers one of three ways — the user and their groups, "no such
user" (also: disabled, since the user filter leaves disabled accounts out) or "wrong password" — or raises
DirectoryUnavailable when the directory cannot be reached or trusted (connection refused, timeout, TLS).
"""
from __future__ import annotations

import logging
import math
import os
import ssl
from dataclasses import dataclass
from typing import Any

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from app.config import Settings
from app.errors import DomainError

log = logging.getLogger("spia.ldap")

UNAVAILABLE = "ディレクトリサーバーに接続できません。しばらくしてから再度お試しください。続く場合は管理者に連絡してください。"
TLS_FAILED = ("ディレクトリサーバーとの暗号化通信を確立できません(サーバー証明書を検証できません)。"
              "管理者に連絡してください。")
NOT_CONFIGURED = "ディレクトリ連携が設定されていないため、この利用者はログインできません。管理者に連絡してください。"

NO_USER, BAD_PASSWORD, OK = "no_user", "bad_password", "ok"


class DirectoryUnavailable(DomainError):
    """The directory could not be reached or trusted; `detail` (English, technical) goes to the audit note."""

    status = 503

    def __init__(self, message: str = UNAVAILABLE, *, detail: str = ""):
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class LdapConfig:
    url: str
    user_base: str
    user_filter: str = "(&(objectClass=inetOrgPerson)(uid={login}))"
    group_base: str = ""
    group_filter: str = "(&(objectClass=groupOfNames)(member={user_dn}))"
    bind_dn: str = ""
    bind_password: str = ""
    name_attribute: str = "displayName"
    starttls: bool = False
    ca_file: str = ""
    timeout: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LdapConfig | None:
        if not settings.ldap_url:
            return None
        return cls(url=settings.ldap_url, user_base=settings.ldap_user_base, user_filter=settings.ldap_user_filter,
                   group_base=settings.ldap_group_base or settings.ldap_user_base,
                   group_filter=settings.ldap_group_filter, bind_dn=settings.ldap_bind_dn,
                   bind_password=settings.ldap_bind_password, name_attribute=settings.ldap_name_attribute,
                   starttls=settings.ldap_starttls, ca_file=settings.ldap_ca_file,
                   timeout=settings.ldap_timeout_seconds)

    @property
    def uses_tls(self) -> bool:
        return self.url.lower().startswith("ldaps://") or self.starttls

    def tls_mode(self) -> str:
        if self.url.lower().startswith("ldaps://"):
            return "LDAPS"
        return "StartTLS" if self.starttls else "なし(平文)"


@dataclass(frozen=True)
class DirectoryUser:
    dn: str
    login_id: str
    display_name: str
    groups: tuple[str, ...]


def _server(cfg: LdapConfig) -> Server:
    tls = None
    if cfg.uses_tls:
        if cfg.ca_file and not os.path.isfile(cfg.ca_file):
            raise DirectoryUnavailable(TLS_FAILED, detail=f"CA file not found: {cfg.ca_file}")
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=cfg.ca_file or None)
    return Server(cfg.url, connect_timeout=cfg.timeout, tls=tls, get_info=NONE)


def _open(cfg: LdapConfig, user: str | None, password: str | None) -> tuple[Connection, bool]:
    """An open (and, with StartTLS, encrypted) connection and whether the bind succeeded."""
    try:
        conn = Connection(_server(cfg), user=user, password=password, receive_timeout=max(1, math.ceil(cfg.timeout)),
                          raise_exceptions=False, read_only=True, auto_referrals=False)
        conn.open()
        if cfg.starttls and not cfg.url.lower().startswith("ldaps://"):
            conn.start_tls()
        return conn, bool(conn.bind())
    except DirectoryUnavailable:
        raise
    except (LDAPException, OSError) as exc:
        text = f"{type(exc).__name__}: {exc}"
        tls_problem = cfg.uses_tls and any(k in text.lower() for k in ("ssl", "tls", "certificate", "handshake"))
        raise DirectoryUnavailable(TLS_FAILED if tls_problem else UNAVAILABLE, detail=text[:300]) from exc


def _search(conn: Connection, base: str, flt: str, attributes: list[str], *, scope: str = SUBTREE,
            limit: int = 0) -> list[dict[str, Any]]:
    try:
        ok = conn.search(base, flt, search_scope=scope, attributes=attributes, size_limit=limit)
    except (LDAPException, OSError) as exc:
        raise DirectoryUnavailable(detail=f"search failed: {type(exc).__name__}: {exc}"[:300]) from exc
    result = conn.result.get("result", 0)
    if not ok and result not in (0, 4, 32):  # 4 sizeLimitExceeded, 32 noSuchObject: answers, not outages
        raise DirectoryUnavailable(detail=f"search {base!r}: {conn.result.get('description')} "
                                          f"{conn.result.get('message', '')}"[:300])
    return [e for e in conn.response or [] if e.get("type") == "searchResEntry"]


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value or "")


def authenticate(cfg: LdapConfig, login_id: str, password: str) -> tuple[str, DirectoryUser | None]:
    """(OK, user) | (NO_USER, None) | (BAD_PASSWORD, None); raises DirectoryUnavailable.

    The user is looked up with the service account (or anonymously), then the directory checks the password by a
    bind as that user. An empty password is refused here: LDAP treats it as an anonymous bind that "succeeds".
    """
    if not password or not login_id:
        return BAD_PASSWORD, None
    service, bound = _open(cfg, cfg.bind_dn or None, cfg.bind_password or None)
    try:
        if not bound:
            raise DirectoryUnavailable(detail=f"service bind refused: {service.result.get('description')}")
        flt = cfg.user_filter.replace("{login}", escape_filter_chars(login_id))
        entries = _search(service, cfg.user_base, flt, [cfg.name_attribute, "cn"], limit=2)
    finally:
        service.unbind()
    if len(entries) != 1:
        if len(entries) > 1:
            log.warning("directory: %d entries match %r; refusing", len(entries), login_id)
        return NO_USER, None
    entry = entries[0]
    dn, attrs = entry["dn"], entry.get("attributes", {})
    name = _first(attrs.get(cfg.name_attribute)) or _first(attrs.get("cn")) or login_id
    conn, bound = _open(cfg, dn, password)
    try:
        if not bound:
            if conn.result.get("result") == 49:  # invalidCredentials
                return BAD_PASSWORD, None
            raise DirectoryUnavailable(detail=f"user bind: {conn.result.get('description')}")
        flt = cfg.group_filter.replace("{user_dn}", escape_filter_chars(dn)).replace(
            "{login}", escape_filter_chars(login_id))
        groups = tuple(e["dn"] for e in _search(conn, cfg.group_base, flt, ["1.1"]))
    finally:
        conn.unbind()
    return OK, DirectoryUser(dn=dn, login_id=login_id, display_name=name[:100], groups=groups)


def check(cfg: LdapConfig) -> str:
    """Connection test for the administrator: bind with the service account and read the user base."""
    conn, bound = _open(cfg, cfg.bind_dn or None, cfg.bind_password or None)
    try:
        if not bound:
            raise DirectoryUnavailable("サービスアカウントでディレクトリにバインドできません(SPIA_LDAP_BIND_DN と"
                                       "パスワードを確認してください)。",
                                       detail=str(conn.result.get("description")))
        if not _search(conn, cfg.user_base, "(objectClass=*)", ["1.1"], scope=BASE):
            raise DirectoryUnavailable(f"利用者の検索の起点(SPIA_LDAP_USER_BASE)「{cfg.user_base}」が見つかりません。",
                                       detail="user base not found")
    finally:
        conn.unbind()
    return f"ディレクトリサーバーに接続できました(暗号化: {cfg.tls_mode()})。"
