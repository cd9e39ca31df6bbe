"""Every figure in the governors' report, checked against the register's statistics selectors
on a seeded school (tests/reports/conftest.py)."""

import datetime as dt

import pytest
from django.db.models import F

from registers.models import Pupil
from registers.selectors import pupil_figures, total_figures
from reports.models import NationalBenchmark
from reports.selectors.cohorts import cohort_dimensions, compulsory_age_q
from reports.selectors.governors import governors_report
from reports.selectors.periods import resolve_period, same_period_last_year
from reports.selectors.trust import trust_report
from tests.reports.conftest import DAYS, PERIOD, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(school, seeded):
    period = resolve_period(school, PERIOD, today=TODAY)
    return governors_report(school, period)


def same(a, b):
    fields = ("possible", "present", "approved_activity", "authorised", "unauthorised", "late_before_close")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def test_period_is_the_term_to_date(school, seeded):
    period = resolve_period(school, PERIOD, today=TODAY)
    assert period.date_from == dt.date(2025, 9, 4)  # 3 Sept is an INSET day
    assert period.date_to == TODAY and period.to_date
    assert period.label == "Autumn term 2025/26"


def test_headline_matches_total_figures(school, report):
    p = report.period
    totals = total_figures(school=school, date_from=p.date_from, date_to=p.date_to)
    assert same(report.headline.figures, totals)
    assert report.headline.attendance == totals.attendance_percent
    assert report.headline.authorised == totals.authorised_percent
    assert report.headline.unauthorised == totals.unauthorised_percent
    per_pupil = pupil_figures(school=school, date_from=p.date_from, date_to=p.date_to)
    assert report.headline.pupils == 15 == sum(1 for f in per_pupil.values() if f.possible)
    assert report.headline.persistent == sum(f.persistent for f in per_pupil.values()) == 12
    assert report.headline.severe == sum(f.severe for f in per_pupil.values()) == 4
    # 12 of 15 persistently absent would say that 3 are not: the 3 in the top band, hidden there.
    assert report.headline.pa_rate is None and report.headline.pa.suppressed
    assert report.bands[0].value == 3 and report.bands[0].suppressed
    c = report.calculation
    assert (c.possible, c.absent, c.authorised, c.unauthorised) == (
        totals.possible,
        totals.absent,
        totals.authorised,
        totals.unauthorised,
    )
    assert "#" in c.not_possible_codes and "I" in c.possible_codes


def test_every_cohort_matches_total_figures_for_its_pupils(school, report):
    p = report.period
    definitions = cohort_dimensions(sorted({3, 4, 5}))
    for dimension, (name, defs) in zip(report.dimensions, definitions, strict=True):
        assert dimension.name == name
        for group, (label, q) in zip(dimension.groups, defs, strict=True):
            pupils = Pupil.objects.filter(school=school).annotate(year_then=F("year")).filter(q)  # this year
            expected = total_figures(school=school, date_from=p.date_from, date_to=p.date_to, pupils=pupils)
            assert group.label == label
            assert same(group.figures, expected), (name, label)
            per_pupil = pupil_figures(school=school, date_from=p.date_from, date_to=p.date_to, pupils=pupils)
            assert group.pupils == len(per_pupil)
            assert group.persistent == sum(f.persistent for f in per_pupil.values())
            assert group.severe == sum(f.severe for f in per_pupil.values())
            if not group.hidden:
                assert group.attendance == expected.attendance_percent


def test_cohorts_of_4_5_and_6_pupils_in_the_report(report):
    years = {g.label: g for g in report.year_groups.groups}
    assert years["Year 3"].pupils == 6
    assert years["Year 5"].pupils == 4 and years["Year 5"].hidden and years["Year 5"].attendance is None
    # Year 4 (5 pupils) would give Year 5 away by subtraction from the school total.
    assert years["Year 4"].hidden
    sen = {g.label: g for g in report.dimensions[3].groups}
    assert sen["SEN support"].pupils == 6
    assert sen["EHC plan"].hidden and sen["No SEN"].hidden
    fsm = {g.label: g for g in report.dimensions[2].groups}
    assert fsm["Eligible for FSM"].pupils == 6 and fsm["Not eligible"].pupils == 9
    eal = {g.label: g for g in report.dimensions[4].groups}
    assert eal["EAL"].hidden and eal["English first language"].hidden


def test_weekly_trend_adds_up_and_each_week_matches(school, report):
    p = report.period
    assert sum(w.possible for w in report.weeks) == report.headline.figures.possible
    assert [w.index for w in report.weeks] == [2, 3]  # week 1 (4–5 Sept) has no marks
    for w in report.weeks:
        end = min(w.monday + dt.timedelta(days=6), p.date_to)
        expected = total_figures(school=school, date_from=max(w.monday, p.date_from), date_to=end)
        assert (w.possible, w.authorised, w.unauthorised) == (
            expected.possible,
            expected.authorised,
            expected.unauthorised,
        )


