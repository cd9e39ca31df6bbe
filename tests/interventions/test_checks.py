"""The checks engine: triggers on the real calendar, evidence, idempotence, past dates, bulk SQL."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.checks import absence_runs, run_checks
from interventions.models import Alert, Band, Policy, Rule, band_for
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
    assert alert.evidence["parameters"] == {"sessions": 10, "weeks": 10}
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
