"""The trust view: each school's figures for the period of the same name, side by side, and the
trust's combined figures, suppressed within and across schools."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from registers.models import School
from registers.selectors import pupils_on_roll

from ..suppression import suppress_set, total_must_hide
from .cohorts import Dimension, Group, cohort_dimensions, headline_group, suppress_groups, suppress_headline
from .periods import Period, resolve_period


@dataclass
class TrustColumn:
    school: School | None
    period: Period | None
    headline: Group
    dimensions: list[Dimension]


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


def trust_report(trust, key: str | None, today: dt.date | None = None) -> TrustReport:
    """Each school's figures for the period of the same name, side by side, and combined.

    Cohort rows use a common set of year groups (Reception to Year 13 as present anywhere) so
    the rows line up. Each school's cells are suppressed on its own; the combined cells are
    suppressed on the combined counts, and across schools a lone hidden cell takes a partner."""
    today = today or timezone.localdate()
    schools = list(School.objects.filter(trust=trust).order_by("name"))
    columns, missing = [], []
    resolved = []
    for school in schools:
        period = resolve_period(school, key, today)
        if period is None:
            missing.append(school)
            continue
        resolved.append((school, period))
    years: set[int] = set()
    rolls = {}
    for school, period in resolved:
        rolls[school.pk] = pupils_on_roll(school=school, date_from=period.date_from, date_to=period.date_to)
        years |= set(rolls[school.pk].values_list("year", flat=True))
    definitions = cohort_dimensions(sorted(years))
    for school, period in resolved:
        headline, per_pupil = headline_group(school, period.date_from, period.date_to)
        dims = []
        for name, defs in definitions:
            groups = [
                Group.of(label, per_pupil, set(rolls[school.pk].filter(q).values_list("id", flat=True)))
                for label, q in defs
            ]
            suppress_groups(groups)
            dims.append(Dimension(name, groups))
        columns.append(TrustColumn(school, period, headline, dims))
    if columns:
        total = columns[0].headline
        for c in columns[1:]:
            total = total + c.headline
        total.label = "All schools"
        suppress_headline(total)
        dims = []
        for d_index, (name, _defs) in enumerate(definitions):
            groups = []
            for g_index in range(len(columns[0].dimensions[d_index].groups)):
                g = columns[0].dimensions[d_index].groups[g_index]
                for c in columns[1:]:
                    g = g + c.dimensions[d_index].groups[g_index]
                groups.append(g)
            suppress_groups(groups)
            dims.append(Dimension(name, groups))
        # Across schools: the combined row is shown, so the schools' rows for a cohort are a set
        # that adds up to it. Hiding a cell across schools can leave a lone hidden cell inside a
        # school's own dimension (and the other way round), so repeat until nothing changes.
        combined = TrustColumn(None, None, total, dims)

        def hidden_count():
            return sum(
                g.row.suppressed + g.pa.suppressed + g.sa.suppressed
                for c in [*columns, combined]
                for d in c.dimensions
                for g in d.groups
            )

        for _ in range(20):
            before = hidden_count()
            for d_index, _definition in enumerate(definitions):
                for g_index in range(len(dims[d_index].groups)):
                    cells = [c.dimensions[d_index].groups[g_index] for c in columns]
                    suppress_set([g.row for g in cells])
                    for g in cells:
                        if g.row.suppressed:
                            g.pa.hide(g.row.reason)
                            g.sa.hide(g.row.reason)
                    suppress_set([g.pa for g in cells])
                    suppress_set([g.sa for g in cells])
                    if total_must_hide([g.row for g in cells]):
                        dims[d_index].groups[g_index].row.hide("the only school with these pupils has fewer than 5")
            for c in [*columns, combined]:
                for d in c.dimensions:
                    suppress_groups(d.groups)
            if hidden_count() == before:
                break
        columns.append(combined)
    return TrustReport(trust, key or "", columns, missing)
