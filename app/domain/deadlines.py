"""The statutory clock (pure; the date is always passed in).

- 見直し (yearly review, 努力義務): due 1 year after the latest 公表日 or the latest review, whichever is later.
- 再実施 (5-year re-assessment, 規則第15条, 努力義務): due before 5 years pass from the publication of the latest
  実施 or 再実施 (counted as the Civil Code counts periods: the anniversary of the publication is the last day). A 修正 (correction) does not reset the 5-year clock (README, Decisions).
- 事務終了: the 評価書 stays published until 3 years after the end date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def review_due(last_published: date | None, last_review: date | None) -> date | None:
    base = max([x for x in (last_published, last_review) if x], default=None)
    return add_years(base, 1) if base else None


def reassessment_due(last_full_publication: date | None) -> date | None:
    """The last day on which the 再実施 is still published "before 5 years pass".

    Periods follow the Civil Code: the day of publication is not counted (民法第140条), and the period ends at
    the end of the day before the anniversary of its first day (第143条) — i.e. on the anniversary of the
    publication itself (2021-03-15 → 2026-03-15; 29 February → 28 February).
    """
    return add_years(last_full_publication, 5) if last_full_publication else None


def period_days(first: date, last: date) -> int:
    """Length of a period that counts its first day (意見公募: 10月1日〜10月30日 is 30 days)."""
    return (last - first).days + 1


def keep_published_until(end_date: date | None) -> date | None:
    return add_years(end_date, 3) if end_date else None


@dataclass(frozen=True)
class Due:
    kind: str          # review | reassessment | stage | action | prior_submission
    label: str
    due_on: date
    status: str        # overdue | due_30 | due_90 | later

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"


def status_of(due_on: date, today: date) -> str:
    if due_on < today:
        return "overdue"
    if due_on <= today + timedelta(days=30):
        return "due_30"
    if due_on <= today + timedelta(days=90):
        return "due_90"
    return "later"


STATUS_LABEL = {"overdue": "期限超過", "due_30": "30日以内", "due_90": "90日以内", "later": ""}
