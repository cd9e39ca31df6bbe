"""The checks engine: triggers on the real calendar, evidence, idempotence, past dates, bulk SQL."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from interventions.evaluation.run import run_checks
from interventions.evaluation.triggers import absence_runs
from interventions.models import Alert, Band, Policy, Rule, band_for
from interventions.school_age import (
    _dob_bounds,
    compulsory_age_q,
    compulsory_from,
    compulsory_until,
    is_compulsory_school_age,
)
from interventions.services import issue_penalty_notice, load_policy_preset
from registers.models import Contact, Mark, SchoolDay
from tests.factories import PupilFactory, write

D = dt.date


def policy_with(school, *rules):
    policy = Policy.objects.create(school=school, name="Test policy")
    for i, (trigger, params) in enumerate(rules):
        Rule.objects.create(policy=policy, order=i, name=f"{trigger} {params}", trigger=trigger, parameters=params)
    return policy


def days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def test_parameters_are_validated_per_trigger(school):
    policy = Policy.objects.create(school=school, name="P")
    with pytest.raises(ValidationError) as err:
        Rule.objects.create(policy=policy, name="x", trigger="attendance_below", parameters={"percent": "ninety"})
    assert "'percent' must be float" in str(err.value)
    with pytest.raises(ValidationError, match="required"):
        Rule.objects.create(policy=policy, name="x", trigger="absence_sessions_over", parameters={})
    with pytest.raises(ValidationError, match="not a parameter"):
        Rule.objects.create(policy=policy, name="x", trigger="penalty_threshold", parameters={"session": 10})
    with pytest.raises(ValidationError, match="number of school weeks"):
        Rule.objects.create(
            policy=policy, name="x", trigger="attendance_below", parameters={"percent": 90, "period": "weeks"}
        )
    with pytest.raises(ValidationError, match="no band"):
        Rule.objects.create(policy=policy, name="x", trigger="band", parameters={"band": "mauve"})
    with pytest.raises(ValidationError, match="Unknown trigger"):
        Rule.objects.create(policy=policy, name="x", trigger="moon_phase", parameters={})
    Rule.objects.create(
        policy=policy, name="ok", trigger="attendance_below", parameters={"percent": 90, "period": "weeks", "weeks": 4}
    )


def test_a_value_between_published_bands_belongs_to_the_band_whose_lower_bound_it_reaches(school):
    policy = load_policy_preset(school=school, preset="C")
    bands = list(Band.objects.filter(policy=policy))
    assert band_for(bands, 96.95).name == "green"  # published gap between 96.9 and 97
    assert band_for(bands, 97).name == "purple"
    assert band_for(bands, 95.45).name == "yellow"
    assert band_for(bands, 92.45).name == "red"
    assert band_for(bands, 0).name == "red"


def test_penalty_threshold_spans_the_holidays_and_years_counts_n_and_flags_it(school):
    policy_with(school, ("penalty_threshold", {"sessions": 10, "weeks": 10}))
    pupil = PupilFactory(school=school)
    # 5 sessions in the last week of the summer term 2026, 5 in the first week of autumn 2026 (one of them N)
    summer = days(school, D(2026, 7, 20), D(2026, 7, 22))
    autumn = days(school, D(2026, 9, 3), D(2026, 9, 4))
    marks = {(d, s): "O" for d in summer for s in ("AM", "PM")}
    marks = dict(list(marks.items())[:5])
    marks.update({(autumn[0], "AM"): "G", (autumn[0], "PM"): "U", (autumn[1], "AM"): ("U", 40), (autumn[1], "PM"): "N"})
    marks[(autumn[0], "AM")] = "O"
    write(school, pupil, dict(list(marks.items())[:9]))
    assert run_checks(school=school, on=D(2026, 9, 4)).created == 0  # 9 sessions: not yet
    write(school, pupil, {(D(2026, 9, 7), "AM"): "O"})
    result = run_checks(school=school, on=D(2026, 9, 7))
    assert result.created == 1
    alert = Alert.objects.get()
    assert alert.evidence["figures"]["unauthorised_sessions"] == 10
    assert alert.evidence["unresolved_n"] == 1 and "coded N" in alert.evidence["note"]
    assert len(alert.evidence["marks"]) == 10
    assert alert.evidence["window"]["from"] < "2026-07-20"  # the window reaches back across the summer
    assert alert.evidence["parameters"] == {"sessions": 10, "weeks": 10, "ages": "compulsory"}
    # a past date sees only what was known then, and re-running never duplicates
    assert run_checks(school=school, on=D(2026, 9, 4)).created == 0
    assert run_checks(school=school, on=D(2026, 9, 7)).created == 0
    assert Alert.objects.count() == 1


def test_marks_used_for_a_notice_no_longer_count_towards_the_threshold(school):
    policy_with(school, ("penalty_threshold", {}))
    pupil = PupilFactory(school=school)
    parent = Contact.objects.create(pupil=pupil, forename="Pat", surname="Parent", relationship="Mother")
    slots = [(d, s) for d in days(school, D(2026, 3, 9), D(2026, 3, 20)) for s in ("AM", "PM")][:12]
    write(school, pupil, dict.fromkeys(slots, "O"))
    assert run_checks(school=school, on=D(2026, 3, 20)).created == 1
    issue_penalty_notice(pupil=pupil, parent=parent, issued_on=D(2026, 3, 23), marks=list(Mark.objects.all()[:10]))
    assert run_checks(school=school, on=D(2026, 3, 27)).found == 0  # 2 unused sessions left


def test_consecutive_runs_are_found_in_sql_over_school_days(school):
    pupil = PupilFactory(school=school)
    # Thu 12 Feb, Fri 13 Feb, half-term, Mon 23 Feb, Tue 24 Feb: one run of 4 school days
    run = [D(2026, 2, 12), D(2026, 2, 13), D(2026, 2, 23), D(2026, 2, 24)]
    write(school, pupil, {(d, s): "I" for d in run for s in ("AM", "PM")})
    write(school, pupil, {(D(2026, 2, 25), "AM"): "/", (D(2026, 2, 25), "PM"): "O"})  # half a day present ends it
    runs, _ = absence_runs(school, D(2025, 9, 1), D(2026, 3, 1))
    assert [(r[1], r[2], r[3]) for r in runs] == [(D(2026, 2, 12), D(2026, 2, 24), 4)]


def test_lates_per_week_and_half_term(school):
    policy_with(school, ("lates_in_week", {"count": 2}), ("lates_in_half_term", {"count": 3}))
    pupil = PupilFactory(school=school)
    write(
        school,
        pupil,
        {(D(2026, 3, 9), "AM"): ("L", 3), (D(2026, 3, 16), "AM"): ("L", 5), (D(2026, 3, 17), "AM"): ("U", 40)},
    )
    result = run_checks(school=school, on=D(2026, 3, 17))
    assert result.created == 2
    week_alert = Alert.objects.get(rule__trigger="lates_in_week")
    assert week_alert.period_key.startswith("w") and week_alert.evidence["figures"] == {"late_marks": 2}
    assert run_checks(school=school, on=D(2026, 3, 18)).created == 0


def test_the_checks_use_a_fixed_number_of_queries_whatever_the_number_of_pupils(school):
    load_policy_preset(school=school, preset="A")
    run_checks(school=school, on=D(2026, 3, 13))  # both measured runs replace this run's snapshot
    queries = []
    for n in (2, 8):
        for p in [PupilFactory(school=school) for _ in range(n)]:
            write(school, p, {(d, s): "O" for d in days(school, D(2026, 3, 2), D(2026, 3, 13)) for s in ("AM", "PM")})
        Alert.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            result = run_checks(school=school, on=D(2026, 3, 13))
        assert result.created >= n
        queries.append(len(ctx.captured_queries))
    assert queries[1] == queries[0], queries


# --- who a rule concerns: compulsory school age, national statistics' ages, year groups -----


def test_compulsory_school_age_starts_on_the_prescribed_day_after_the_fifth_birthday():
    december = D(2021, 12, 10)  # Reception in 2026/27, five on 10 December 2026
    assert compulsory_from(december) == D(2026, 12, 31)
    assert not is_compulsory_school_age(december, D(2026, 11, 23))  # autumn term: not yet
    assert not is_compulsory_school_age(december, D(2026, 12, 18))  # last day of term, already five
    assert is_compulsory_school_age(december, D(2027, 1, 4))  # first day of the spring term
    assert compulsory_from(D(2021, 8, 31)) == D(2026, 8, 31)  # five on a prescribed day: from that day
    assert compulsory_from(D(2021, 9, 1)) == D(2026, 12, 31)  # the oldest in Reception: spring term
    assert compulsory_from(D(2021, 1, 15)) == D(2026, 3, 31)  # five in January: summer term
    assert compulsory_from(D(2020, 2, 29)) == D(2025, 3, 31)  # five on 1 March 2025
    # it ends on the last Friday in June of the school year in which they turn 16
    assert compulsory_until(D(2010, 10, 15)) == D(2027, 6, 25)
    assert compulsory_until(D(2011, 8, 15)) == D(2027, 6, 25)  # 16 in the summer holiday: the June before
    assert is_compulsory_school_age(D(2011, 8, 15), D(2027, 6, 25))
    assert not is_compulsory_school_age(D(2011, 8, 15), D(2027, 6, 28))


@given(st.dates(D(2003, 1, 1), D(2024, 12, 31)), st.dates(D(2020, 1, 1), D(2030, 12, 31)))
def test_the_birth_date_bounds_the_database_filters_on_agree_with_the_rule(dob, day):
    earliest, latest = _dob_bounds(day)
    assert (earliest <= dob <= latest) == is_compulsory_school_age(dob, day)


@given(st.dates(D(2024, 9, 1), D(2027, 8, 31)), st.integers(0, 200))
def test_the_database_filter_splits_a_window_where_the_bounds_change(start, length):
    end = start + dt.timedelta(days=length)
    q = compulsory_age_q(start, end)
    covered = []
    for child in q.children:
        first, last = dict(child.children)["date__range"]
        covered.append((first, last))
        assert _dob_bounds(first) == _dob_bounds(last)
    assert covered[0][0] == start and covered[-1][1] == end
    assert all(b + dt.timedelta(days=1) == c for (_, b), (c, _) in zip(covered, covered[1:], strict=False))


def test_penalty_threshold_counts_only_sessions_of_compulsory_school_age(school):
    # marks are recorded once their sessions have happened
    with time_machine.travel(dt.datetime(2027, 1, 15, 17, 0, tzinfo=dt.UTC), tick=False):
        policy_with(school, ("penalty_threshold", {}))
        reception = PupilFactory(school=school, year=0, date_of_birth=D(2021, 12, 10), legal_forename="Reception")
        year_one = PupilFactory(school=school, year=1, date_of_birth=D(2020, 12, 10), legal_forename="YearOne")
        december = {(d, s): "O" for d in days(school, D(2026, 12, 14), D(2026, 12, 16)) for s in ("AM", "PM")}
        january = {(d, s): "O" for d in days(school, D(2027, 1, 4), D(2027, 1, 6)) for s in ("AM", "PM")}
        for pupil in (reception, year_one):
            write(school, pupil, {**december, **january})  # 6 + 6 sessions
        run_checks(school=school, on=D(2027, 1, 8))
        assert list(Alert.objects.values_list("pupil_id", flat=True)) == [year_one.pk]
        # four more in the spring term: ten sessions of compulsory school age
        write(
            school, reception, {(d, s): "G" for d in days(school, D(2027, 1, 11), D(2027, 1, 12)) for s in ("AM", "PM")}
        )
        assert run_checks(school=school, on=D(2027, 1, 12)).created == 1
        alert = Alert.objects.get(pupil=reception)
        assert alert.evidence["figures"]["unauthorised_sessions"] == 10
        assert min(m["date"] for m in alert.evidence["marks"]) == "2027-01-04"  # nothing from December
        # the school may count every session instead (a rule parameter, not code)
        Alert.objects.all().delete()
        policy = Policy.objects.get(school=school)
        Rule.objects.create(policy=policy, name="All ages", trigger="penalty_threshold", parameters={"ages": "all"})
        run_checks(school=school, on=D(2027, 1, 8))
        assert set(Alert.objects.filter(rule__name="All ages").values_list("pupil_id", flat=True)) == {
            reception.pk,
            year_one.pk,
        }


def test_persistent_absence_concerns_pupils_aged_5_to_15_at_the_start_of_the_year(school):
    policy_with(school, ("persistent_absence", {}), ("severe_absence", {"ages": "compulsory"}))
    pupils = {
        "reception": PupilFactory(school=school, year=0, date_of_birth=D(2021, 12, 10)),  # 4 on 31 Aug 2026
        "year_one": PupilFactory(school=school, year=1, date_of_birth=D(2021, 8, 31)),  # 5 on 31 Aug 2026
        "year_eleven": PupilFactory(school=school, year=11, date_of_birth=D(2010, 9, 1)),  # 15
        "year_twelve": PupilFactory(school=school, year=12, date_of_birth=D(2010, 8, 31)),  # 16
    }
    autumn = days(school, D(2026, 11, 2), D(2026, 12, 18))  # absent every session: 70
    spring = days(school, D(2027, 1, 4), D(2027, 1, 15))  # present every session: 20
    record = {(d, s): "I" for d in autumn for s in ("AM", "PM")}
    record.update({(d, s): "/" if s == "AM" else "\\" for d in spring for s in ("AM", "PM")})
    with time_machine.travel(dt.datetime(2027, 1, 15, 17, 0, tzinfo=dt.UTC), tick=False):  # once they happened
        for pupil in pupils.values():
            write(school, pupil, record)
    run_checks(school=school, on=D(2027, 1, 15))
    persistent = set(Alert.objects.filter(rule__trigger="persistent_absence").values_list("pupil_id", flat=True))
    assert persistent == {pupils["year_one"].pk, pupils["year_eleven"].pk}
    # Severe absence counting only sessions of compulsory school age: the Reception child is
    # of that age from 31 December, so only their full spring attendance counts; the
    # 16-year-old stopped being of that age on the last Friday of June 2026.
    severe = set(Alert.objects.filter(rule__trigger="severe_absence").values_list("pupil_id", flat=True))
    assert severe == {pupils["year_one"].pk, pupils["year_eleven"].pk}
    # the same rule over every session finds all four
    Rule.objects.filter(trigger="severe_absence").update(parameters={"ages": "all"})
    Alert.objects.all().delete()
    run_checks(school=school, on=D(2027, 1, 15))
    assert Alert.objects.filter(rule__trigger="severe_absence").count() == 4


def test_year_group_range_is_a_parameter_of_every_rule(school):
    policy = policy_with(school, ("lates_in_week", {"count": 1, "years_from": 7, "years_to": 11}))
    with pytest.raises(ValidationError, match="must not be above"):
        Rule.objects.create(
            policy=policy, name="x", trigger="lates_in_week", parameters={"count": 1, "years_from": 9, "years_to": 7}
        )
    with pytest.raises(ValidationError, match="national curriculum year"):
        Rule.objects.create(policy=policy, name="x", trigger="lates_in_week", parameters={"count": 1, "years_to": 20})
    with pytest.raises(ValidationError, match="must be one of"):
        Rule.objects.create(policy=policy, name="x", trigger="persistent_absence", parameters={"ages": "teenagers"})
    pupils = [PupilFactory(school=school, year=y, date_of_birth=D(2020 - y, 3, 1)) for y in (6, 7, 11, 12)]
    for pupil in pupils:
        write(school, pupil, {(D(2026, 3, 16), "AM"): ("L", 5)})
    run_checks(school=school, on=D(2026, 3, 16))
    assert set(Alert.objects.values_list("pupil__year", flat=True)) == {7, 11}
