"""The timetable overview's week grid: periods down, days across, the lessons in each cell, as
the timetable holds on a date (in week A or B of a two-week cycle), narrowed to one teacher,
group, room or year. Reads in a fixed number of queries, however big the school."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from registers.models import School

from .models import WEEKDAYS, Dated, Lesson, Period, TimetableSettings


@dataclass
class Filters:
    teacher: int | None = None
    group: int | None = None
    room: int | None = None
    year: int | None = None

    @classmethod
    def from_query(cls, query) -> Filters:
        def number(name):
            value = (query.get(name) or "").strip()
            return int(value) if value.lstrip("-").isdigit() and len(value) < 10 else None

        return cls(number("teacher"), number("group"), number("room"), number("year"))

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.teacher, self.group, self.room, self.year))


@dataclass
class Row:
    period: Period
    cells: list[list[Lesson]] = field(default_factory=list)  # one list per weekday


@dataclass
class Grid:
    on: dt.date
    week: str  # "A", "B" or "" (one-week timetable)
    two_weeks: bool
    days: list[str]
    rows: list[Row]
    lesson_count: int


def week_grid(*, school: School, on: dt.date, week: str | None, filters: Filters) -> Grid:
    settings = TimetableSettings.objects.filter(school=school).first()
    two_weeks = settings is not None and settings.cycle_weeks == TimetableSettings.Cycle.TWO_WEEKS
    if two_weeks:
        week = week if week in ("A", "B") else settings.week_of(on) or "A"
    else:
        week = ""
    periods = list(Period.objects.filter(school=school).filter(Dated.on(on)).order_by("phase", "starts"))
    lessons = (
        Lesson.objects.filter(school=school, week__in={"", week})
        .filter(Dated.on(on))
        .select_related("group", "period", "room", "teacher__user")
        .order_by("group__name")
    )
    if filters.teacher is not None:
        lessons = lessons.filter(teacher_id=filters.teacher)
    if filters.group is not None:
        lessons = lessons.filter(group_id=filters.group)
    if filters.room is not None:
        lessons = lessons.filter(room_id=filters.room)
    if filters.year is not None:
        lessons = lessons.filter(group__year=filters.year)
    cells: dict[tuple[int, int], list[Lesson]] = defaultdict(list)
    count = 0
    for lesson in lessons:
        cells[(lesson.period_id, lesson.weekday)].append(lesson)
        count += 1
    rows = [Row(p, [cells[(p.pk, day)] for day, _name in WEEKDAYS]) for p in periods]
    if filters.any:  # periods with nothing in them for this teacher/group/room say little
        rows = [r for r in rows if any(r.cells)] or rows
    return Grid(on, week, two_weeks, [name for _n, name in WEEKDAYS], rows, count)
