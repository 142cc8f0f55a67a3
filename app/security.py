"""Password hashing (argon2 via pwdlib), random tokens and cookie signing."""
from __future__ import annotations

import hashlib
import secrets
from functools import cache

from itsdangerous import BadSignature, URLSafeSerializer
from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    """Hashed on first use, not at import (~90 ms that every CLI command paid)."""
    return _hasher.hash("dummy-password-for-timing")


PASSWORD_MIN = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _hasher.verify(password, _dummy_hash())  # same cost whether or not the user exists
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:
        return False


def password_problem(password: str, *, login_id: str = "") -> str | None:
    """Japanese message when a new password does not meet the policy."""
    if len(password) < PASSWORD_MIN:
        return f"パスワードは{PASSWORD_MIN}文字以上にしてください。"
    if len(password) > 200:
        return "パスワードは200文字以内にしてください。"
    if login_id and login_id.lower() in password.lower():
        return "パスワードにログインIDを含めないでください。"
    kinds = sum(bool(any(f(c) for c in password)) for f in (str.isdigit, str.isalpha))
    if kinds < 2:
        return "パスワードには英字と数字を両方含めてください。"
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CookieSigner:
    def __init__(self, secret: str, salt: str):
        self._s = URLSafeSerializer(secret, salt=salt)

    def sign(self, value: object) -> str:
        return self._s.dumps(value)

    def unsign(self, raw: str | None) -> object | None:
        if not raw:
            return None
        try:
            return self._s.loads(raw)
        except BadSignature:
            return None
