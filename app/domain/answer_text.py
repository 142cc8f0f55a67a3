"""Plain-text rendering of answers (conflict view, 変更箇所, exports of other documents). Pure.

Each answer type writes its own text (app/domain/answer_types.py); these are the entry points."""
from __future__ import annotations

from app.domain.answer_types import answer_text, figures_text, measures_text

__all__ = ["answer_text", "figures_text", "measures_text"]
