"""The next-year message across the 31 August / 1 September boundary (registers/calendar.py).

Academic years run September to August: with only 2025/26's calendar in, 31 August 2026 is still the
summer holiday of 2025/26 ("outside term time"), and 1 September 2026 is the first day of 2026/27,
whose dates are not published yet. A parent asking for leave on either day is told which."""

import datetime as dt

import pytest

from absences.services.errors import AbsenceError
from absences.services.periods import check_period
from registers.calendar import dates_published, describe_non_school_day
from registers.imports import import_school
from tests.registers.test_next_year import NEXT_YEAR, THIS_YEAR

D = dt.date


@pytest.fixture
def this_year_only(db):
    return import_school(THIS_YEAR)


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (D(2026, 7, 23), "outside term time"),
        (D(2026, 8, 3), "outside term time"),
        (D(2026, 8, 28), "outside term time"),
        (D(2026, 8, 31), "a bank holiday (Late Summer Bank Holiday)"),  # 31 August 2026 is a Monday
    ],
)
def test_august_is_still_this_years_summer_holiday(this_year_only, day, why):
    assert dates_published(this_year_only, day)
    assert describe_non_school_day(this_year_only, day) == f"{day:%d %b %Y} is {why}"
    with pytest.raises(AbsenceError) as refused:
        check_period(this_year_only, day, "AM", day, "PM")
    assert "not published" not in str(refused.value) and why in str(refused.value)


@pytest.mark.parametrize("day", [D(2026, 9, 1), D(2026, 9, 2), D(2027, 7, 30)])
def test_from_the_first_of_september_next_years_dates_are_not_published(this_year_only, day):
    assert not dates_published(this_year_only, day)
    why = describe_non_school_day(this_year_only, day)
    assert "in the 2026/27 school year, and next year's dates are not published yet" in why


def test_once_next_year_is_in_both_sides_of_the_boundary_are_known(this_year_only):
    import_school(NEXT_YEAR)
    for day in (D(2026, 8, 28), D(2026, 9, 1), D(2026, 9, 2)):
        assert dates_published(this_year_only, day)
        assert describe_non_school_day(this_year_only, day) == f"{day:%d %b %Y} is outside term time"
    # The year after next is not published yet, from its 1 September.
    assert describe_non_school_day(this_year_only, D(2027, 8, 31)) == "31 Aug 2027 is outside term time"
    assert "2027/28 school year" in describe_non_school_day(this_year_only, D(2027, 9, 1))
