from datetime import date

from app.domain.counting import FileFact, IncidentFact, incidents_within_year, one_year_before, register_inputs
from app.domain.threshold import Exclusion

ON = date(2025, 6, 1)


def inputs(files, dedup=None, incidents=(), handlers=10):
    return register_inputs(files, handlers=handlers, handlers_as_of=ON, dedup_subjects=dedup, incidents=incidents,
                           on=ON, org_kind="local")


def test_subjects_are_summed_over_non_excluded_files():
    files = [FileFact("A", "system", 70_000), FileFact("B", "system", 50_000), FileFact("給与", "system", 3_000, True)]
    r = inputs(files)
    assert r.subjects == 120_000 and r.subjects_source == "sum"
    assert r.counted_files == ("A", "B") and r.excluded_files == ("給与",)
    assert r.exclusions == frozenset()


def test_dedup_total_wins():
    r = inputs([FileFact("A", "system", 70_000), FileFact("B", "system", 50_000)], dedup=80_000)
    assert (r.subjects, r.subjects_source) == (80_000, "dedup")


def test_exclusions_from_file_kinds():
    assert inputs([FileFact("給与", "system", 5_000, True)]).exclusions == {Exclusion.staff_only}
    assert inputs([FileFact("紙", "manual", 5_000)]).exclusions == {Exclusion.manual_only}
    assert inputs([FileFact("紙", "manual", 5_000), FileFact("A", "system", 5)]).exclusions == frozenset()


def test_incident_window_is_the_year_before_the_determination():
    incidents = [
        IncidentFact(1, date(2024, 6, 1)),   # exactly one year before: outside (past 1 year = after that day)
        IncidentFact(2, date(2024, 6, 2)),   # inside
        IncidentFact(3, date(2025, 6, 1)),   # the day itself: inside
        IncidentFact(4, date(2025, 6, 2)),   # after: outside
        IncidentFact(5, date(2025, 1, 1), involves_specific=False),
        IncidentFact(6, date(2025, 1, 1), attributable=False),  # 配送事故等 not attributable
    ]
    assert incidents_within_year(incidents, ON) == (2, 3)
    assert inputs([FileFact("A", "system", 1)], incidents=incidents).threshold_input().serious_incident


def test_leap_day():
    assert one_year_before(date(2024, 2, 29)) == date(2023, 2, 28)


def test_as_of_is_the_oldest_counted_file_date():
    files = [FileFact("A", "system", 1, subjects_as_of=date(2025, 4, 1)),
             FileFact("B", "system", 1, subjects_as_of=date(2025, 3, 1))]
    assert inputs(files).subjects_as_of == date(2025, 3, 1)
