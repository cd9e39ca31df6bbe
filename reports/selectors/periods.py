"""The periods a report covers: a term, a half-term or a year to date, named the same way in every
school of a trust, and the same stretch a year earlier."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from registers.models import AcademicYear, School, SchoolDay, Term


@dataclass
class Period:
    """A term, a half-term or a year to date, by name so that it means the same thing in every
    school of a trust: `term:2026/27:Autumn`, `half:2026/27:2`, `year:2026/27`."""

    key: str
    kind: str
    label: str
    academic_year: AcademicYear
    date_from: dt.date
    date_to: dt.date  # capped at today: "to date"
    end: dt.date  # the period's last school day
    school_days: int = 0

    @property
    def to_date(self) -> bool:
        return self.date_to < self.end


def _days(school: School, **filters):
    return SchoolDay.objects.filter(school=school, **filters).order_by("date")


def _make(school, key, kind, label, year, days_qs, today) -> Period | None:
    dates = list(days_qs.values_list("date", flat=True))
    if not dates:
        return None
    upto = [d for d in dates if d <= today]
    if not upto:
        return None
    return Period(key, kind, label, year, dates[0], upto[-1], dates[-1], len(upto))


def resolve_period(school: School, key: str | None, today: dt.date | None = None) -> Period | None:
    today = today or timezone.localdate()
    if not key:
        return default_period(school, today)
    kind, _, rest = key.partition(":")
    year_name, _, part = rest.partition(":")
    year = AcademicYear.objects.filter(school=school, name=year_name).first()
    if year is None:
        return None
    if kind == "year":
        return _make(
            school,
            key,
            kind,
            f"Academic year {year.name}" + ("" if year.end_date < today else " to date"),
            year,
            _days(school, term__academic_year=year),
            today,
        )
    if kind == "term":
        term = Term.objects.filter(school=school, academic_year=year, name=part).first()
        if term is None:
            return None
        return _make(school, key, kind, f"{term.name} term {year.name}", year, _days(school, term=term), today)
    if kind == "half" and part.isdigit():
        n = int(part)
        return _make(
            school,
            key,
            kind,
            f"Half-term {n} of {year.name}",
            year,
            _days(school, term__academic_year=year, half_term=n),
            today,
        )
    return None


def default_period(school: School, today: dt.date | None = None) -> Period | None:
    """The current term (or the last one with a school day up to today)."""
    today = today or timezone.localdate()
    day = (
        SchoolDay.objects.filter(school=school, date__lte=today)
        .select_related("term__academic_year")
        .order_by("-date")
        .first()
    )
    if day is None:
        return None
    return resolve_period(school, f"term:{day.term.academic_year.name}:{day.term.name}", today)


def available_periods(school: School, today: dt.date | None = None) -> list[Period]:
    """Every period with at least one school day up to today, newest first."""
    today = today or timezone.localdate()
    keys = []
    for year in AcademicYear.objects.filter(school=school, start_date__lte=today).order_by("-start_date"):
        keys.append(f"year:{year.name}")
        for term in Term.objects.filter(academic_year=year, start_date__lte=today).order_by("-start_date"):
            keys.append(f"term:{year.name}:{term.name}")
        halves = (
            SchoolDay.objects.filter(school=school, term__academic_year=year, date__lte=today)
            .values_list("half_term", flat=True)
            .distinct()
        )
        keys += [f"half:{year.name}:{n}" for n in sorted(set(halves), reverse=True)]
    return [p for k in keys if (p := resolve_period(school, k, today))]


def previous_year_name(name: str) -> str:
    start = int(name[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def same_period_last_year(school: School, period: Period) -> Period | None:
    """The same term / half-term / year a year earlier, cut to the same number of school days
    as this period has had so far (so a term to date is compared with the same stretch)."""
    kind, _, rest = period.key.partition(":")
    _, _, part = rest.partition(":")
    last_name = previous_year_name(period.academic_year.name)
    key = f"{kind}:{last_name}" + (f":{part}" if part else "")
    full = resolve_period(school, key, today=dt.date.max)
    if full is None:
        return None
    days = list(
        SchoolDay.objects.filter(school=school, date__range=(full.date_from, full.end))
        .order_by("date")
        .values_list("date", flat=True)[: period.school_days]
    )
    if not days:
        return None
    return Period(
        key, kind, full.label.replace(" to date", ""), full.academic_year, days[0], days[-1], full.end, len(days)
    )
