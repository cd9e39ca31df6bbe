"""The trust view: each school's figures for the period of the same name, side by side, and the
trust's combined figures, suppressed within and across schools."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from registers.models import School
from registers.selectors import pupil_figures, pupils_on_roll, with_year_on

from ..suppression import Cell, Publication
from .cohorts import Dimension, Group, cohort_tables, partitions, relate_groups
from .governors import dfe_pupils
from .periods import Period, resolve_period
from .trends import Week, weekly_trend


@dataclass
class TrustColumn:
    school: School | None
    period: Period | None
    headline: Group
    dimensions: list[Dimension]
    bands: list[Cell]
    weeks: list[Week]


@dataclass
class TrustReport:
    trust: object
    key: str
    columns: list[TrustColumn]  # one per school, then the combined column
    missing: list[School]

    @property
    def combined(self) -> TrustColumn:
        return self.columns[-1]

    def rows(self):
        """(dimension name, cohort label, [Group per column]) for the side-by-side table."""
        first = self.columns[0]
        for d_index, dimension in enumerate(first.dimensions):
            for g_index, group in enumerate(dimension.groups):
                yield dimension.name, group.label, [c.dimensions[d_index].groups[g_index] for c in self.columns]


def combined_weeks(columns: list[TrustColumn]) -> list[Week]:
    """Sessions summed by the school week of the period (each school in its own calendar)."""
    by_index: dict[int, Week] = {}
    for column in columns:
        for w in column.weeks:
            c = by_index.get(w.index)
            if c is None:
                by_index[w.index] = Week(w.index, w.index, w.monday, w.possible, w.absent, w.authorised, w.unauthorised)
            else:
                c.possible += w.possible
                c.absent += w.absent
                c.authorised += w.authorised
                c.unauthorised += w.unauthorised
                c.monday = min(c.monday, w.monday)
    return [by_index[i] for i in sorted(by_index)]


def trust_report(trust, key: str | None, today: dt.date | None = None) -> TrustReport:
    """Each school's figures for the period of the same name, side by side, and combined.

    Each school's column is exactly its own governors' report (the same `cohort_tables`, with
    rows for the year groups any school has, so the rows line up): a trust leader can open that
    report too, so hiding more of a school's figures here would protect nothing. Those cells are
    therefore fixed, and it is the combined column that is hidden wherever it, less the schools'
    shown figures, would give a hidden one away (reports/suppression.py)."""
    today = today or timezone.localdate()
    schools = list(School.objects.filter(trust=trust).order_by("name"))
    missing, resolved, rolls = [], [], {}
    for school in schools:
        period = resolve_period(school, key, today)
        if period is None:
            missing.append(school)
            continue
        resolved.append((school, period))
        # the years pupils were in at the period's end (a past year's report outlives the rollover)
        roll = pupils_on_roll(school=school, date_from=period.date_from, date_to=period.date_to)
        rolls[school.pk] = with_year_on(roll, period.date_to)
    years = sorted({y for roll in rolls.values() for y in roll.values_list("year_then", flat=True)})
    columns: list[TrustColumn] = []
    publication = Publication()
    for school, period in resolved:
        per_pupil = pupil_figures(school=school, date_from=period.date_from, date_to=period.date_to)
        tables = cohort_tables(per_pupil, partitions(rolls[school.pk], years), dfe_pupils(school, period))
        for cell in tables.publication.cells.values():
            cell.fixed = True
        publication.relations += tables.publication.relations
        publication.dependents += tables.publication.dependents
        publication.add(*tables.publication.cells.values())
        weeks = weekly_trend(school, period.date_from, period.date_to)
        columns.append(TrustColumn(school, period, tables.headline, tables.dimensions, tables.bands, weeks))
    if columns:
        columns.append(combine(columns, publication))
        publication.protect()
    return TrustReport(trust, key or "", columns, missing)


def combine(columns: list[TrustColumn], publication: Publication) -> TrustColumn:
    """The trust's column: every figure the sum of the schools', related both ways (to the
    schools' figures and to the trust's own totals) for `publication` to check."""

    def total_of(groups: list[Group], label: str) -> Group:
        total = Group(label)
        for g in groups:
            total = total + g
        publication.depends(total.row, [total.pa, total.sa])
        publication.relate(total.row, [g.row for g in groups])
        publication.relate(total.pa, [g.pa for g in groups])
        publication.relate(total.sa, [g.sa for g in groups])
        return total

    headline = total_of([c.headline for c in columns], "All schools")
    dims = []
    for d_index, dimension in enumerate(columns[0].dimensions):
        groups = [
            total_of([c.dimensions[d_index].groups[g_index] for c in columns], g.label)
            for g_index, g in enumerate(dimension.groups)
        ]
        relate_groups(publication, headline, groups)
        dims.append(Dimension(dimension.name, groups))
    bands = []
    for b_index, band in enumerate(columns[0].bands):
        parts = [c.bands[b_index] for c in columns]
        cell = Cell(sum(p.value for p in parts), sum(p.pupils for p in parts), label=band.label)
        publication.relate(cell, parts)
        bands.append(cell)
    publication.relate(headline.row, bands)
    publication.relate(headline.pa, bands[3:])
    publication.relate(headline.sa, bands[4:])
    return TrustColumn(None, None, headline, dims, bands, combined_weeks(columns))
