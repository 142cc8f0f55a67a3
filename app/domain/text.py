"""Checks and clean-up for text typed by users (pure)."""
from __future__ import annotations

import re
import unicodedata

# C0/C1 control characters except TAB and LF, plus DEL; lone surrogates; non-characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_XML_BAD = _CONTROL

SHORT_MAX = 400
LONG_MAX = 20_000


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# What may not appear in a one-line name (a person's, a department's): it ends up in headers, ICS lines, logs, CSV.
_LINE_BREAKS = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]")


def text_problem(text: str, *, label: str, max_len: int = SHORT_MAX, required: bool = False,
                 single_line: bool = False) -> str | None:
    """Return a Japanese message when `text` cannot be stored as typed, else None.

    `single_line`: names (氏名, 部署名 …) also refuse line breaks and tabs.
    """
    if required and not text.strip():
        return f"{label}を入力してください。"
    if single_line and _LINE_BREAKS.search(text):
        return f"{label}に改行やタブは使用できません。1行で入力してください。"
    bad = _CONTROL.search(text)
    if bad:
        code = f"U+{ord(bad.group()):04X}"
        return f"{label}に使用できない制御文字({code})が含まれています。削除してから保存してください。"
    if len(text) > max_len:
        return f"{label}は{max_len:,}文字以内で入力してください(現在{len(text):,}文字)。"
    return None


def strip_unsafe(text: str) -> str:
    """For exports: drop characters that XML 1.0 cannot hold; keep everything else."""
    return _XML_BAD.sub("", normalise_newlines(text))


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)
