"""The register's timing rules, in one place (RULES.md "Sessions and registers").

Pure functions of the register's times (a `RegisterTime` or anything with `opens`,
`late_after` and `closes`), the register's date and a moment (an aware datetime; the server's
clock, never the browser's). Times are the school's local time (Europe/London), so a register
that closes at 09:20 closes at 09:20 in both GMT and BST.

- An arrival at or before `late_after` is present (`/` or `\\`).
- An arrival after `late_after` and before `closes` is `L` (counts as present).
- An arrival at or after `closes` is `U` (unauthorised absence).
- Minutes late, for `L` and `U`, are counted from `late_after`, rounded up to whole minutes, to the
  moment the pupil arrived (given by whoever records it), never to the moment it is typed in.
- A teacher may change the register until it closes; after that only the office amends, with a
  reason. A teacher may still record a first mark for a pupil left unmarked (a late arrival
  becomes `U`), but never change one already there.
"""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum

from django.utils import timezone

AM, PM = "AM", "PM"

TEACHER_CORRECTION_REASON = "corrected by class teacher before the register closed"
OFFICE_CORRECTION_REASON = "corrected by the office before the register closed"


class State(StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    LATE = "late"
    TAKEN = "taken"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {
            "not_yet_open": "Not yet open",
            "open": "Open",
            "late": "Late — not taken",
            "taken": "Taken",
            "closed": "Closed",
        }[self.value]


def now() -> dt.datetime:
    """The server's clock: the one moment every page and API call judges a register by (and the
    one place a benchmark sets it)."""
    return timezone.now()


def present_symbol(session: str) -> str:
    return "/" if session == AM else "\\"


def at(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware moment of `time` on `day` in the school's time zone (settings.TIME_ZONE)."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def opens_at(times, day: dt.date) -> dt.datetime:
    return at(day, times.opens)


def late_at(times, day: dt.date) -> dt.datetime:
    return at(day, times.late_after)


def closes_at(times, day: dt.date) -> dt.datetime:
    return at(day, times.closes)


def is_open(times, day: dt.date, now: dt.datetime) -> bool:
    return opens_at(times, day) <= now < closes_at(times, day)


def is_closed(times, day: dt.date, now: dt.datetime) -> bool:
    return now >= closes_at(times, day)


def has_opened(times, day: dt.date, now: dt.datetime) -> bool:
    return now >= opens_at(times, day)


def state(times, day: dt.date, now: dt.datetime, *, taken: bool) -> State:
    """What a teacher or the office sees: not yet open, open, late (past the late time and
    not taken), taken (before it closes), closed."""
    if is_closed(times, day, now):
        return State.CLOSED
    if taken:
        return State.TAKEN
    if not has_opened(times, day, now):
        return State.NOT_YET_OPEN
    if now > late_at(times, day):
        return State.LATE
    return State.OPEN


def minutes_late(times, day: dt.date, moment: dt.datetime) -> int:
    """Whole minutes after the late time, rounded up (09:00:30 is one minute late); never negative."""
    seconds = (moment - late_at(times, day)).total_seconds()
    return max(0, math.ceil(seconds / 60))


def minutes_overdue(times, day: dt.date, now: dt.datetime) -> int:
    """How long a register not yet taken is past its late time (for the office)."""
    return minutes_late(times, day, now)


def arrival_mark(times, day: dt.date, session: str, arrival: dt.datetime) -> tuple[str, int | None]:
    """The code and minutes late for a pupil who arrived at `arrival`."""
    if arrival <= late_at(times, day):
        return present_symbol(session), None
    code = "U" if is_closed(times, day, arrival) else "L"
    return code, minutes_late(times, day, arrival)


def arrival_from_minutes(times, day: dt.date, minutes: int) -> dt.datetime:
    """The moment a pupil `minutes` late arrived (minutes count from the late time)."""
    return late_at(times, day) + dt.timedelta(minutes=minutes)


def arrival_problem(times, day: dt.date, arrival: dt.datetime, now: dt.datetime) -> str | None:
    """Why `arrival` cannot be a pupil's arrival for this register (None when it can): before the
    register opened, or later than now (one minute's grace for clocks a little apart)."""
    if arrival < opens_at(times, day):
        return f"an arrival at {timezone.localtime(arrival):%H:%M} is before the register opened at {times.opens:%H:%M}"
    if arrival > now + dt.timedelta(minutes=1):
        return f"an arrival at {timezone.localtime(arrival):%H:%M} on {day:%a %d %b} has not happened yet"
    return None


def teacher_may_change_marks(times, day: dt.date, now: dt.datetime) -> bool:
    """A teacher may change existing marks only while the register is open."""
    return has_opened(times, day, now) and not is_closed(times, day, now)


def teacher_may_add_marks(times, day: dt.date, now: dt.datetime) -> bool:
    """A teacher may record first marks from the time the register opens until the session's
    day ends (after closing, a late arrival becomes `U`)."""
    return has_opened(times, day, now) and timezone.localtime(now).date() == day


def current_and_next_sessions(pm_opens: dt.time | None, now: dt.datetime) -> tuple[str, str]:
    """ "This session and the next": before the afternoon register opens, this morning and this
    afternoon; from then, this afternoon and the next school day's morning. Returns the pair of
    sessions; the caller decides the dates."""
    local = timezone.localtime(now).time()
    if pm_opens is None or local < pm_opens:
        return AM, PM
    return PM, AM
