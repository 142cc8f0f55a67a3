"""Who did something, as a person reads it: the user's display name (never the login ID) on every screen."""
from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.models import User

UNKNOWN = "-"


def display_names(session: Session, ids: Iterable[int | None] = (), logins: Iterable[str] = ()) -> Names:
    """One query for all the users a list names (by id, or by login for rows that only kept the login)."""
    id_set = {i for i in ids if i}
    login_set = {x for x in logins if x}
    rows: list[tuple[int | None, str, str]] = []
    if id_set or login_set:
        q = select(col(User.id), col(User.login_id), col(User.display_name))
        if id_set and login_set:
            q = q.where(col(User.id).in_(sorted(id_set)) | col(User.login_id).in_(sorted(login_set)))
        elif id_set:
            q = q.where(col(User.id).in_(sorted(id_set)))
        else:
            q = q.where(col(User.login_id).in_(sorted(login_set)))
        rows = list(session.exec(q).all())
    return Names({i: name for i, _, name in rows if i is not None}, {login: name for _, login, name in rows})


class Names:
    def __init__(self, by_id: dict[int, str], by_login: dict[str, str]):
        self.by_id, self.by_login = by_id, by_login

    def __call__(self, actor_id: int | None, login: str = "") -> str:
        if actor_id and actor_id in self.by_id:
            return self.by_id[actor_id]
        return self.by_login.get(login, UNKNOWN)
