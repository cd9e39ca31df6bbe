"""A pupil's figures as the case pages keep and show them (year to date on a date, as a plain
dict stored on each step, action and monitoring period), and counting in school weeks, which
holidays do not interrupt."""

from __future__ import annotations

import datetime as dt

from registers.calendar import academic_year_for
from registers.models import Pupil, School, SchoolDay
from registers.selectors import pupil_figures

from ..evaluation.context import figures_dict


def _year_start(school: School, on: dt.date) -> dt.date:
    year = academic_year_for(school, on)
    return year.start_date if year else on


def year_to_date_figures(pupil: Pupil, on: dt.date) -> dict:
    """The pupil's year-to-date figures on `on` (kept on each step to show the effect of support)."""
    figures = pupil_figures(school=pupil.school, date_from=_year_start(pupil.school, on), date_to=on, pupils=[pupil.pk])
    return {"on": on.isoformat(), **figures_dict(figures.get(pupil.pk))}


def add_school_weeks(school: School, start: dt.date, weeks: int) -> dt.date:
    """The date `weeks` school weeks after `start` (holidays are not counted): the last school day
    of the school week `weeks - 1` after the start's; calendar weeks if the calendar runs out."""
    first = SchoolDay.objects.filter(school=school, date__gte=start).order_by("date").first()
    if first is not None:
        last = (
            SchoolDay.objects.filter(school=school, week_number=first.week_number + weeks - 1)
            .order_by("-date")
            .values_list("date", flat=True)
            .first()
        )
        if last:
            return last
    return start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)
