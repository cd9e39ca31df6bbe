"""Attendance at a glance, the home page of governors and trust leaders: each of their schools'
figures for this academic year to date, no names, a school with too few pupils suppressed."""

from __future__ import annotations

from dataclasses import dataclass

from registers.models import School
from registers.selectors import YearToDate, year_to_date

from .cohorts import Group, headline_group


@dataclass
class SchoolSummary:
    school: School
    period: YearToDate
    headline: Group

    @property
    def suppressed(self) -> bool:
        return self.headline.hidden


def school_summary(school: School) -> SchoolSummary:
    """This academic year to date: the whole school's cells as the report's headline shows
    them (the same `headline_group`), so a count of 1 to 4 pupils is a dash here too."""
    period = year_to_date(school)
    headline, _ = headline_group(school, period.date_from, period.date_to)
    return SchoolSummary(school=school, period=period, headline=headline)


def school_summaries(staff) -> list[SchoolSummary]:
    """A trust leader's every school of the trust; a governor's own school."""
    if staff.trust_id:
        schools = list(School.objects.filter(trust_id=staff.trust_id).order_by("name"))
    else:
        schools = [staff.school]
    return [school_summary(s) for s in schools if s is not None]
