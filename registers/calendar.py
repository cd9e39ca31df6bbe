"""The school calendar: which days are school days, their school-week numbers and half-terms.

School days are derived from the school's terms, holidays, INSET days and England's bank
holidays (the `holidays` package), and stored so statistics can join on them. A school
week is any week with at least one school day; weeks are numbered across terms and years,
so "the last ten school weeks" is plain arithmetic on `week_number`."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.db import transaction

from .models import AcademicYear, Closure, Holiday, School, SchoolDay, Term


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year))


def bank_holiday(day: dt.date) -> str | None:
    return bank_holidays(day.year).get(day)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def daterange(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


@transaction.atomic
def rebuild_school_days(school: School) -> int:
    """Recompute the school's days from its calendar; returns how many there are."""
    terms = list(Term.objects.filter(school=school).select_related("academic_year").order_by("start_date"))
    breaks = list(Holiday.objects.filter(school=school))
    inset = set(Closure.objects.filter(school=school, kind=Closure.Kind.INSET).values_list("date", flat=True))

    days: list[tuple[dt.date, Term, int]] = []
    for term in terms:
        segment_open = False
        for day in daterange(term.start_date, term.end_date):
            in_break = any(b.start_date <= day <= b.end_date for b in breaks)
            if in_break:
                segment_open = False
                continue
            if day.weekday() >= 5 or bank_holiday(day) or day in inset:
                continue
            if not segment_open:
                segment_open = True
                days.append((day, term, -1))  # -1 marks the start of a new half-term
            else:
                days.append((day, term, 0))

    rows: list[SchoolDay] = []
    week_number, last_monday = 0, None
    half_term, current_year, last_term = 0, None, None
    for day, term, marker in days:
        if monday_of(day) != last_monday:
            week_number += 1
            last_monday = monday_of(day)
        if term.academic_year_id != current_year:
            current_year, half_term = term.academic_year_id, 0
        if marker == -1 or term.id != last_term:
            # A term has two half-terms; a break inside it (or a new term) starts the next.
            half_term += 1
            last_term = term.id
        rows.append(SchoolDay(school=school, date=day, term=term, week_number=week_number, half_term=half_term))

    SchoolDay.objects.filter(school=school).delete()
    SchoolDay.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def describe_non_school_day(school: School, day: dt.date) -> str:
    """Why `day` has no sessions, in words a teacher or administrator understands."""
    if day.weekday() >= 5:
        return f"{day:%A} is a weekend"
    if name := bank_holiday(day):
        return f"{day:%d %b %Y} is a bank holiday ({name})"
    if Closure.objects.filter(school=school, kind=Closure.Kind.INSET, date=day).exists():
        return f"{day:%d %b %Y} is an INSET day"
    holiday = Holiday.objects.filter(school=school, start_date__lte=day, end_date__gte=day).first()
    if holiday:
        return f"{day:%d %b %Y} is in the {holiday.name.lower()} holiday"
    if not dates_published(school, day):
        year = AcademicYear.name_for(day)
        return f"{day:%d %b %Y} is in the {year} school year, and next year's dates are not published yet"
    if not Term.objects.filter(school=school, start_date__lte=day, end_date__gte=day).exists():
        return f"{day:%d %b %Y} is outside term time"
    return f"{day:%d %b %Y} is not in {school.name}'s calendar"


def dates_published(school: School, day: dt.date) -> bool:
    """Whether the school's calendar reaches `day`: false for a day after the last imported year
    whose own academic year has not been imported yet (next September, before the dates are in).
    August is the old year's summer holiday: the year a day falls in runs 1 September to 31 August
    (not AcademicYear.name_for, which names a year from a term that may start in late August)."""
    if AcademicYear.objects.filter(school=school, end_date__gte=day).exists():
        return True
    start = day.year if day.month >= 9 else day.year - 1
    return AcademicYear.objects.filter(school=school, name=f"{start}/{(start + 1) % 100:02d}").exists()


def academic_year_for(school: School, day: dt.date) -> AcademicYear | None:
    return AcademicYear.objects.filter(school=school, start_date__lte=day, end_date__gte=day).first() or (
        AcademicYear.objects.filter(school=school, start_date__lte=day).order_by("-start_date").first()
    )


def term_for(school: School, day: dt.date) -> Term | None:
    return Term.objects.filter(school=school, start_date__lte=day, end_date__gte=day).first() or (
        Term.objects.filter(school=school, start_date__lte=day).order_by("-start_date").first()
    )


def school_days_between(school: School, start: dt.date, end: dt.date) -> list[dt.date]:
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def typical_english_calendar(start_year: int) -> dict:
    """Term dates in the usual English shape for an academic year starting in September
    `start_year` (three terms, three half-terms, two weeks at Easter, five INSET days).
    Used for the demo school and synthetic benchmark schools; real schools import theirs."""
    from dateutil.easter import easter

    def weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
        return day + dt.timedelta(days=(weekday - day.weekday()) % 7)

    def weekday_on_or_before(day: dt.date, weekday: int) -> dt.date:
        return day - dt.timedelta(days=(day.weekday() - weekday) % 7)

    y1, y2 = start_year, start_year + 1
    autumn_start = weekday_on_or_after(dt.date(y1, 9, 1), 2)  # first Wednesday of September
    autumn_half = weekday_on_or_before(dt.date(y1, 10, 31), 0)  # last Monday of October
    autumn_end = weekday_on_or_before(dt.date(y1, 12, 20), 4)
    spring_start = weekday_on_or_after(dt.date(y2, 1, 2), 0)
    spring_half = weekday_on_or_after(dt.date(y2, 2, 12), 0)
    good_friday = easter(y2) - dt.timedelta(days=2)
    spring_end = good_friday - dt.timedelta(days=1)
    summer_start = good_friday + dt.timedelta(days=17)  # the Monday two weeks after Easter Monday
    summer_half = weekday_on_or_before(dt.date(y2, 5, 31), 0)  # spring bank holiday week
    summer_end = dt.date(y2, 7, 22)
    if summer_end.weekday() > 4:
        summer_end = weekday_on_or_before(summer_end, 4)
    return {
        "terms": [
            {"name": "Autumn", "start": autumn_start, "end": autumn_end},
            {"name": "Spring", "start": spring_start, "end": spring_end},
            {"name": "Summer", "start": summer_start, "end": summer_end},
        ],
        "half_term_breaks": [
            {"start": autumn_half, "end": autumn_half + dt.timedelta(days=4)},
            {"start": spring_half, "end": spring_half + dt.timedelta(days=4)},
            {"start": summer_half, "end": summer_half + dt.timedelta(days=4)},
        ],
        "inset_days": [
            autumn_start,
            autumn_start + dt.timedelta(days=1),
            autumn_half + dt.timedelta(days=7),
            spring_start,
            summer_end,
        ],
    }
