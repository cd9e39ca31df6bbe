"""The school days the portal, the follow-up and the leave facts count in: the last few school
days up to a date, and this academic year so far."""

from __future__ import annotations

import datetime as dt

from registers.calendar import academic_year_for
from registers.models import SchoolDay


def school_days_before(school, on: dt.date, count: int) -> list[dt.date]:
    """The last `count` school days up to and including `on`, newest first."""
    return list(
        SchoolDay.objects.filter(school=school, date__lte=on).order_by("-date").values_list("date", flat=True)[:count]
    )


def year_range(school, today: dt.date) -> tuple[dt.date, dt.date]:
    year = academic_year_for(school, today)
    if year is None:
        return today, today
    return year.start_date, min(today, year.end_date)
