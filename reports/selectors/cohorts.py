"""Groups of pupils and their figures: cohorts by year group and characteristic (each dimension
partitions the pupils), the whole-school headline, and pupils by attendance band, with small
groups suppressed (reports/suppression.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import F, Q

from registers.selectors import AttendanceFigures, pupil_figures, with_year_on
from registers.years import year_label

from ..suppression import Cell, Publication, unpublished


def pct(part, whole) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


SEN_LABELS = {"N": "No SEN", "K": "SEN support", "E": "EHC plan"}
ETHNIC_GROUPS = [
    ("White", Q(ethnicity__startswith="W")),
    ("Mixed", Q(ethnicity__startswith="M")),
    ("Asian or Asian British", Q(ethnicity__startswith="A")),
    ("Black or Black British", Q(ethnicity__startswith="B")),
    ("Chinese", Q(ethnicity="CHNE")),
    ("Any other ethnic group", Q(ethnicity__startswith="O")),
    ("Not known or refused", Q(ethnicity__in=["", "REFU", "NOBT"])),
]


def cohort_dimensions(years: list[int]) -> list[tuple[str, list[tuple[str, Q]]]]:
    """Each dimension's cohorts partition the pupils: together they make the school total."""

    def yes_no(field_name, yes, no):
        return [(yes, Q(**{field_name: True})), (no, Q(**{field_name: False}))]

    return [
        ("Year group", [(year_label(y), Q(year_then=y)) for y in years]),  # partitions() annotates year_then
        ("Sex", [("Girls", Q(sex="F")), ("Boys", Q(sex="M"))]),
        ("Free school meals", yes_no("fsm", "Eligible for FSM", "Not eligible")),
        ("Special educational needs", [(label, Q(sen=code)) for code, label in SEN_LABELS.items()]),
        ("English as an additional language", yes_no("eal", "EAL", "English first language")),
        ("Looked-after children", yes_no("looked_after", "Looked after", "Not looked after")),
        ("Child in need", yes_no("child_in_need", "Child in need", "Not child in need")),
        ("Ethnicity", ETHNIC_GROUPS),
    ]


def compulsory_age_q(academic_year_start: dt.date) -> Q:
    """Pupils aged 5 to 15 on 31 August before the academic year (the DfE's basis)."""
    census_day = dt.date(academic_year_start.year, 8, 31)
    youngest = dt.date(census_day.year - 5, 8, 31)  # born on or before: at least 5
    oldest = dt.date(census_day.year - 16, 9, 1)  # born on or after: at most 15
    return Q(date_of_birth__lte=youngest, date_of_birth__gte=oldest)


