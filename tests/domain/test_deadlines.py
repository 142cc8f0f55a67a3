"""The statutory clock (app/domain/deadlines.py): table tests at every boundary."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain import deadlines as dl


@pytest.mark.parametrize(("published", "review", "expected"), [
    (None, None, None),
    (date(2021, 3, 15), None, date(2022, 3, 15)),
    (date(2021, 3, 15), date(2022, 3, 1), date(2023, 3, 1)),     # a later review restarts the year
    (date(2023, 6, 1), date(2022, 3, 1), date(2024, 6, 1)),      # a later publication restarts it too
    (date(2024, 2, 29), None, date(2025, 2, 28)),                # leap day → 28 February
    (None, date(2025, 1, 10), date(2026, 1, 10)),
    (date(2025, 12, 31), None, date(2026, 12, 31)),
])
def test_review_due(published, review, expected):
    assert dl.review_due(published, review) == expected


@pytest.mark.parametrize(("published", "expected"), [
    (None, None),
    (date(2021, 3, 15), date(2026, 3, 15)),   # 初日不算入: 5 years pass at the end of the anniversary
    (date(2020, 2, 29), date(2025, 2, 28)),   # no 29 February: the period ends on the last day of February
    (date(2024, 1, 1), date(2029, 1, 1)),
    (date(2019, 5, 1), date(2024, 5, 1)),     # 令和元年 → 令和6年
])
def test_reassessment_due(published, expected):
    assert dl.reassessment_due(published) == expected


@pytest.mark.parametrize(("ended", "expected"), [
    (None, None), (date(2026, 10, 31), date(2029, 10, 31)), (date(2028, 2, 29), date(2031, 2, 28)),
])
def test_keep_published_until(ended, expected):
    assert dl.keep_published_until(ended) == expected


TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(("due", "status"), [
    (date(2026, 11, 22), "overdue"),
    (date(2026, 11, 23), "due_30"),   # due today is not yet overdue
    (date(2026, 12, 23), "due_30"),   # today + 30
    (date(2026, 12, 24), "due_90"),   # today + 31
    (date(2027, 2, 21), "due_90"),    # today + 90
    (date(2027, 2, 22), "later"),     # today + 91
    (date(2020, 1, 1), "overdue"),
])
def test_status_of(due, status):
    assert dl.status_of(due, TODAY) == status
    assert dl.Due("review", "x", due, status).overdue is (status == "overdue")


def test_every_status_has_a_label():
    assert set(dl.STATUS_LABEL) == {"overdue", "due_30", "due_90", "later"}
    assert dl.STATUS_LABEL["overdue"] == "期限超過" and dl.STATUS_LABEL["later"] == ""
