"""The whole year: a primary school set up in July 2026 with a year of marks, rolled over after the
summer term, registers taken in September 2026. Last year's figures are unchanged (every figure
compared before and after), Year 6 has gone, the Reception intake is in, the case, its monitoring
period, notice to improve and penalty-notice history carry over, and the penalty threshold window
spans the summer holiday (5 unauthorised sessions in July + 5 in September reach it)."""

import dataclasses
import datetime as dt

import pytest
import time_machine
from django.db.models import Model

from interventions.models import Case, MonitoringPeriod, NoticeToImprove, PenaltyNotice
from registers.imports import preview_import
from registers.models import (
    Closure,
    Contact,
    Enrolment,
    Ground,
    ImportRun,
    Mark,
    Pupil,
    Register,
    RegisterDeletion,
    RegistrationGroup,
    SchoolDay,
    YearRollover,
)
from registers.register_selectors import register_queryset, roll_with_marks, times_of
from registers.rollover import RolloverRefused, apply_rollover, plan_rollover
from registers.selectors import attendance_statistics, penalty_threshold, pupil_figures, total_figures, years_on
from registers.services import Actor
from registers.taking import MarkWish, TakenBy, Taker, take_register
from registers.timing import at
from registers.upn import make_upn
from reports.selectors.governors import governors_report
from reports.selectors.periods import resolve_period
from tests.factories import PupilFactory, StaffFactory, UserFactory, make_school, write

D = dt.date
UTC = dt.UTC
LAST_YEAR = (D(2025, 9, 1), D(2026, 8, 31))
CODES = ["/", "/", "/", "L", "I", "M", "O", "G", "C", "/"]  # a realistic mix, cycled


def travel(day: dt.date, hour=10):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC), tick=False)


def snapshot(school) -> dict:
    """Every figure for 2025/26 a page, report or check computes, and every record it rests on."""
    pupils = list(Pupil.objects.filter(school=school).order_by("pk").values_list("pk", flat=True))

    def figures(f):
        return {k: v for k, v in vars(f).items() if not k.startswith("_")}

    per_pupil = pupil_figures(school=school, date_from=LAST_YEAR[0], date_to=LAST_YEAR[1], pupils=pupils)
    by_register_group = {}
    registers = Register.objects.filter(school=school, date__lte=LAST_YEAR[1])
    assert registers.exists()
    for group_id in registers.values_list("group_id", flat=True).distinct():
        ids = Mark.objects.filter(register__in=registers.filter(group_id=group_id)).values_list("pupil_id", flat=True)
        by_register_group[group_id] = figures(
            total_figures(school=school, date_from=LAST_YEAR[0], date_to=LAST_YEAR[1], pupils=list(ids))
        )
    return {
        "school": figures(total_figures(school=school, date_from=LAST_YEAR[0], date_to=LAST_YEAR[1], with_codes=True)),
        "summer_term": figures(total_figures(school=school, date_from=D(2026, 4, 13), date_to=D(2026, 7, 22))),
        "pupils": {pk: figures(f) for pk, f in per_pupil.items()},
        "statistics": [
            (row.pupil.pk, figures(row.figures))
            for row in attendance_statistics(school=school, date_from=LAST_YEAR[0], date_to=LAST_YEAR[1])
        ],
        "groups": by_register_group,
        "threshold_in_july": [vars(r) for r in penalty_threshold(school=school, on=D(2026, 7, 22))],
        "marks": list(Mark.objects.filter(school=school, date__lte=LAST_YEAR[1]).order_by("pk").values()),
        "mark_history": list(
            Mark.history.filter(school=school, date__lte=LAST_YEAR[1]).order_by("history_id").values()
        ),
        "registers": list(registers.order_by("pk").values()),
        "school_days": list(SchoolDay.objects.filter(school=school, date__lte=LAST_YEAR[1]).values_list()),
    }