def test_day_of_week_and_sessions(school, report):
    totals = {d.label: d for d in report.weekdays}
    mondays = [d for d in DAYS if d.weekday() == 0]
    expected = sum(
        (total_figures(school=school, date_from=d, date_to=d) for d in mondays[1:]),
        total_figures(school=school, date_from=mondays[0], date_to=mondays[0]),
    )
    assert totals["Monday"].possible == expected.possible
    assert totals["Monday"].authorised == expected.authorised
    am, pm = report.sessions
    assert am.possible + pm.possible == report.headline.figures.possible
    assert am.late == report.headline.figures.late_before_close + report.headline.figures.late_after_close
    assert pm.late == 0


def test_code_usage_matches_by_code(school, report):
    p = report.period
    totals = total_figures(school=school, date_from=p.date_from, date_to=p.date_to, with_codes=True)
    used = {u.code: u for uses in report.codes.values() for u in uses}
    assert {c: u.sessions for c, u in used.items()} == totals.by_code
    # O is used by fewer than 5 pupils? Every absent pupil has an O on their first day.
    assert used["O"].pupils == 12 and not used["O"].cell.suppressed
    assert used["L"].cell.suppressed  # 4 pupils were late once


def test_bands_add_up_to_the_pupils(report):
    assert sum(c.value for c in report.bands) == report.headline.pupils
    assert report.bands[3].value + report.bands[4].value == report.headline.persistent


def test_dfe_basis_leaves_out_under_fives(school, report):
    under_five = Pupil.objects.filter(school=school).exclude(compulsory_age_q(dt.date(2025, 9, 1))).count()
    assert under_five == 0  # all seeded pupils are in Years 3–5
    assert report.calculation.dfe_basis.pupils == 15


def test_benchmark_from_the_data_migration(report):
    assert NationalBenchmark.objects.filter(academic_year="2023/24").count() == 3
    national = report.benchmarks[0]
    assert national.phase == "primary" and float(national.overall_absence) == 5.5


def test_same_period_last_year_has_the_same_number_of_days(school, seeded):
    period = resolve_period(school, "term:2026/27:Autumn", today=dt.date(2026, 9, 18))
    last = same_period_last_year(school, period)
    assert last.key == "term:2025/26:Autumn"
    assert last.school_days == period.school_days
    assert last.date_from == dt.date(2025, 9, 4)


def test_interventions_section_is_optional(report):
    # Either the interventions app supplies numbers (as Cells) or the section is left out.
    assert report.interventions is None or all(hasattr(v, "suppressed") for v in report.interventions.values())


def test_trust_report_side_by_side_and_combined(school, seeded):
    from registers.models import Trust

    trust = Trust.objects.create(name="Test Trust")
    school.trust = trust
    school.save()
    report = trust_report(trust, PERIOD, today=TODAY)
    assert len(report.columns) == 2  # the school and the combined column
    assert report.combined.headline.pupils == 15
    assert same(report.combined.headline.figures, report.columns[0].headline.figures)


def test_trust_view_shows_each_school_as_its_own_report_and_hides_the_combined_cell(school, seeded):
    """School B has 3 pupils in Year 3: hidden. School A's Year 3 (6 pupils) is shown on A's own
    report, which a trust leader can open, so hiding it here would protect nothing: the combined
    Year 3 row (9) is hidden instead, or 9 − 6 would give B's 3 away."""
    from registers.models import Trust
    from tests.factories import PupilFactory, make_school, write

    trust = Trust.objects.create(name="Two Schools Trust")
    other = make_school(urn="100077", name="Beech Primary", establishment_number="2077")
    for s in (school, other):
        s.trust = trust
        s.save()
    for _ in range(3):
        pupil = PupilFactory(school=other, year=3)
        write(other, pupil, {(DAYS[0], "AM"): "/", (DAYS[0], "PM"): "\\"})
    report = trust_report(trust, PERIOD, today=TODAY)
    a, b, combined = report.columns
    assert {a.school, b.school} == {school, other}
    rows = {label: groups for name, label, groups in report.rows() if name == "Year group"}
    year3 = dict(zip([a.school, b.school, None], rows["Year 3"], strict=True))
    assert [year3[s].pupils for s in (school, other, None)] == [6, 3, 9]
    # Each school's column is its own report's year-group row, cell for cell.
    from reports.selectors.governors import governors_report
    from reports.selectors.periods import resolve_period

    for s in (school, other):
        own = governors_report(s, resolve_period(s, PERIOD, TODAY))
        own_year3 = next(g for g in own.year_groups.groups if g.label == "Year 3")
        assert year3[s].row.shown == own_year3.row.shown
    assert year3[other].hidden
    assert year3[None].hidden and year3[None].attendance is None
