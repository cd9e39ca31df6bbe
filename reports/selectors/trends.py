"""Trends and patterns: sessions week by week, absence by day of the week and by morning or
afternoon, and which codes were used, each from one grouped query over the counted marks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import ExtractWeekDay

from registers.models import AttendanceCode, SchoolDay
from registers.selectors import counted_marks

from ..suppression import Cell, suppress_breakdown
from .cohorts import pct

CAT = AttendanceCode.Category
WEEKDAYS = {2: "Monday", 3: "Tuesday", 4: "Wednesday", 5: "Thursday", 6: "Friday"}  # ExtractWeekDay: 1 = Sunday


@dataclass
class Week:
    number: int
    index: int  # 1 = the period's first school week
    monday: dt.date
    possible: int
    absent: int
    authorised: int
    unauthorised: int

    @property
    def attendance(self):
        return None if not self.possible else round(100 - 100 * self.absent / self.possible, 1)


def _category_counts():
    return {
        "possible": Count("id"),
        "authorised": Count("id", filter=Q(code__category=CAT.AUTHORISED)),
        "unauthorised": Count("id", filter=Q(code__category=CAT.UNAUTHORISED)),
    }


def weekly_trend(school, date_from, date_to, pupils=None) -> list[Week]:
    """Sessions per school week: the marks are counted per day in the database, then each day
    is put in its school week (SchoolDay.week_number) — a handful of rows, not marks."""
    per_day = (
        counted_marks(school=school, date_from=date_from, date_to=date_to, pupils=pupils)
        .values("date")
        .annotate(**_category_counts())
        .order_by()
    )
    week_of = dict(
        SchoolDay.objects.filter(school=school, date__range=(date_from, date_to)).values_list("date", "week_number")
    )
    weeks: dict[int, dict] = {}
    for row in per_day:
        number = week_of.get(row["date"])
        if number is None:
            continue
        w = weeks.setdefault(number, {"possible": 0, "authorised": 0, "unauthorised": 0, "monday": row["date"]})
        for k in ("possible", "authorised", "unauthorised"):
            w[k] += row[k]
        w["monday"] = min(w["monday"], row["date"])
    all_weeks = sorted(set(week_of.values()))
    out = []
    for index, number in enumerate(all_weeks, start=1):
        w = weeks.get(number)
        if w is None:
            continue
        monday = w["monday"] - dt.timedelta(days=w["monday"].weekday())
        out.append(
            Week(
                number,
                index,
                monday,
                w["possible"],
                w["authorised"] + w["unauthorised"],
                w["authorised"],
                w["unauthorised"],
            )
        )
    return out


@dataclass
class SessionPattern:
    label: str
    possible: int
    authorised: int
    unauthorised: int
    late: int

    @property
    def absence(self):
        return pct(self.authorised + self.unauthorised, self.possible)

    @property
    def attendance(self):
        return (
            None if not self.possible else round(100 - 100 * (self.authorised + self.unauthorised) / self.possible, 1)
        )

    @property
    def unauthorised_rate(self):
        return pct(self.unauthorised, self.possible)

    @property
    def late_rate(self):
        return pct(self.late, self.possible)


def day_patterns(school, date_from, date_to, pupils=None) -> tuple[list[SessionPattern], list[SessionPattern]]:
    """Absence by day of the week and by morning/afternoon, from one grouped query."""
    rows = (
        counted_marks(school=school, date_from=date_from, date_to=date_to, pupils=pupils)
        .annotate(weekday=ExtractWeekDay("date"))
        .values("weekday", "session")
        .annotate(**_category_counts(), late=Count("id", filter=Q(code__code__in=("L", "U"))))
        .order_by()
    )
    by_day: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_session: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        for bucket in (by_day[r["weekday"]], by_session[r["session"]]):
            bucket[0] += r["possible"]
            bucket[1] += r["authorised"]
            bucket[2] += r["unauthorised"]
            bucket[3] += r["late"]
    days = [SessionPattern(name, *by_day[n]) for n, name in WEEKDAYS.items() if n in by_day]
    sessions = [
        SessionPattern(label, *by_session[s])
        for s, label in (("AM", "Morning"), ("PM", "Afternoon"))
        if s in by_session
    ]
    return days, sessions


@dataclass
class CodeUse:
    code: str
    meaning: str
    category: str
    sessions: int
    pupils: int
    cell: Cell = None

    def __post_init__(self):
        self.cell = Cell(self.sessions, self.pupils)


def code_usage(school, date_from, date_to, pupils=None) -> dict[str, list[CodeUse]]:
    """Which codes were used, how often and for how many pupils, grouped by category; within a
    category the counts add up to that category's total, so they are suppressed as a set."""
    rows = (
        counted_marks(school=school, date_from=date_from, date_to=date_to, pupils=pupils)
        .values("code__code", "code__meaning", "code__category")
        .annotate(sessions=Count("id"), pupils=Count("pupil_id", distinct=True))
        .order_by("code__category", "-sessions", "code__code")
    )
    grouped: dict[str, list[CodeUse]] = {}
    for r in rows:
        use = CodeUse(r["code__code"], r["code__meaning"], r["code__category"], r["sessions"], r["pupils"])
        grouped.setdefault(r["code__category"], []).append(use)
    for uses in grouped.values():
        suppress_breakdown([u.cell for u in uses])
    order = [CAT.PRESENT, CAT.APPROVED, CAT.AUTHORISED, CAT.UNAUTHORISED]
    return {CAT(c).label: grouped[c] for c in order if c in grouped}
