"""Which pupils a rule concerns by age, as bounds on the date of birth, so the checks filter in
the database rather than pupil by pupil.

Two definitions, both needed:

- **National statistics** (RULES.md): persistent and severe absence figures are for pupils of
  compulsory school age, taken as *aged 5 to 15 at the start of the academic year* (their age
  on 31 August). A pupil is in or out for the whole year.
- **Compulsory school age in law** (Education Act 1996 s8; the Education (Start of Compulsory
  School Age) Order 1998; the Education (School Leaving Date) Order 1997): a child is of
  compulsory school age from the prescribed day — 31 December, 31 March or 31 August — on or
  after their fifth birthday (in practice, the start of the next term), until the school
  leaving date (the last Friday in June) of the school year in which they turn 16. The
  parent's duty (s7) and so a penalty notice concern only sessions inside that span: this
  is decided per session, not per pupil."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

ALL = "all"
NATIONAL = "5_to_15"
COMPULSORY = "compulsory"
CHOICES = (ALL, NATIONAL, COMPULSORY)
LABELS = {
    ALL: "every pupil on roll",
    NATIONAL: "pupils aged 5 to 15 at the start of the academic year (national statistics)",
    COMPULSORY: "sessions while the pupil is of compulsory school age",
}


def _years_before(day: dt.date, years: int) -> dt.date:
    """`day` moved back `years` years; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _birthday(dob: dt.date, age: int) -> dt.date:
    """The day a child born on `dob` attains `age` (a 29 February birthday falls on 1 March)."""
    try:
        return dob.replace(year=dob.year + age)
    except ValueError:
        return dt.date(dob.year + age, 3, 1)


def _prescribed_days(year: int) -> list[dt.date]:
    return [dt.date(year, 3, 31), dt.date(year, 8, 31), dt.date(year, 12, 31)]


def last_prescribed_day(day: dt.date) -> dt.date:
    """The latest prescribed day (31 Dec, 31 Mar, 31 Aug) on or before `day`."""
    return max(d for d in [dt.date(day.year - 1, 12, 31), *_prescribed_days(day.year)] if d <= day)


def school_leaving_date(year: int) -> dt.date:
    """The last Friday in June of `year`."""
    day = dt.date(year, 6, 30)
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def academic_year_start(day: dt.date) -> int:
    """The calendar year in which the academic year holding `day` began (September to August)."""
    return day.year if day.month >= 9 else day.year - 1


def compulsory_from(dob: dt.date) -> dt.date:
    fifth = _birthday(dob, 5)
    return min(d for d in [*_prescribed_days(fifth.year)] if d >= fifth)


def compulsory_until(dob: dt.date) -> dt.date:
    """The last day of compulsory school age (inclusive)."""
    return school_leaving_date(academic_year_start(_birthday(dob, 16)) + 1)


def is_compulsory_school_age(dob: dt.date, day: dt.date) -> bool:
    return compulsory_from(dob) <= day <= compulsory_until(dob)


def _dob_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """(earliest, latest) dates of birth of a child of compulsory school age on `day`.

    Latest: the fifth birthday has been reached by the last prescribed day. Earliest: the
    school year in which they turn 16 has not yet had its leaving date."""
    latest = _years_before(last_prescribed_day(day), 5)
    first_leaving_year = day.year if day <= school_leaving_date(day.year) else day.year + 1
    earliest = dt.date(first_leaving_year - 17, 9, 1)
    return earliest, latest


def _breakpoints(start: dt.date, end: dt.date) -> list[dt.date]:
    """Days in (start, end] on which the bounds of `_dob_bounds` change."""
    points = set()
    for year in range(start.year, end.year + 1):
        points.update(_prescribed_days(year))
        points.add(school_leaving_date(year) + dt.timedelta(days=1))
    return sorted(p for p in points if start < p <= end)


def compulsory_age_q(start: dt.date, end: dt.date, prefix: str = "pupil__") -> Q:
    """Marks (or anything with a date and a pupil) dated while the pupil was of compulsory
    school age, for dates in [start, end]: one date range and birth-date range per stretch on
    which the bounds are constant (a handful for a year)."""
    stretches = []
    edges = [start, *_breakpoints(start, end), end + dt.timedelta(days=1)]
    for first, after in zip(edges, edges[1:], strict=False):
        earliest, latest = _dob_bounds(first)
        stretches.append(
            Q(
                date__range=(first, after - dt.timedelta(days=1)),
                **{f"{prefix}date_of_birth__gte": earliest, f"{prefix}date_of_birth__lte": latest},
            )
        )
    return Q(*stretches, _connector=Q.OR)


def national_age_bounds(on: dt.date) -> tuple[dt.date, dt.date]:
    """(earliest, latest) dates of birth of pupils aged 5 to 15 on 31 August at the start of the
    academic year holding `on`."""
    year = academic_year_start(on)
    return dt.date(year - 16, 9, 1), dt.date(year - 5, 8, 31)


def national_age_q(on: dt.date, prefix: str = "") -> Q:
    earliest, latest = national_age_bounds(on)
    return Q(**{f"{prefix}date_of_birth__gte": earliest, f"{prefix}date_of_birth__lte": latest})
