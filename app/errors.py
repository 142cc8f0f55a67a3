"""Domain errors raised by services; routes and the CLI translate them (404/403/409/422/423)."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "指定されたデータが見つかりません。"):
        super().__init__(message)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "この操作を行う権限がありません。"):
        super().__init__(message)


class ValidationFailed(DomainError):
    """Bad input: `errors` maps a field name to a Japanese message. Nothing was written."""

    status = 422

    def __init__(self, errors: dict[str, str], message: str = "入力内容に誤りがあります。"):
        super().__init__(message)
        self.errors = errors


class Conflict(DomainError):
    """A stale save or a refused transition: nothing was written."""

    status = 409

    def __init__(self, message: str, *, current: Any = None):
        super().__init__(message)
        self.current = current


class AccountLocked(DomainError):
    status = 423


class LoginFailed(DomainError):
    status = 401