def plain(value):
    """A report's parts as plain values to compare (a suppression Cell compares by identity; what it
    holds and shows is what a reader sees)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value).__name__, {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def governors(school):
    """Last year's governors' report, as leaders read it (the year-group breakdown apart: see below)."""
    report = governors_report(school, resolve_period(school, "year:2025/26"))
    parts = ("headline", "calculation", "weeks", "weekdays", "sessions", "codes", "bands", "interventions")
    return {part: plain(getattr(report, part)) for part in parts}, plain(report.dimensions)


def as_dict(obj: Model) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.fixture
def july(db):
    """Oakfield Primary in July 2026: a class in every year, a year of marks, a case."""
    with travel(D(2026, 7, 11)):  # a Saturday: every mark written below is for a session that has happened
        school = make_school()
        office = StaffFactory(user=UserFactory(username="office"), school=school, position="office")
        pupils = {}
        for year in range(0, 7):
            pupils[year] = [PupilFactory(school=school, year=year, legal_surname=f"Y{year}-{i}") for i in range(2)]
        jo = pupils[5][0]  # the pupil with the case
        parent = Contact.objects.create(pupil=jo, forename="Sam", surname="Reed", relationship="Father")
        days = list(
            SchoolDay.objects.filter(school=school, date__range=(D(2026, 4, 13), D(2026, 7, 3))).values_list(
                "date", flat=True
            )
        )
        closures = list(Closure.objects.filter(school=school, kind=Closure.Kind.CLOSURE))
        for year_pupils in pupils.values():
            for n, pupil in enumerate(year_pupils):
                marks = {}
                for i, day in enumerate(days):
                    for session in ("AM", "PM"):
                        code = CODES[(i + n) % len(CODES)]
                        marks[(day, session)] = "\\" if code == "/" and session == "PM" else code
                if pupil == jo:
                    marks = {k: ("/" if k[1] == "AM" else "\\") for k in marks}  # present until July
                for closure in closures:
                    for session in ("AM", "PM"):
                        if (closure.date, session) in marks and closure.covers(session, pupil.year):
                            marks[(closure.date, session)] = "#"
                write(school, pupil, marks)
        # Five unauthorised sessions in July (6–10 July mornings), present otherwise.
        july_days = [D(2026, 7, d) for d in (6, 7, 8, 9, 10)]
        write(school, jo, {(d, "AM"): "O" for d in july_days} | {(d, "PM"): "\\" for d in july_days})
        case = Case.objects.create(school=school, pupil=jo, opened_on=D(2026, 7, 10))
        period = MonitoringPeriod.objects.create(
            case=case, start=D(2026, 7, 13), weeks=6, review_on=D(2026, 9, 25), baseline={"attendance": 96.2}
        )
        notice = NoticeToImprove.objects.create(
            case=case,
            parent=parent,
            issued_on=D(2026, 7, 13),
            record_summary="5 unauthorised sessions, 6–10 July 2026",
            support_offered="Meeting with the attendance officer",
            improvement_weeks=6,
            sufficient_improvement="No unauthorised absence",
            period_ends_on=D(2026, 9, 25),
        )
        earlier = PenaltyNotice.objects.create(
            school=school,
            pupil=jo,
            parent=parent,
            case=case,
            sequence=1,
            issued_on=D(2025, 10, 1),
            amount_pence=16000,
            reduced_amount_pence=8000,
            status=PenaltyNotice.Status.PAID,
            paid_on=D(2025, 10, 15),
        )
    with travel(D(2026, 7, 13), hour=8):
        take(school, office, "Year 5", D(2026, 7, 13), [MarkWish(pupils[5][1].pk, "I")])
    return {"school": school, "office": office, "pupils": pupils, "jo": jo, "case": case,
            "kept": [case, period, notice, earlier]}  # fmt: skip


def take(school, office, group_name, day, wishes):
    """Take a morning register through the one service, as the office would at 08:55."""
    group = RegistrationGroup.objects.get(school=school, name=group_name)
    register, _ = Register.objects.get_or_create(school=school, group=group, date=day, session="AM")
    register = register_queryset(None).get(pk=register.pk)
    roll = roll_with_marks(register)
    result = take_register(
        register=register,
        times=times_of(register),
        roll=roll,
        wishes=wishes,
        taken_by=TakenBy(Taker.OFFICE, Actor.for_user(office.user)),
        now=at(day, dt.time(8, 55)),
        all_present=True,
    )
    assert not result.refusals
    return roll


INTAKE = """UPN,Legal Surname,Legal Forename,Gender,DOB,Year,Reg Group,Admission Date
{a},Adeyemi,Tobi,M,12/01/2022,R,Reception,03/09/2026
{b},Brennan,Isla,F,30/05/2022,R,Reception,03/09/2026
"""


def test_the_whole_year(july):
    school, office, pupils, jo = july["school"], july["office"], july["pupils"], july["jo"]
    before = snapshot(school)
    report_before, _ = governors(school)
    kept_before = [as_dict(o) for o in july["kept"]]
    old_year6 = pupils[6]
    intake_upns = [make_upn("801", "2000", 22, n) for n in (901, 902)]

    # Before the end of the summer term the rollover is previewed but cannot be applied.
    with travel(D(2026, 7, 15)):
        plan = plan_rollover(school=school)
        assert not plan.can_apply and "not over yet" in plan.problems[0]

    with travel(D(2026, 7, 27)):
        csv = INTAKE.format(a=intake_upns[0], b=intake_upns[1]).encode()
        intake = preview_import(
            school=school, kind=ImportRun.Kind.PUPILS, data=csv, file_name="intake.csv", options={}, user=office.user
        )
        assert intake.status == ImportRun.Status.PREVIEWED
        plan = plan_rollover(school=school, intake=intake)
        assert plan.can_apply, plan.problems
        assert (plan.from_year.name, plan.to_year.name, plan.top_year) == ("2025/26", "2026/27", 6)
        assert sorted(p.pk for p in plan.leavers) == sorted(p.pk for p in old_year6)
        assert plan.leaving_date == D(2026, 8, 31)
        moves = {m.pupil.pk: (m.old_year, m.new_year, m.old_group, m.new_group) for m in plan.moves}
        assert moves[jo.pk] == (5, 6, "Year 5", "Year 6")
        assert moves[pupils[0][0].pk] == (0, 1, "Reception", "Year 1")
        rollover = apply_rollover(school=school, user=office.user, applied_by_name="Mrs Office", intake=intake)
        history_after_first = (Pupil.history.count(), Enrolment.history.count(), RegistrationGroup.history.count())
        # Idempotent: applying again does nothing and returns the same record.
        again = apply_rollover(school=school, user=office.user, applied_by_name="Mrs Office", intake=intake)
        assert again.pk == rollover.pk and YearRollover.objects.count() == 1
        assert (Pupil.history.count(), Enrolment.history.count(), RegistrationGroup.history.count()) == (
            history_after_first
        )
        assert rollover.summary["left"] == 2 and rollover.summary["moved"] == 12 and rollover.summary["intake"] == 2
        assert plan_rollover(school=school).applied == rollover

    # September: registers are taken for the new year.
    with travel(D(2026, 9, 7), hour=8):
        roll = take(school, office, "Year 6", D(2026, 9, 7), [MarkWish(jo.pk, "O")])
        assert sorted(p.pk for p in roll) == sorted(p.pk for p in pupils[5])  # last year's Year 5, not Year 6
        roll = take(school, office, "Reception", D(2026, 9, 7), [])
        assert sorted(p.upn for p in roll) == sorted(intake_upns)
    with travel(D(2026, 9, 11), hour=17):
        write(school, jo, {(D(2026, 9, d), "AM"): "G" for d in (8, 9, 10, 11)})
        reception = RegistrationGroup.objects.get(school=school, name="Reception")
        assert sorted(p.upn for p in Pupil.objects.filter(group=reception)) == sorted(intake_upns)
        assert Pupil.objects.filter(upn__in=intake_upns, year=0, enrolments__admission_date=D(2026, 9, 3)).count() == 2

        # Year 6 has gone: off roll from 1 September, deleted at a standard transition, no LA notice.
        for leaver in old_year6:
            assert Enrolment.objects.get(pupil=leaver).leaving_date == D(2026, 8, 31)
            deletion = RegisterDeletion.objects.get(pupil=leaver)
            assert deletion.ground == Ground.FINAL_YEAR and not deletion.notify_la
        assert Pupil.objects.get(pk=jo.pk).year == 6

        # The year each pupil was in last year is still known (for reports about last year).
        assert years_on(school, D(2026, 7, 22))[jo.pk] == 5 and years_on(school, D(2026, 9, 7))[jo.pk] == 6

        # The threshold window spans the summer: 5 in July + 5 in September.
        [row] = [r for r in penalty_threshold(school=school, on=D(2026, 9, 11)) if r.pupil_id == jo.pk]
        assert row.unauthorised_sessions == 10 and row.window_start < D(2026, 7, 6)

        # Nothing historic changed.
        after = snapshot(school)
        for key in before:
            assert after[key] == before[key], key
        report_after, _ = governors(school)
        for key in report_before:
            assert report_after[key] == report_before[key], key
        assert [as_dict(type(o).objects.get(pk=o.pk)) for o in july["kept"]] == kept_before
        assert Case.objects.get(pk=july["case"].pk).status == Case.Status.OPEN


def test_refused_until_next_years_calendar_is_in(db):
    data = {"terms": [{"name": "Summer", "start": "2026-04-13", "end": "2026-07-22"}], "half_term_breaks": []}
    school = make_school(data, closures=[])
    with travel(D(2026, 7, 27)):
        plan = plan_rollover(school=school)
        assert any("next year's calendar is not imported" in p for p in plan.problems)
        user = UserFactory(username="office2")
        with pytest.raises(RolloverRefused):
            apply_rollover(school=school, user=user, applied_by_name="Office")
        assert not YearRollover.objects.exists()


def test_last_years_report_by_year_group_is_unchanged(july):
    school, office = july["school"], july["office"]
    _, before = governors(school)
    with travel(D(2026, 7, 27)):
        apply_rollover(school=school, user=office.user, applied_by_name="Mrs Office")
    with travel(D(2026, 9, 11)):
        _, after = governors(school)
    assert after == before
