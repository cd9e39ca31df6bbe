"""A pupil's year as a calendar: every school day, week by week within each term, with the AM and
PM marks — the staff pupil page and the parent portal's child page draw the same calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby

from .models import AttendanceCode, Pupil
from .selectors import YearToDate, school_days


@dataclass
class Cell:
    """One weekday in the calendar strip: its AM and PM marks, or why there are none."""

    date: dt.date
    school_day: bool = False
    future: bool = False
    on_roll: bool = True
    am: object = None
    pm: object = None

    @property
    def sessions(self):
        return [("AM", self.am), ("PM", self.pm)]


@dataclass
class Week:
    monday: dt.date
    number: int
    cells: list[Cell]


@dataclass
class TermStrip:
    name: str
    weeks: list[Week]


def mark_style(code: AttendanceCode | None) -> str:
    if code is None:
        return "none"
    if code.code == "L":
        return "late"
    return code.category


def calendar_strip(pupil: Pupil, period: YearToDate, marks) -> list[TermStrip]:
    """Every school day of the period, week by week within each term, with the pupil's marks.
    Non-school days are left out (a weekday without sessions in a school week is blank)."""
    days = list(school_days(school_id=pupil.school_id, date_from=period.date_from, date_to=period.date_to))
    by_session = {(m.date, m.session): m for m in marks}
    for mark in marks:
        mark.style = mark_style(mark.code)
    enrolments = list(pupil.enrolments.all())
    strips = []
    for term, term_days in groupby(days, key=lambda d: d.term):
        weeks = []
        for monday, week_days in groupby(term_days, key=lambda d: d.date - dt.timedelta(days=d.date.weekday())):
            week_days = list(week_days)
            cells = {d: Cell(monday + dt.timedelta(days=d)) for d in range(5)}
            for cell in cells.values():
                cell.future = cell.date > period.date_to
            for day in week_days:
                cell = cells[day.date.weekday()]
                cell.school_day = True
                cell.on_roll = any(e.covers(day.date) for e in enrolments)
                cell.am = by_session.get((day.date, "AM"))
                cell.pm = by_session.get((day.date, "PM"))
            weeks.append(Week(monday, week_days[0].week_number, [cells[d] for d in range(5)]))
        strips.append(TermStrip(f"{term.name} term {term.academic_year.name}", weeks))
    return strips
