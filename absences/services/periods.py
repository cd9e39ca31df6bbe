"""Sessions and dates: the school sessions a report or request covers, and the check that its
first and last days are school days in the right order."""

from __future__ import annotations

import datetime as dt

from registers.calendar import dates_published, describe_non_school_day
from registers.models import AM, PM, Closure, SchoolDay

from ..models import session_index
from .errors import AbsenceError


def day_text(day: dt.date) -> str:
    """'Monday 23 November 2026', as the messages to parents and staff write a day."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def sessions_between(school, pupil, start_date, start_session, end_date, end_session) -> list[tuple[dt.date, str]]:
    """The school sessions from (start_date, start_session) to (end_date, end_session), leaving
    out days the school does not meet and sessions of a planned closure for the pupil's year."""
    days = SchoolDay.objects.filter(school=school, date__range=(start_date, end_date)).values_list("date", flat=True)
    closures = list(
        Closure.objects.filter(school=school, kind=Closure.Kind.CLOSURE, date__range=(start_date, end_date))
    )
    first, last = session_index(start_date, start_session), session_index(end_date, end_session)
    sessions = []
    for day in days:
        for session in (AM, PM):
            if not first <= session_index(day, session) <= last:
                continue
            if any(c.date == day and c.covers(session, pupil.year) for c in closures):
                continue
            sessions.append((day, session))
    return sessions


def check_period(school, start_date, start_session, end_date, end_session) -> None:
    """Refuses a period that ends before it starts, or whose first or last day is not a school day."""
    if end_date < start_date or (end_date == start_date and start_session == PM and end_session == AM):
        raise AbsenceError("The last day is before the first day. Please check the dates.", "end_date")
    school_days = set(
        SchoolDay.objects.filter(school=school, date__in=[start_date, end_date]).values_list("date", flat=True)
    )
    for day, field in ((start_date, "start_date"), (end_date, "end_date")):
        if day not in school_days and not dates_published(school, day):
            raise AbsenceError(
                f"{day_text(day)}: next year's dates are not published yet. The school has not put its "
                "term dates for that year in yet, so please ask again once they are published.",
                field,
            )
        if day not in school_days:
            raise AbsenceError(
                f"{day_text(day)} is not a school day: {describe_non_school_day(school, day)}. "
                "Please choose days when the school is open.",
                field,
            )
