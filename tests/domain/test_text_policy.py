import pytest

from app.domain.policy import Actor, can_edit_department, can_manage_users, can_view_department, expand_departments
from app.domain.text import strip_unsafe, text_problem


@pytest.mark.parametrize(("text", "fragment"), [
    ("abc\x00def", "U+0000"), ("a\x07", "U+0007"), ("a\x1b[31m", "U+001B"), ("a\x7f", "U+007F"), ("\ud800", "U+D800"),
])
def test_control_characters_are_reported(text, fragment):
    assert fragment in text_problem(text, label="本文")


def test_newlines_and_tabs_are_fine_and_length_is_reported_not_truncated():
    assert text_problem("一行目\n二行目\tタブ", label="本文") is None
    message = text_problem("あ" * 401, label="名称", max_len=400)
    assert "400文字以内" in message and "401文字" in message
    assert text_problem(" ", label="名称", required=True) == "名称を入力してください。"


def test_strip_unsafe_keeps_emoji_and_old_kanji():
    assert strip_unsafe("髙﨑\x00😀\r\nx") == "髙﨑😀\nx"


@pytest.mark.parametrize(("role", "dept", "view"), [
    ("admin", 9, True), ("records", 9, True), ("staff", 1, True), ("staff", 9, False), ("council", 1, False),
])
def test_department_scope(role, dept, view):
    actor = Actor(user_id=1, login_id="u", role=role, department_ids=frozenset({1}))
    assert can_view_department(actor, dept) is view
    assert can_edit_department(actor, dept) is view


def test_only_admin_manages_users():
    assert [r for r in ("admin", "records", "staff", "council")
            if can_manage_users(Actor(1, "u", r))] == ["admin"]


def test_parent_department_sees_its_sections():
    parents = {1: None, 2: 1, 3: 1, 4: None, 5: 3}
    assert expand_departments({1}, parents) == {1, 2, 3, 5}
    assert expand_departments({3}, parents) == {3, 5}
