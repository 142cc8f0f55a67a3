"""A urlencoded form body parsed as Starlette's FormParser parses it, a few times faster (issue 18).

Every autosave posts the whole editor page (tens of kilobytes of percent-encoded Japanese); Starlette decodes
each %XX in a Python loop (urllib.parse.unquote_to_bytes). Here each run of %XX is decoded in one C call. The
result is the same as Starlette's for any body (tests/test_formbody.py): fields split on "&", empty ones skipped,
the name and the value split on the first "=", "+" read as a space, %XX as UTF-8 (invalid bytes replaced,
invalid escapes kept), bytes outside ASCII as Latin-1, and the same 400 answers for too many or too large fields.
"""
from __future__ import annotations

import binascii
import re
from urllib.parse import unquote_plus

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

_RUN = re.compile(rb"(?:%[0-9A-Fa-f]{2})+")
MAX_PART_SIZE = 1024 * 1024  # Starlette's default for a field (name and value)


def _hex_run(m: re.Match[bytes]) -> bytes:
    return binascii.unhexlify(m.group().replace(b"%", b""))


def unquote_field(raw: bytes) -> str:
    """unquote_plus(raw.decode("latin-1")), as Starlette decodes a field."""
    if b"%" not in raw:
        return raw.replace(b"+", b" ").decode("latin-1")
    if not raw.isascii():  # raw bytes beside escapes: not what a browser sends; the standard (slow) path
        return unquote_plus(raw.decode("latin-1"))
    return _RUN.sub(_hex_run, raw.replace(b"+", b" ")).decode("utf-8", "replace")


def parse(body: bytes, *, max_fields: int | float) -> FormData:
    items: list[tuple[str, str | UploadFile]] = []
    for part in body.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        if len(name) + len(value) > MAX_PART_SIZE:
            raise HTTPException(status_code=400,
                                detail=f"Field exceeded maximum size of {int(MAX_PART_SIZE / 1024)}KB.")
        if len(items) >= max_fields:
            raise HTTPException(status_code=400, detail=f"Too many fields. Maximum number of fields is {max_fields}.")
        items.append((unquote_field(name), unquote_field(value)))
    return FormData(items)