def age_on(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


# --- figures -----------------------------------------------------------------------------


@dataclass
class Group:
    """Figures for a set of pupils: sessions summed, PA and SA counted per pupil."""

    label: str
    pupils: int = 0
    figures: AttendanceFigures = field(default_factory=AttendanceFigures)
    persistent: int = 0
    severe: int = 0
    row: Cell | None = None
    pa: Cell | None = None
    sa: Cell | None = None

    @classmethod
    def of(cls, label: str, per_pupil: dict[int, AttendanceFigures], ids=None) -> Group:
        group = cls(label)
        for pid, fig in per_pupil.items():
            if ids is not None and pid not in ids:
                continue
            if not fig.possible:
                continue
            group.pupils += 1
            group.figures = group.figures + fig
            group.persistent += fig.persistent
            group.severe += fig.severe
        group.figures.by_code = {}
        group.reset_cells()
        return group

    def reset_cells(self):
        self.row = Cell(self.pupils, self.pupils)
        self.pa = Cell(self.persistent, self.persistent)
        self.sa = Cell(self.severe, self.severe)

    def __add__(self, other: Group) -> Group:
        g = Group(self.label, self.pupils + other.pupils, self.figures + other.figures)
        g.persistent, g.severe = self.persistent + other.persistent, self.severe + other.severe
        g.reset_cells()
        return g

    @property
    def hidden(self) -> bool:
        return bool(self.row and self.row.suppressed)

    @property
    def attendance(self):
        return None if self.hidden else self.figures.attendance_percent

    @property
    def absence(self):
        return None if self.hidden else self.figures.absence_percent

    @property
    def authorised(self):
        return None if self.hidden else self.figures.authorised_percent

    @property
    def unauthorised(self):
        return None if self.hidden else self.figures.unauthorised_percent

    @property
    def pa_rate(self):
        return None if self.hidden or self.pa.suppressed else pct(self.persistent, self.pupils)

    @property
    def sa_rate(self):
        return None if self.hidden or self.sa.suppressed else pct(self.severe, self.pupils)


@dataclass
class Dimension:
    name: str
    groups: list[Group]

    @property
    def gap(self) -> float | None:
        """Percentage points between the highest and lowest attendance shown."""
        shown = [g.attendance for g in self.groups if g.attendance is not None]
        return round(max(shown) - min(shown), 1) if len(shown) > 1 else None


def partitions(
    roll, years: list[int] | None = None, *, on: dt.date | None = None
) -> list[tuple[str, list[tuple[str, set[int]]]]]:
    """Each dimension's cohorts as sets of pupil ids on `roll` (a pupils queryset). Year groups are
    the years pupils were in `on` (the period's last day): last year's report keeps its year groups
    after the rollover has moved every pupil up."""
    if on is not None:
        roll = with_year_on(roll, on)
    elif "year_then" not in roll.query.annotations:
        roll = roll.annotate(year_then=F("year"))
    if years is None:
        years = sorted(set(roll.values_list("year_then", flat=True)))
    return [
        (name, [(label, set(roll.filter(q).values_list("id", flat=True))) for label, q in definitions])
        for name, definitions in cohort_dimensions(years)
    ]


def headline_group(school, date_from, date_to, pupils=None) -> tuple[Group, dict[int, AttendanceFigures]]:
    """The whole school's figures with its own cells checked (fewer than 5 pupils: hidden): what
    the at-a-glance page shows, and the same cells as the report's headline."""
    per_pupil = pupil_figures(school=school, date_from=date_from, date_to=date_to, pupils=pupils)
    group = Group.of("Whole school", per_pupil)
    publication = Publication()
    publication.depends(group.row, [group.pa, group.sa])
    publication.protect()
    return group, per_pupil


@dataclass
class CohortTables:
    """The report's tables about groups of pupils, checked together (reports/suppression.py):
    the headline, each dimension's cohorts, the attendance bands and the DfE basis."""

    headline: Group
    dimensions: list[Dimension]
    bands: list[Cell]
    dfe: Group | None
    outside_age: Cell | None
    publication: Publication


def cohort_tables(per_pupil: dict[int, AttendanceFigures], dimensions, dfe_ids: set[int] | None = None) -> CohortTables:
    """Build and protect every cohort figure of one school's report from the per-pupil figures
    (in memory: the property tests call this with generated schools). `dimensions` is
    `partitions(roll)`: each dimension's cohorts partition the pupils counted."""
    pub = Publication()
    headline = Group.of("Whole school", per_pupil)
    pub.depends(headline.row, [headline.pa, headline.sa])
    dims = []
    for name, cohorts_ in dimensions:
        groups = [Group.of(label, per_pupil, ids) for label, ids in cohorts_]
        for g in groups:
            pub.depends(g.row, [g.pa, g.sa])
        relate_groups(pub, headline, groups)
        dims.append(Dimension(name, groups))
    bands = band_cells(per_pupil)
    pub.relate(headline.row, bands)
    pub.relate(headline.pa, bands[3:])
    pub.relate(headline.sa, bands[4:])
    dfe = outside = None
    if dfe_ids is not None:
        dfe = Group.of("Pupils aged 5 to 15", per_pupil, dfe_ids)
        rest = Group.of("Younger or older", per_pupil, set(per_pupil) - set(dfe_ids))
        outside = rest.row
        # Only the DfE basis's rates and the number left out are shown; the other side's PA
        # count is not, but it is part of the whole school's, so it takes part in the sum.
        rest.pa = unpublished(rest.persistent)
        pub.depends(dfe.row, [dfe.pa])
        pub.relate(headline.row, [dfe.row, outside])
        pub.relate(headline.pa, [dfe.pa, rest.pa])
    pub.protect()
    return CohortTables(headline, dims, bands, dfe, outside, pub)


def relate_groups(pub: Publication, total: Group, groups: list[Group]) -> None:
    """`groups` partition `total`'s pupils: their pupils, PA and SA counts add up to its."""
    pub.relate(total.row, [g.row for g in groups])
    pub.relate(total.pa, [g.pa for g in groups])
    pub.relate(total.sa, [g.sa for g in groups])


BANDS = [
    "98% or more",
    "95% to under 98%",
    "Over 90% to under 95%",
    "Over 50% to 90% (persistent)",
    "50% or less (severe)",
]


def band_cells(per_pupil: dict[int, AttendanceFigures]) -> list[Cell]:
    """Pupils in each attendance band, with exact fractions and the same PA/SA tests as the
    statistics (absence of 10 % or more is persistent, so 90 % attendance is in the PA band).

    The bands add up to the pupils counted, the last two to the PA count and the last to the
    SA count: `cohort_tables` relates them so."""
    counts = [0] * len(BANDS)
    for fig in per_pupil.values():
        if not fig.possible:
            continue
        absent = Fraction(fig.absent, fig.possible) * 100
        if fig.severe:
            counts[4] += 1
        elif fig.persistent:
            counts[3] += 1
        elif absent <= 2:
            counts[0] += 1
        elif absent <= 5:
            counts[1] += 1
        else:
            counts[2] += 1
    return [Cell(n, n, label=label) for n, label in zip(counts, BANDS, strict=True)]
