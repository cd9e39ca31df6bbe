"""Analysis for leaders (staff only, names shown): filtered cohorts with the pupils behind
each figure, pupils at risk of becoming persistently absent, lateness and per-pupil
day-of-week patterns. All counts come from the statistics selectors or grouped queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, Q
from django.db.models.functions import ExtractWeekDay

from registers.models import AttendanceCode, Pupil, School, SchoolDay
from registers.selectors import AttendanceFigures, counted_marks, pupil_figures
from registers.years import year_label

from .cohorts import Group
from .trends import WEEKDAYS

CHARACTERISTIC_Q = {
    "fsm": Q(fsm=True),
    "not_fsm": Q(fsm=False),
    "sen_k": Q(sen="K"),
    "sen_e": Q(sen="E"),
    "sen_any": Q(sen__in=["K", "E"]),
    "eal": Q(eal=True),
    "looked_after": Q(looked_after=True),
    "child_in_need": Q(child_in_need=True),
    "girls": Q(sex="F"),
    "boys": Q(sex="M"),
}


def filtered_pupils(school: School, data: dict):
    pupils = Pupil.objects.filter(school=school)
    if data.get("year") is not None:
        pupils = pupils.filter(year=data["year"])
    if data.get("group"):
        pupils = pupils.filter(group=data["group"])
    if data.get("characteristic") in CHARACTERISTIC_Q:
        pupils = pupils.filter(CHARACTERISTIC_Q[data["characteristic"]])
    return pupils


@dataclass
class PupilAnalysis:
    pupil: Pupil
    figures: AttendanceFigures
    weekday_absence: list[int] = field(default_factory=lambda: [0] * 5)
    at_risk: bool = False
    projected: float | None = None
    recent: float | None = None


def weekday_absence(school, date_from, date_to, pupils) -> dict[int, list[int]]:
    """Absent sessions per pupil per weekday (Monday first), one grouped query."""
    rows = (
        counted_marks(school=school, date_from=date_from, date_to=date_to, pupils=pupils)
        .filter(code__category__in=[AttendanceCode.Category.AUTHORISED, AttendanceCode.Category.UNAUTHORISED])
        .annotate(weekday=ExtractWeekDay("date"))
        .values("pupil_id", "weekday")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[int, list[int]] = {}
    for r in rows:
        if r["weekday"] in WEEKDAYS:
            out.setdefault(r["pupil_id"], [0] * 5)[r["weekday"] - 2] = r["n"]
    return out


def remaining_sessions(school, after: dt.date, year_end: dt.date) -> int:
    return 2 * SchoolDay.objects.filter(school=school, date__gt=after, date__lte=year_end).count()


def recent_window(school, on: dt.date, days: int = 20) -> tuple[dt.date, dt.date] | None:
    recent = list(
        SchoolDay.objects.filter(school=school, date__lte=on).order_by("-date").values_list("date", flat=True)[:days]
    )
    return (recent[-1], recent[0]) if recent else None


def at_risk(figures: AttendanceFigures, recent: AttendanceFigures | None, remaining: int) -> tuple[bool, float | None]:
    """Not yet persistently absent, but would be by the end of the year if their absence over
    the last four school weeks carried on: (absent so far + recent rate × sessions left) ÷
    (possible so far + sessions left) ≥ 10 %."""
    if not figures.possible or figures.persistent:
        return False, None
    rate = (
        Fraction(recent.absent, recent.possible)
        if recent and recent.possible
        else Fraction(figures.absent, figures.possible)
    )
    projected = (figures.absent + rate * remaining) / (figures.possible + remaining)
    return projected >= Fraction(1, 10), round(float(projected) * 100, 1)


@dataclass
class Analysis:
    date_from: dt.date
    date_to: dt.date
    group: Group
    pupils: list[PupilAnalysis]
    by_year: list[Group]
    lateness: list[PupilAnalysis]
    weekday_totals: list[int]


def analyse(school: School, data: dict, *, date_from: dt.date, date_to: dt.date, year_end: dt.date) -> Analysis:
    pupils_qs = filtered_pupils(school, data)
    per_pupil = pupil_figures(school=school, date_from=date_from, date_to=date_to, pupils=pupils_qs)
    window = recent_window(school, date_to)
    recent = pupil_figures(school=school, date_from=window[0], date_to=window[1], pupils=pupils_qs) if window else {}
    remaining = remaining_sessions(school, date_to, year_end)
    weekdays = weekday_absence(school, date_from, date_to, pupils_qs)
    people = {p.pk: p for p in pupils_qs.filter(pk__in=list(per_pupil)).select_related("group")}
    rows = []
    for pid, fig in per_pupil.items():
        if pid not in people or not fig.possible:
            continue
        row = PupilAnalysis(people[pid], fig, weekdays.get(pid, [0] * 5))
        row.at_risk, row.projected = at_risk(fig, recent.get(pid), remaining)
        r = recent.get(pid)
        row.recent = r.attendance_percent if r else None
        rows.append(row)
    rows.sort(key=lambda r: (r.figures.attendance_percent, r.pupil.legal_surname))
    show = data.get("show") or "all"
    listed = [
        r
        for r in rows
        if show == "all"
        or (show == "pa" and r.figures.persistent)
        or (show == "sa" and r.figures.severe)
        or (show == "risk" and r.at_risk)
    ]
    whole = Group.of("Selected pupils", per_pupil)
    by_year: dict[int, dict] = {}
    for r in rows:
        by_year.setdefault(r.pupil.year, {})[r.pupil.pk] = r.figures
    years = [Group.of(year_label(y), figs) for y, figs in sorted(by_year.items())]
    late = sorted(
        (r for r in rows if r.figures.late_before_close or r.figures.late_after_close),
        key=lambda r: (-(r.figures.late_before_close + r.figures.late_after_close), -r.figures.minutes_late),
    )
    totals = [sum(r.weekday_absence[i] for r in rows) for i in range(5)]
    return Analysis(date_from, date_to, whole, listed, years, late, totals)
