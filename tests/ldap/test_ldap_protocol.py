"""ldap_directory.authenticate against the real slapd: users, groups, disabled users, wrong passwords, TLS, outages."""
from __future__ import annotations

import dataclasses

import pytest

from app.services import ldap_directory as ld
from tests.ldap import slapd as sl
from tests.ldap.conftest import config_for


def test_user_is_found_bound_and_gets_their_groups(ldap_cfg):
    outcome, user = ld.authenticate(ldap_cfg, "yamada", sl.password("yamada"))
    assert outcome == ld.OK
    assert user.dn == sl.user_dn("yamada") and user.display_name == "市民課 山田 太郎"
    assert {g.lower() for g in user.groups} == {sl.group_dn("spia-staff"), sl.group_dn("shimin-ka")}


def test_wrong_and_empty_passwords_are_refused(ldap_cfg):
    assert ld.authenticate(ldap_cfg, "yamada", "wrong-password-1") == (ld.BAD_PASSWORD, None)
    # an empty password would be an anonymous bind that "succeeds": never sent
    assert ld.authenticate(ldap_cfg, "yamada", "") == (ld.BAD_PASSWORD, None)


def test_unknown_and_disabled_users_are_not_found(ldap_cfg):
    assert ld.authenticate(ldap_cfg, "nobody", "Whatever-2025") == (ld.NO_USER, None)
    assert ld.authenticate(ldap_cfg, "tanaka", sl.password("tanaka")) == (ld.NO_USER, None)
    # filter metacharacters in the ID are escaped, not interpreted
    assert ld.authenticate(ldap_cfg, "*", "Whatever-2025") == (ld.NO_USER, None)
    assert ld.authenticate(ldap_cfg, "yama*", sl.password("yamada")) == (ld.NO_USER, None)


def test_anonymous_search_works_without_a_service_account(slapd):
    cfg = config_for(slapd, bind_dn="", bind_password="")
    assert ld.authenticate(cfg, "suzuki", sl.password("suzuki"))[0] == ld.OK


def test_a_wrong_service_password_is_reported_as_unavailable(slapd):
    with pytest.raises(ld.DirectoryUnavailable) as exc:
        ld.authenticate(config_for(slapd, bind_password="not-the-password"), "yamada", sl.password("yamada"))
    assert exc.value.message == ld.UNAVAILABLE and "service bind" in exc.value.detail


def test_directory_down_raises_unavailable_quickly(ldap_cfg):
    down = dataclasses.replace(ldap_cfg, url=f"ldap://127.0.0.1:{sl.free_port()}", timeout=2)
    with pytest.raises(ld.DirectoryUnavailable) as exc:
        ld.authenticate(down, "yamada", sl.password("yamada"))
    assert exc.value.message.startswith("ディレクトリサーバーに接続できません")


def test_starttls_with_the_right_ca(slapd):
    cfg = config_for(slapd, starttls=True, ca_file=slapd.ca_file)
    assert ld.authenticate(cfg, "yamada", sl.password("yamada"))[0] == ld.OK
    assert "StartTLS" in ld.check(cfg)


def test_ldaps_with_the_right_ca(slapd):
    cfg = config_for(slapd, url=slapd.ldaps_url, ca_file=slapd.ca_file)
    assert ld.authenticate(cfg, "suzuki", sl.password("suzuki"))[0] == ld.OK
    assert "LDAPS" in ld.check(cfg)


@pytest.mark.parametrize("mode", ["starttls", "ldaps"])
def test_a_wrong_ca_gives_a_clear_message(slapd, mode):
    kw = {"starttls": True} if mode == "starttls" else {"url": slapd.ldaps_url}
    with pytest.raises(ld.DirectoryUnavailable) as exc:
        ld.authenticate(config_for(slapd, ca_file=slapd.other_ca_file, **kw), "yamada", sl.password("yamada"))
    assert exc.value.message == ld.TLS_FAILED and "証明書を検証できません" in exc.value.message


def test_a_missing_ca_file_gives_the_tls_message(slapd, tmp_path):
    with pytest.raises(ld.DirectoryUnavailable) as exc:
        ld.authenticate(config_for(slapd, starttls=True, ca_file=str(tmp_path / "none.pem")), "yamada", "x-1234567890")
    assert exc.value.message == ld.TLS_FAILED and "CA file not found" in exc.value.detail


def test_check_reports_a_missing_user_base(slapd):
    with pytest.raises(ld.DirectoryUnavailable) as exc:
        ld.check(config_for(slapd, user_base=f"ou=nowhere,{sl.BASE}"))
    assert "SPIA_LDAP_USER_BASE" in exc.value.message
