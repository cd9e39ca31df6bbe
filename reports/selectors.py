"""Every figure of the governors' termly report, built from the register's statistics selectors.

The session counts come from `registers.selectors` (`counted_marks`, `pupil_figures`,
`total_figures`), so the report agrees with the pupil page, the dashboard and the checks.
Nothing loops over marks in Python: marks are aggregated in the database (per pupil, per
school day, per weekday and session, per code) and the small aggregated rows are then
arranged here. A cohort is a pupils queryset (a `Q` on Pupil); its figures are the sum of its
pupils' figures from one `pupil_figures` query, which is exactly `total_figures(pupils=…)`
for that cohort (tests/reports/test_selectors.py checks every cohort against it).

Governors see aggregates only: `apply_suppression` hides every cell about fewer than five
pupils, and the cells from which a hidden one could be worked out (reports/suppression.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.apps import apps
from django.db.models import Count, Q
from django.db.models.functions import ExtractWeekDay
from django.utils import timezone

from registers.models import AcademicYear, AttendanceCode, Enrolment, Pupil, School, SchoolDay, Term
from registers.selectors import AttendanceFigures, counted_marks, pupil_figures, pupils_on_roll
from registers.years import year_label

from .models import BenchmarkPhase, LocalBenchmark, NationalBenchmark, phase_for_school
from .suppression import SECONDARY, Cell, suppress_cell, suppress_set, too_few, total_must_hide

CAT = AttendanceCode.Category
WEEKDAYS = {2: "Monday", 3: "Tuesday", 4: "Wednesday", 5: "Thursday", 6: "Friday"}  # ExtractWeekDay: 1 = Sunday


def pct(part, whole) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


# --- periods -----------------------------------------------------------------------------


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
            f"Academic year {year.name} to date",
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


# --- cohorts -----------------------------------------------------------------------------

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
        ("Year group", [(year_label(y), Q(year=y)) for y in years]),
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


def suppress_groups(groups: list[Group], *, total_shown=True) -> None:
    """Hide rows about fewer than 5 pupils (and a partner row), then PA and SA counts of 1–4
    (and a partner count) among the rows left, across a set of rows that make a total."""
    suppress_set([g.row for g in groups], total_shown=total_shown)
    for g in groups:
        if g.row.suppressed:
            g.pa.hide(g.row.reason)
            g.sa.hide(g.row.reason)
    suppress_set([g.pa for g in groups], total_shown=total_shown)
    suppress_set([g.sa for g in groups], total_shown=total_shown)


def suppress_headline(group: Group) -> None:
    suppress_cell(group.row)
    if group.row.suppressed:
        group.pa.hide(group.row.reason)
        group.sa.hide(group.row.reason)
    suppress_cell(group.pa)
    suppress_cell(group.sa)


@dataclass
class Dimension:
    name: str
    groups: list[Group]

    @property
    def gap(self) -> float | None:
        """Percentage points between the highest and lowest attendance shown."""
        shown = [g.attendance for g in self.groups if g.attendance is not None]
        return round(max(shown) - min(shown), 1) if len(shown) > 1 else None


def cohorts(school, period_from, period_to, per_pupil, roll) -> list[Dimension]:
    years = sorted(set(roll.values_list("year", flat=True)))
    result = []
    for name, definitions in cohort_dimensions(years):
        groups = []
        for label, q in definitions:
            ids = set(roll.filter(q).values_list("id", flat=True))
            groups.append(Group.of(label, per_pupil, ids))
        suppress_groups(groups)
        result.append(Dimension(name, groups))
    return result


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
        suppress_set([u.cell for u in uses])
    order = [CAT.PRESENT, CAT.APPROVED, CAT.AUTHORISED, CAT.UNAUTHORISED]
    return {CAT(c).label: grouped[c] for c in order if c in grouped}


BANDS = [
    "98% or more",
    "95% to under 98%",
    "Over 90% to under 95%",
    "Over 50% to 90% (persistent)",
    "50% or less (severe)",
]


def band_distribution(per_pupil: dict[int, AttendanceFigures], headline: Group | None = None) -> list[Cell]:
    """Pupils in each attendance band, with exact fractions and the same PA/SA tests as the
    statistics (absence of 10 % or more is persistent, so 90 % attendance is in the PA band).

    The bands add up to the pupils counted, so they are suppressed as a set; and the last two
    add up to the headline PA count, so if one of them is hidden while that count is shown,
    the other is hidden too."""
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
    cells = [Cell(n, n) for n in counts]
    for cell, label in zip(cells, BANDS, strict=True):
        cell.label = label
    suppress_set(cells)
    pa_shown = headline is None or not headline.pa.suppressed
    if pa_shown and cells[3].suppressed != cells[4].suppressed:
        for cell in cells[3:]:
            cell.hide(SECONDARY)
    return cells


# --- benchmarks --------------------------------------------------------------------------


def benchmarks_for(school: School):
    """The latest national figures for the school's phase (falling back to all schools), and the
    latest local figures the school has entered."""
    phase = phase_for_school(school)
    national = (
        NationalBenchmark.objects.filter(phase=phase).order_by("-academic_year").first()
        or NationalBenchmark.objects.filter(phase=BenchmarkPhase.ALL).order_by("-academic_year").first()
    )
    local = LocalBenchmark.objects.filter(school=school).order_by("-academic_year").first()
    return [b for b in (national, local) if b is not None]


# --- interventions (optional) --------------------------------------------------------------


def intervention_figures(school, date_from, date_to) -> dict | None:
    """Numbers only, from the interventions app when it is installed and has its models;
    None otherwise (the report then says the figures appear once cases are recorded). Each
    count is a cell about that many families, so counts of 1–4 are suppressed."""
    if not apps.is_installed("interventions"):
        return None
    try:
        Case = apps.get_model("interventions", "Case")
        PenaltyNotice = apps.get_model("interventions", "PenaltyNotice")
        NoticeToImprove = apps.get_model("interventions", "NoticeToImprove")
    except LookupError:
        return None
    span = (date_from, date_to)
    try:
        cases = Case.objects.filter(school=school)
        figures = {"Cases opened": cases.filter(opened_on__range=span).count()}
        by_stage = (
            cases.filter(opened_on__range=span, stage__isnull=False).values("stage").annotate(n=Count("id")).order_by()
        )
        stages = {
            stage.pk: str(stage)
            for stage in Case._meta.get_field("stage").related_model.objects.filter(
                pk__in=[r["stage"] for r in by_stage]
            )
        }
        for row in by_stage:
            figures[f"Cases opened at stage: {stages.get(row['stage'], row['stage'])}"] = row["n"]
        figures["Cases closed"] = cases.filter(closed_on__range=span).count()
        figures["Notices to improve issued"] = NoticeToImprove.objects.filter(
            case__school=school, issued_on__range=span
        ).count()
        notices = PenaltyNotice.objects.filter(school=school)
        figures["Penalty notices issued"] = notices.filter(issued_on__range=span).count()
        figures["Penalty notices paid"] = notices.filter(paid_on__range=span).count()
        figures["Penalty notices withdrawn (of those issued)"] = notices.filter(
            issued_on__range=span, status="withdrawn"
        ).count()
    except Exception:  # the other app's schema is still moving; never break the report
        return None
    return {label: suppress_cell(Cell(n, n)) for label, n in figures.items()}


# --- the report ----------------------------------------------------------------------------


@dataclass
class Calculation:
    """How a headline figure is worked out, so it can be reconciled with the DfE's figures."""

    pupils: int
    possible: int
    absent: int
    authorised: int
    unauthorised: int
    attended: int
    persistent: int
    severe: int
    date_from: dt.date
    date_to: dt.date
    school_days: int
    possible_codes: list[str]
    not_possible_codes: list[str]
    subsidiary_excluded: int
    dfe_basis: Group | None = None
    dfe_excluded: int = 0


