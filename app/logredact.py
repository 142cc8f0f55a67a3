"""Keep secrets that travel in URLs out of the logs.

The calendar feed's token is part of its URL (calendar programs cannot send headers), so uvicorn's access log
would write it to disk on every refresh. This filter rewrites `/calendar/<token>.ics` to `/calendar/***.ics`
in every record it sees; `spia serve` installs it on uvicorn's handlers (see `log_config`).
"""
from __future__ import annotations

import copy
import logging
import re

_SECRET_PATHS = re.compile(r"(/calendar/)[^/?#\s\"]+(\.ics)")
REDACTED = r"\1***\2"


def redact(text: str) -> str:
    return _SECRET_PATHS.sub(REDACTED, text)


class RedactSecrets(logging.Filter):
    """Rewrites the message and its arguments (uvicorn passes the request path as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def log_config() -> dict:
    """uvicorn's own logging configuration with the filter on both of its handlers (applied in every worker)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": "app.logredact.RedactSecrets"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_secrets")
    return config
