"""The register's timing rules (registers/timing.py): pure, no database."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from registers import timing

LONDON = ZoneInfo("Europe/London")
DAY = dt.date(2026, 11, 23)  # a Monday in GMT
SUMMER_DAY = dt.date(2026, 6, 15)  # a Monday in BST
TIMES = SimpleNamespace(opens=dt.time(8, 50), late_after=dt.time(9, 0), closes=dt.time(9, 20))


def at(hour, minute, second=0, day=DAY):
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON)


@pytest.mark.parametrize(
    "moment, taken, expected",
    [
        (at(8, 30), False, timing.State.NOT_YET_OPEN),
        (at(8, 50), False, timing.State.OPEN),
        (at(9, 0), False, timing.State.OPEN),
        (at(9, 0, 1), False, timing.State.LATE),
        (at(9, 5), True, timing.State.TAKEN),
        (at(9, 19, 59), False, timing.State.LATE),
        (at(9, 20), False, timing.State.CLOSED),
        (at(9, 20), True, timing.State.CLOSED),
        (at(8, 55, day=DAY + dt.timedelta(days=1)), False, timing.State.CLOSED),  # yesterday's register
        (at(9, 30, day=DAY - dt.timedelta(days=1)), False, timing.State.NOT_YET_OPEN),  # tomorrow's
    ],
)
def test_state(moment, taken, expected):
    assert timing.state(TIMES, DAY, moment, taken=taken) == expected


@pytest.mark.parametrize(
    "arrival, session, expected",
    [
        (at(8, 55), "AM", ("/", None)),
        (at(9, 0), "AM", ("/", None)),
        (at(13, 0), "PM", ("\\", None)),
        (at(9, 0, 30), "AM", ("L", 1)),
        (at(9, 7), "AM", ("L", 7)),
        (at(9, 19, 59), "AM", ("L", 20)),
        (at(9, 20), "AM", ("U", 20)),
        (at(9, 45), "AM", ("U", 45)),
    ],
)
def test_arrival_mark(arrival, session, expected):
    times = (
        TIMES
        if session == "AM"
        else SimpleNamespace(opens=dt.time(12, 50), late_after=dt.time(13, 0), closes=dt.time(13, 20))
    )
    assert timing.arrival_mark(times, DAY, session, arrival) == expected


def test_rules_use_local_time_in_summer_too():
    # 09:07 BST is 08:07 UTC: still seven minutes late, L.
    arrival = dt.datetime(2026, 6, 15, 8, 7, tzinfo=dt.UTC)
    assert timing.arrival_mark(TIMES, SUMMER_DAY, "AM", arrival) == ("L", 7)
    assert timing.is_open(TIMES, SUMMER_DAY, arrival)


def test_an_arrival_is_checked_against_the_register_and_the_clock():
    assert timing.arrival_from_minutes(TIMES, DAY, 25) == at(9, 25)
    assert timing.arrival_problem(TIMES, DAY, at(9, 25), at(16, 0)) is None
    assert "before the register opened" in timing.arrival_problem(TIMES, DAY, at(7, 0), at(16, 0))
    assert "has not happened yet" in timing.arrival_problem(TIMES, DAY, at(9, 45), at(9, 40))
    assert timing.arrival_problem(TIMES, DAY, at(9, 41), at(9, 40)) is None  # a minute's grace


def test_who_may_edit():
    assert not timing.teacher_may_change_marks(TIMES, DAY, at(8, 45))
    assert timing.teacher_may_change_marks(TIMES, DAY, at(9, 19))
    assert not timing.teacher_may_change_marks(TIMES, DAY, at(9, 20))
    assert timing.teacher_may_add_marks(TIMES, DAY, at(11, 0))  # late arrival, first mark, same day
    assert not timing.teacher_may_add_marks(TIMES, DAY, at(9, 0, day=DAY + dt.timedelta(days=1)))
    assert not timing.teacher_may_add_marks(TIMES, DAY, at(8, 45))


def test_minutes_never_negative_and_overdue():
    assert timing.minutes_late(TIMES, DAY, at(8, 55)) == 0
    assert timing.minutes_overdue(TIMES, DAY, at(9, 12)) == 12


def test_current_and_next_sessions():
    assert timing.current_and_next_sessions(dt.time(13, 0), at(8, 0)) == ("AM", "PM")
    assert timing.current_and_next_sessions(dt.time(13, 0), at(13, 0)) == ("PM", "AM")
    assert timing.present_symbol("AM") == "/" and timing.present_symbol("PM") == "\\"