@dataclass
class GovernorsReport:
    school: School
    period: Period
    headline: Group
    calculation: Calculation
    dimensions: list[Dimension]
    weeks: list[Week]
    last_year: Period | None
    last_year_headline: Group | None
    last_year_weeks: list[Week]
    weekdays: list[SessionPattern]
    sessions: list[SessionPattern]
    codes: dict[str, list[CodeUse]]
    bands: list[Cell]
    benchmarks: list
    interventions: dict | None
    generated: dt.datetime = field(default_factory=timezone.now)

    @property
    def year_groups(self) -> Dimension:
        return self.dimensions[0]

    @property
    def suppressed_any(self) -> bool:
        cells = [self.headline.row, self.headline.pa, self.headline.sa, *self.bands]
        for d in self.dimensions:
            for g in d.groups:
                cells += [g.row, g.pa, g.sa]
        for uses in self.codes.values():
            cells += [u.cell for u in uses]
        return any(c.suppressed for c in cells)


def headline_group(school, date_from, date_to, pupils=None) -> tuple[Group, dict[int, AttendanceFigures]]:
    per_pupil = pupil_figures(school=school, date_from=date_from, date_to=date_to, pupils=pupils)
    group = Group.of("Whole school", per_pupil)
    suppress_headline(group)
    return group, per_pupil


