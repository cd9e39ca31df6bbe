"""Lesson attendance for leaders (secondary timetables): by subject, by period of the day and by
teaching group (the teacher's class), and post-registration truancy (internal-truancy alerts per
100 pupil-lessons; pupils with at least one alert), over a range of dates, for the selected
year group. The figures are pupil-lessons: one lesson mark is one pupil in one lesson.

A fixed number of grouped queries whatever the number of pupils, lessons or groups (one per
table, one for the alerts, one for the total, one for the teachers, one for the pupils).

Small numbers: a row about 1 to 4 pupils is shown as a dash, and so is whatever else a reader
could subtract it from. The three tables and the total are sums of the same pupil-lessons
(every subject, every period and every class add up to the total, and a subject's classes add
up to the subject), so a hidden row must not follow from the shown ones by sums and
differences across all the tables at once (`reports.suppression.Publication.solvable`); until it
does not, the smallest shown row beside it is hidden too."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q

from lessons.models import LessonMark, TeachingGroup, TruancyAlert
from registers.models import AttendanceCode, School
from registers.selectors import on_roll

from ..suppression import SECONDARY, Cell, Publication, suppress_cell, too_few

CAT = AttendanceCode.Category
LATE_CODES = ("L", "U")
TOP_PUPILS = 25
SUBJECT = "register__lesson__group__subject"
PERIOD = "register__lesson__period__name"
GROUP = "register__lesson__group_id"
AGGREGATES = {
    "pupils": Count("pupil_id", distinct=True),
    "lessons": Count("id"),
    "attended": Count("id", filter=Q(code__category__in=[CAT.PRESENT, CAT.APPROVED])),
    "absent": Count("id", filter=Q(code__category__in=[CAT.AUTHORISED, CAT.UNAUTHORISED])),
    "unauthorised": Count("id", filter=Q(code__category=CAT.UNAUTHORISED)),
    "late": Count("id", filter=Q(code__code__in=LATE_CODES)),
}


@dataclass(eq=False)
class Row:
    """One subject, period or class: pupil-lessons and what became of them."""

    label: str
    pupils: int = 0
    lessons: int = 0
    attended: int = 0
    absent: int = 0
    unauthorised: int = 0
    late: int = 0
    alerts: int = 0
    subject: str = ""  # a class's subject
    detail: str = ""  # a class's subject and teachers
    starts: dt.time | None = None  # a period's (earliest) start
    cell: Cell = field(default=None)

    def __post_init__(self):
        self.cell = Cell(self, self.pupils, label=self.label)

    @property
    def hidden(self) -> bool:
        return self.cell.suppressed

    @property
    def attendance_percent(self) -> float | None:
        return round(100 * self.attended / self.lessons, 1) if self.lessons else None

    @property
    def late_percent(self) -> float | None:
        return round(100 * self.late / self.lessons, 1) if self.lessons else None

    @property
    def alert_rate(self) -> float | None:
        """Internal-truancy alerts per 100 pupil-lessons."""
        return round(100 * self.alerts / self.lessons, 2) if self.lessons else None


@dataclass
class LessonAnalysis:
    date_from: dt.date
    date_to: dt.date
    total: Row
    by_subject: list[Row]
    by_period: list[Row]
    by_group: list[Row]
    pupils_with_alerts: Cell
    truants: list[dict]

    @property
    def empty(self) -> bool:
        return not self.total.lessons


def _marks(school: School, date_from: dt.date, date_to: dt.date, year: int | None):
    marks = LessonMark.objects.filter(school=school, date__range=(date_from, date_to), code__possible=True)
    if year is not None:
        marks = marks.filter(pupil__year=year)
    return marks.filter(on_roll())


def _alerts(school: School, date_from: dt.date, date_to: dt.date, year: int | None):
    alerts = TruancyAlert.objects.filter(school=school, date__range=(date_from, date_to))
    if year is not None:
        alerts = alerts.filter(pupil__year=year)
    return alerts.filter(on_roll())


def _rows(marks, key: str) -> dict:
    """One row per value of `key` (subject, period name, class), with its first start time."""
    values = marks.values(key).annotate(**AGGREGATES, starts=Min("register__lesson__period__starts")).order_by()
    return {r[key]: Row(str(r[key]), starts=r["starts"], **{name: r[name] for name in AGGREGATES}) for r in values}


def lesson_analysis(school: School, *, date_from: dt.date, date_to: dt.date, year: int | None = None) -> LessonAnalysis:
    marks = _marks(school, date_from, date_to, year)
    total = Row("All lessons", **marks.aggregate(**AGGREGATES))
    subjects, periods, groups = _rows(marks, SUBJECT), _rows(marks, PERIOD), _rows(marks, GROUP)

    # the alerts, summed into each table (one grouped query)
    alerts = _alerts(school, date_from, date_to, year)
    for r in alerts.values(SUBJECT, PERIOD, GROUP).annotate(n=Count("id")).order_by():
        total.alerts += r["n"]
        for table, key in ((subjects, SUBJECT), (periods, PERIOD), (groups, GROUP)):
            if r[key] in table:
                table[r[key]].alerts += r["n"]

    # the classes' names, subjects and teachers (one query)
    teachers = defaultdict(list)
    for pk, name, subject, title, first, last in TeachingGroup.objects.filter(pk__in=list(groups)).values_list(
        "pk", "name", "subject", "teachers__title", "teachers__user__first_name", "teachers__user__last_name"
    ):
        groups[pk].label, groups[pk].subject, groups[pk].cell.label = name, subject, name
        if last:
            teachers[pk].append(" ".join(part for part in (title, first[:1], last) if part))
    for pk, row in groups.items():
        row.detail = " · ".join([row.subject, *sorted(teachers[pk])])

    by_subject = sorted(subjects.values(), key=lambda r: r.label)
    by_period = sorted(periods.values(), key=lambda r: (r.starts, r.label))
    by_group = sorted(groups.values(), key=lambda r: (r.subject, r.label))

    pub = Publication()
    for table in (by_subject, by_period, by_group):
        pub.relate(total.cell, [r.cell for r in table])
    for subject, row in subjects.items():
        pub.relate(row.cell, [g.cell for g in by_group if g.subject == subject])
    protect(pub, total.cell)

    with_alerts = alerts.aggregate(n=Count("pupil_id", distinct=True))["n"]
    pupils_with_alerts = suppress_cell(Cell(with_alerts, with_alerts, label="Pupils with an alert"))
    if total.hidden:
        pupils_with_alerts.hide(SECONDARY)
    return LessonAnalysis(
        date_from,
        date_to,
        total,
        by_subject,
        by_period,
        by_group,
        pupils_with_alerts,
        [] if total.hidden else truants(alerts),
    )


def truants(alerts) -> list[dict]:
    """The pupils with the most internal-truancy alerts in the range, named (leaders only)."""
    rows = (
        alerts.values("pupil_id", "pupil__legal_forename", "pupil__preferred_forename", "pupil__legal_surname")
        .annotate(n=Count("id"), open=Count("id", filter=Q(state=TruancyAlert.State.OPEN)))
        .order_by("-n", "pupil__legal_surname")[:TOP_PUPILS]
    )
    return [
        {
            "pupil_id": r["pupil_id"],
            "name": f"{r['pupil__legal_surname']}, {r['pupil__preferred_forename'] or r['pupil__legal_forename']}",
            "alerts": r["n"],
            "open": r["open"],
        }
        for r in rows
    ]


def _leaks(pub: Publication) -> list[tuple[Cell, list[Cell]]]:
    """Sets in which a hidden row about 1 to 4 pupils follows from the shown ones, or whose
    hidden rows add up to a known figure about 1 to 4 pupils."""
    known, sums = pub.solvable()
    out = []
    for index, (total, parts) in enumerate(pub.relations):
        pinned = any(c.suppressed and too_few(c.pupils) and id(c) in known for c in (total, *parts))
        hidden = sum(p.pupils for p in parts if p.suppressed)
        if pinned or (index in sums and too_few(hidden)):
            out.append((total, parts))
    return out


def protect(pub: Publication, total: Cell) -> None:
    """Hide the rows about 1 to 4 pupils, then, while one can be worked out, the shown row
    beside it whose hiding stops that (the smallest first); everything when the total is small."""
    for cell in pub.cells.values():
        suppress_cell(cell)
    if total.suppressed:
        for cell in pub.cells.values():
            cell.hide(SECONDARY)
        return
    for _ in range(len(pub.cells)):
        leaks = _leaks(pub)
        if not leaks:
            return
        set_total, parts = leaks[0]
        candidates = sorted((p for p in parts if not p.suppressed and p.pupils), key=lambda c: c.pupils)
        if not set_total.suppressed and set_total is not total:
            candidates.append(set_total)
        if not candidates:
            others = (c for c in pub.cells.values() if not c.suppressed and c is not total and c.pupils)
            candidates = sorted(others, key=lambda c: c.pupils) or [total]
        for cell in candidates:
            cell.hide(SECONDARY)
            if (set_total, parts) not in _leaks(pub):
                break
            cell.suppressed, cell.reason = False, ""
        else:
            candidates[0].hide(SECONDARY)
