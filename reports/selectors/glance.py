"""Attendance at a glance, the home page of governors and trust leaders: each of their schools'
figures for this academic year to date, as the governors' report for the year shows them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from registers.calendar import academic_year_for
from registers.models import School

from .cohorts import Group
from .governors import school_tables
from .periods import Period, resolve_period


@dataclass
class SchoolSummary:
    school: School
    period: Period | None
    headline: Group | None

    @property
    def suppressed(self) -> bool:
        return self.headline is None or self.headline.hidden


def school_summary(school: School) -> SchoolSummary:
    """This academic year to date: the report's own headline cells for the year (the same
    `school_tables`), so the tile hides whatever the report hides, 1 severely absent pupil
    included."""
    today = timezone.localdate()
    year = academic_year_for(school, today)
    period = resolve_period(school, f"year:{year.name}", today) if year else None
    if period is None:
        return SchoolSummary(school=school, period=None, headline=None)
    return SchoolSummary(school=school, period=period, headline=school_tables(school, period).headline)


def school_summaries(staff) -> list[SchoolSummary]:
    """A trust leader's every school of the trust; a governor's own school."""
    if staff.trust_id:
        schools = list(School.objects.filter(trust_id=staff.trust_id).order_by("name"))
    else:
        schools = [staff.school]
    return [school_summary(s) for s in schools if s is not None]