def calculation_for(school, period: Period, headline: Group, per_pupil) -> Calculation:
    codes = AttendanceCode.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=period.date_to),
        Q(valid_to__isnull=True) | Q(valid_to__gte=period.date_from),
    )
    subsidiary = (
        Enrolment.objects.filter(
            pupil__school=school, registration=Enrolment.Registration.SUBSIDIARY, admission_date__lte=period.date_to
        )
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gte=period.date_from))
        .values("pupil")
        .distinct()
        .count()
    )
    dfe_ids = set(
        Pupil.objects.filter(school=school)
        .filter(compulsory_age_q(period.academic_year.start_date))
        .values_list("id", flat=True)
    )
    dfe = Group.of("Pupils aged 5 to 15", per_pupil, dfe_ids)
    suppress_headline(dfe)
    excluded = headline.pupils - dfe.pupils
    if too_few(excluded):
        # The whole school minus the 5-to-15s would give away the few pupils outside that age.
        dfe.row.hide(SECONDARY)
        dfe.pa.hide(SECONDARY)
        dfe.sa.hide(SECONDARY)
    f = headline.figures
    return Calculation(
        pupils=headline.pupils,
        possible=f.possible,
        absent=f.absent,
        authorised=f.authorised,
        unauthorised=f.unauthorised,
        attended=f.attended,
        persistent=headline.persistent,
        severe=headline.severe,
        date_from=period.date_from,
        date_to=period.date_to,
        school_days=period.school_days,
        possible_codes=sorted({c.code for c in codes if c.possible}),
        not_possible_codes=sorted({c.code for c in codes if not c.possible}),
        subsidiary_excluded=subsidiary,
        dfe_basis=dfe,
        dfe_excluded=excluded,
    )


def governors_report(school: School, period: Period) -> GovernorsReport:
    d1, d2 = period.date_from, period.date_to
    headline, per_pupil = headline_group(school, d1, d2)
    roll = pupils_on_roll(school=school, date_from=d1, date_to=d2)
    last = same_period_last_year(school, period)
    last_headline, last_weeks = None, []
    if last is not None:
        last_headline, _ = headline_group(school, last.date_from, last.date_to)
        if last_headline.pupils:
            last_weeks = weekly_trend(school, last.date_from, last.date_to)
        else:
            last_headline = None
    weekdays, sessions = day_patterns(school, d1, d2)
    return GovernorsReport(
        school=school,
        period=period,
        headline=headline,
        calculation=calculation_for(school, period, headline, per_pupil),
        dimensions=cohorts(school, d1, d2, per_pupil, roll),
        weeks=weekly_trend(school, d1, d2),
        last_year=last,
        last_year_headline=last_headline,
        last_year_weeks=last_weeks,
        weekdays=weekdays,
        sessions=sessions,
        codes=code_usage(school, d1, d2),
        bands=band_distribution(per_pupil, headline),
        benchmarks=benchmarks_for(school),
        interventions=intervention_figures(school, d1, d2),
    )


# --- the trust view --------------------------------------------------------------------------


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
