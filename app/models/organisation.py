"""Organisation (評価実施機関), departments, users, sessions and API tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_ts, ts


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)  # 評価実施機関名, e.g. みなと市長
    kind: str = Field(default="local", max_length=20)  # local | national
    municipality: str = Field(default="", max_length=100)  # e.g. みなと市 (used in 宣言, 市の考え方)
    representative: str = Field(default="", max_length=200)  # 代表者
    draft_marker: str = Field(default="name", max_length=10)  # 案の表示: name 評価書名に「(案)」 | above 表題の上に「(素案)」
    measure_headings: bool = Field(default=True)  # 対象別の見出しを印字する (【市民・事業者…】【職員…】【システム…】)
    measure_numbering: str = Field(default="dot", max_length=10)  # 措置の番号付け: dot 「・」 | number 「1.」
    created_at: datetime = created_ts()
    lock_version: int = Field(default=1)


class Department(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="department.id")
    name: str = Field(max_length=200)
    active: bool = Field(default=True)  # False: retired — hidden from pickers, still named on old records
    lock_version: int = Field(default=1)


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    login_id: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    email: str = Field(default="", max_length=254)  # reminder mails (`spia remind`); "" = none
    password_hash: str = Field(max_length=255)  # "" for a directory account: it never signs in locally
    auth_source: str = Field(default="local", max_length=10)  # local | ldap (README ディレクトリ連携)
    role: str = Field(max_length=20)  # admin | records | staff | council
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = ts(default=None, nullable=True)
    created_at: datetime = created_ts()
    password_changed_at: datetime | None = ts(default=None, nullable=True)
    lock_version: int = Field(default=1)


class DirectoryGroup(SQLModel, table=True):
    """A directory group (its DN) mapped to a role and/or a department; edited by an administrator."""

    __table_args__ = (UniqueConstraint("organisation_id", "group_dn"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    group_dn: str = Field(max_length=500)
    role: str = Field(default="", max_length=20)  # "" : grants no role (department only)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    created_at: datetime = created_ts()


class UserDepartment(SQLModel, table=True):
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)


class LoginSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a signed random token; only its hash is stored."""

    id: str = Field(primary_key=True, max_length=64)  # sha256 hex of the token
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = created_ts()
    expires_at: datetime = ts(nullable=False)
    revoked_at: datetime | None = ts(default=None, nullable=True)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(default="api", max_length=20)  # api | calendar
    created_at: datetime = created_ts()
    last_used_at: datetime | None = ts(default=None, nullable=True)
    revoked_at: datetime | None = ts(default=None, nullable=True)
