"""Paging arithmetic for the long lists (pure): which rows a page shows and how it is described.

A page number comes from the query string as text; anything that is not a positive whole number means the first
page, and a number past the last page means the last page (a list that shrank since the link was made).
"""
from __future__ import annotations

from dataclasses import dataclass

PER_PAGE = 50


def page_number(raw: str | None) -> int:
    """The page asked for: 1 for a missing, malformed, zero or negative value (never an error)."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return 1
    return max(int(text), 1)


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, within 1..pages
    total: int   # rows in the whole list
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def limit(self) -> int:
        return self.per_page

    @property
    def first(self) -> int:
        """1-based index of the first row shown (0 when the list is empty)."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.per_page, self.total)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def label(self) -> str:
        """「1–50件 / 3,000件」 (「0件」 for an empty list)."""
        if not self.total:
            return "0件"
        return f"{self.first:,}–{self.last:,}件 / {self.total:,}件"


def paginate(raw: str | None, total: int, per_page: int = PER_PAGE) -> Page:
    """The page for the query-string value `raw` of a list of `total` rows (clamped to the last page)."""
    if per_page < 1:
        raise ValueError("per_page must be positive")
    pages = max(1, -(-total // per_page))
    return Page(min(page_number(raw), pages), total, per_page)
