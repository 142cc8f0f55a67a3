"""Directory sign-in against a real slapd on loopback (tests/ldap/slapd.py); skipped when slapd is not installed,
failed then under SPIA_CI_REQUIRE_ALL=1 (.ci/run installs it)."""
from __future__ import annotations

import itertools

import pytest

from app.config import Settings
from app.services.ldap_directory import LdapConfig
from tests import dbutil
from tests.conftest import TEST_SECRET
from tests.ldap import slapd as sl

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    reason = sl.available()
    if reason:
        if dbutil.REQUIRE_ALL:
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)
    server = sl.Slapd(tmp_path_factory.mktemp("slapd")).start()
    yield server
    server.stop()


def config_for(server, **kw) -> LdapConfig:
    base = dict(url=server.url, user_base=sl.PEOPLE, user_filter=sl.DISABLED_FILTER, group_base=sl.GROUPS,
                bind_dn=sl.READER_DN, bind_password=sl.READER_PW, timeout=3)
    return LdapConfig(**{**base, **kw})


@pytest.fixture
def ldap_cfg(slapd) -> LdapConfig:
    return config_for(slapd)


@pytest.fixture
def settings(slapd) -> Settings:
    """The suite's settings with the directory switched on (service account, disabled users filtered out)."""
    return Settings(database_url=dbutil.TEST_DATABASE_URL or "sqlite://", secret_key=TEST_SECRET, environment="test",
                    ldap_url=slapd.url, ldap_user_base=sl.PEOPLE, ldap_user_filter=sl.DISABLED_FILTER,
                    ldap_group_base=sl.GROUPS, ldap_bind_dn=sl.READER_DN, ldap_bind_password=sl.READER_PW,
                    ldap_timeout_seconds=3)


@pytest.fixture
def dir_user(slapd):
    """Make a directory user for one test (in the given groups); removed again afterwards."""
    made: list[str] = []

    def make(groups: list[str], name: str = "試験 利用者") -> str:
        uid = f"temp{next(_counter)}"
        conn = slapd.admin()
        conn.add(sl.user_dn(uid), ["inetOrgPerson"], {"uid": uid, "cn": name, "sn": uid, "displayName": name,
                                                      "userPassword": sl.password(uid)})
        for g in groups:
            set_member(slapd, g, uid, True)
        conn.unbind()
        made.append(uid)
        return uid

    yield make
    conn = slapd.admin()
    for uid in made:
        for g in sl.GROUP_NAMES:
            set_member(slapd, g, uid, False)
        conn.delete(sl.user_dn(uid))
    conn.unbind()


def set_member(server, group: str, uid: str, present: bool) -> None:
    from ldap3 import MODIFY_ADD, MODIFY_DELETE
    from ldap3.core.exceptions import LDAPAttributeOrValueExistsResult, LDAPNoSuchAttributeResult

    conn = server.admin()
    try:
        conn.modify(sl.group_dn(group), {"member": [(MODIFY_ADD if present else MODIFY_DELETE, [sl.user_dn(uid)])]})
    except (LDAPAttributeOrValueExistsResult, LDAPNoSuchAttributeResult):
        pass
    finally:
        conn.unbind()
