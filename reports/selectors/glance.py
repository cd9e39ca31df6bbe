"""Attendance at a glance, the home page of governors and trust leaders: each of their schools'
figures for this academic year to date, no names, a school with too few pupils suppressed."""

from __future__ import annotations

from dataclasses import dataclass, field

from registers.models import School
from registers.selectors import AttendanceFigures, YearToDate, pupil_figures, total_figures, year_to_date

from ..suppression import THRESHOLD


@dataclass
class SchoolSummary:
    school: School
    period: YearToDate
    pupils: int
    figures: AttendanceFigures
    persistent: int
    severe: int
    suppressed: bool = field(default=False)


def school_summary(school: School) -> SchoolSummary:
    """Aggregate figures for this academic year to date: no names, small cohorts suppressed."""
    period = year_to_date(school)
    per_pupil = pupil_figures(school=school, date_from=period.date_from, date_to=period.date_to)
    pupils = sum(1 for f in per_pupil.values() if f.possible)
    figures = total_figures(school=school, date_from=period.date_from, date_to=period.date_to)
    return SchoolSummary(
        school=school,
        period=period,
        pupils=pupils,
        figures=figures,
        persistent=sum(1 for f in per_pupil.values() if f.persistent),
        severe=sum(1 for f in per_pupil.values() if f.severe),
        suppressed=pupils < THRESHOLD,
    )


def school_summaries(staff) -> list[SchoolSummary]:
    """A trust leader's every school of the trust; a governor's own school."""
    if staff.trust_id:
        schools = list(School.objects.filter(trust_id=staff.trust_id).order_by("name"))
    else:
        schools = [staff.school]
    return [school_summary(s) for s in schools if s is not None]
