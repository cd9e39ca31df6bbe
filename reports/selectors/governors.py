"""The governors' termly report: every figure of it, from the period, cohort, trend and benchmark
selectors, with how the headline is calculated and (numbers only) the interventions recorded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, Q
from django.utils import timezone

from registers.models import AttendanceCode, Enrolment, Pupil, School
from registers.selectors import pupil_figures, pupils_on_roll

from ..suppression import Cell, Publication, unpublished
from .benchmarks import benchmarks_for
from .cohorts import CohortTables, Dimension, Group, cohort_tables, compulsory_age_q, headline_group, partitions
from .periods import Period, same_period_last_year
from .trends import CodeUse, SessionPattern, Week, code_usage, day_patterns, weekly_trend


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
    unstaged = 0
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
        unstaged = figures["Cases opened"] - sum(row["n"] for row in by_stage)
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
    cells = {label: Cell(n, n) for label, n in figures.items()}
    publication = Publication()
    publication.add(*cells.values())
    # The cases opened at each stage (and those with no stage, not shown) add up to those opened.
    stage_cells = [c for label, c in cells.items() if label.startswith("Cases opened at stage")]
    publication.relate(cells["Cases opened"], [*stage_cells, unpublished(unstaged)])
    publication.protect()
    return cells


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
    subsidiary_excluded: Cell
    dfe_basis: Group | None = None
    dfe_excluded: Cell | None = None


@dataclass
class GovernorsReport:
    school: School
    period: Period
    headline: Group
    calculation: Calculation
    dimensions: list[Dimension]
    tables: CohortTables
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


def dfe_pupils(school, period: Period) -> set[int]:
    """Pupils aged 5 to 15 on 31 August before the year: the DfE's basis for national figures."""
    return set(
        Pupil.objects.filter(school=school)
        .filter(compulsory_age_q(period.academic_year.start_date))
        .values_list("id", flat=True)
    )


def calculation_for(school, period: Period, tables: CohortTables) -> Calculation:
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
    subsidiary_cell = Cell(subsidiary, subsidiary)
    headline = tables.headline
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
        subsidiary_excluded=suppress_one(subsidiary_cell),
        dfe_basis=tables.dfe,
        dfe_excluded=tables.outside_age,
    )


def suppress_one(cell: Cell) -> Cell:
    publication = Publication()
    publication.add(cell)
    publication.protect()
    return cell


def school_tables(school: School, period: Period) -> CohortTables:
    """The report's cohort figures, protected together: the report, its PDF, the API and the
    at-a-glance tile all read these cells, so no one shows what another hides."""
    d1, d2 = period.date_from, period.date_to
    per_pupil = pupil_figures(school=school, date_from=d1, date_to=d2)
    roll = pupils_on_roll(school=school, date_from=d1, date_to=d2)
    return cohort_tables(per_pupil, partitions(roll, on=d2), dfe_pupils(school, period))


def governors_report(school: School, period: Period) -> GovernorsReport:
    d1, d2 = period.date_from, period.date_to
    tables = school_tables(school, period)
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
        headline=tables.headline,
        calculation=calculation_for(school, period, tables),
        dimensions=tables.dimensions,
        tables=tables,
        weeks=weekly_trend(school, d1, d2),
        last_year=last,
        last_year_headline=last_headline,
        last_year_weeks=last_weeks,
        weekdays=weekdays,
        sessions=sessions,
        codes=code_usage(school, d1, d2),
        bands=tables.bands,
        benchmarks=benchmarks_for(school),
        interventions=intervention_figures(school, d1, d2),
    )


def group_figures(g: Group) -> dict:
    """One row of a cohort table as a reader without names may read it (None: not shown)."""
    return {
        "label": g.label,
        "pupils": g.row.shown,
        "attendance_percent": g.attendance,
        "authorised_percent": g.authorised,
        "unauthorised_percent": g.unauthorised,
        "persistent": g.pa.shown,
        "persistent_percent": g.pa_rate,
        "severe": g.sa.shown,
        "severe_percent": g.sa_rate,
        "note": g.row.note or g.pa.note or g.sa.note,
    }


def published(report: GovernorsReport) -> dict:
    """Every pupil count and rate of the report's tables exactly as the page and the PDF show
    them: what the API gives governors and trust leaders, and what the disclosure tests attack."""
    return {
        "school": report.school.pk,
        "period": report.period.key,
        "label": report.period.label,
        "date_from": report.period.date_from,
        "date_to": report.period.date_to,
        "headline": group_figures(report.headline),
        "dimensions": [{"name": d.name, "groups": [group_figures(g) for g in d.groups]} for d in report.dimensions],
        "bands": [{"label": c.label, "pupils": c.shown, "note": c.note} for c in report.bands],
        "dfe_basis": group_figures(report.calculation.dfe_basis),
        "outside_ages": report.calculation.dfe_excluded.shown,
        "codes": [
            {
                "category": category,
                "code": u.code,
                "meaning": u.meaning,
                "sessions": u.cell.shown,
                "note": u.cell.note,
            }
            for category, uses in report.codes.items()
            for u in uses
        ],
    }
