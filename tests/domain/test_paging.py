"""Paging arithmetic (app/domain/paging.py)."""
from __future__ import annotations

import pytest

from app.domain.paging import Page, page_number, paginate


@pytest.mark.parametrize(("raw", "expected"), [
    (None, 1), ("", 1), ("1", 1), ("2", 2), (" 3 ", 3), ("0", 1), ("-1", 1), ("abc", 1), ("1.5", 1), ("２", 1),
    ("1e3", 1), ("99999999999999999999", 1), ("60", 60),
])
def test_page_number(raw, expected):
    assert page_number(raw) == expected


@pytest.mark.parametrize(("raw", "total", "number", "offset", "first", "last", "pages", "prev", "next_", "label"), [
    ("1", 3000, 1, 0, 1, 50, 60, False, True, "1–50件 / 3,000件"),
    ("2", 3000, 2, 50, 51, 100, 60, True, True, "51–100件 / 3,000件"),
    ("60", 3000, 60, 2950, 2951, 3000, 60, True, False, "2,951–3,000件 / 3,000件"),
    ("61", 3000, 60, 2950, 2951, 3000, 60, True, False, "2,951–3,000件 / 3,000件"),  # past the end: the last page
    ("x", 3000, 1, 0, 1, 50, 60, False, True, "1–50件 / 3,000件"),
    ("1", 0, 1, 0, 0, 0, 1, False, False, "0件"),
    ("5", 0, 1, 0, 0, 0, 1, False, False, "0件"),
    ("1", 50, 1, 0, 1, 50, 1, False, False, "1–50件 / 50件"),
    ("2", 51, 2, 50, 51, 51, 2, True, False, "51–51件 / 51件"),
    ("1", 7, 1, 0, 1, 7, 1, False, False, "1–7件 / 7件"),
])
def test_paginate(raw, total, number, offset, first, last, pages, prev, next_, label):
    p = paginate(raw, total)
    assert (p.number, p.offset, p.limit, p.first, p.last, p.pages) == (number, offset, 50, first, last, pages)
    assert (p.has_previous, p.has_next, p.label) == (prev, next_, label)


def test_other_page_size():
    p = paginate("3", 25, per_page=10)
    assert (p.offset, p.limit, p.first, p.last, p.pages, p.has_next) == (20, 10, 21, 25, 3, False)
    assert Page(1, 10, per_page=10).pages == 1
    with pytest.raises(ValueError, match="per_page"):
        paginate("1", 10, per_page=0)
