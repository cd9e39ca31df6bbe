"""Lesson lateness and internal truancy in the policy's trigger catalogue, on the real autumn term
2026 (week of Monday 21 September; half-term break 26–30 October, second half-term from Monday
2 November), by year group, in preset E's weekly ladder, and at a fixed number of queries."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.evaluation.run import run_checks
from interventions.models import Alert, Policy, Rule
from interventions.policy.selectors import condition, conditions_detail
from interventions.services import load_policy_preset
from tests.factories import write

from .lesson_records import alert, lesson, mark, secondary_pupil, teaching_group

D = dt.date
MON, TUE, WED = D(2026, 9, 21), D(2026, 9, 22), D(2026, 9, 23)


def policy_with(school, *rules):
    policy = Policy.objects.create(school=school, name="Lessons policy")
    for i, (trigger, params) in enumerate(rules):
        Rule.objects.create(policy=policy, order=i, name=f"{trigger} {params}", trigger=trigger, parameters=params)
    return policy


@pytest.fixture
def maths(school):
    """9X/Ma1: maths for Year 9 in P1 (the AM register's period) on Mondays and Thursdays, P3 on
    Tuesdays and Fridays, P5 on Wednesdays."""
    group = teaching_group(school, "9X/Ma1", "Mathematics", 9)
    slots = {(1, "P1"), (4, "P1"), (2, "P3"), (5, "P3"), (3, "P5")}
    return group, {day: lesson(group, period, day) for day, period in slots}


def join(group, *pupils):
    for pupil in pupils:
        group.memberships.create(pupil=pupil, starts=D(2026, 9, 1))


def test_parameters_are_validated(school):
    policy = Policy.objects.create(school=school, name="P")
    with pytest.raises(ValidationError, match="'with_registers' must be bool"):
        Rule.objects.create(
            policy=policy, name="x", trigger="lesson_lates_in_week", parameters={"count": 2, "with_registers": "yes"}
        )
    with pytest.raises(ValidationError, match="required"):
        Rule.objects.create(policy=policy, name="x", trigger="truancy_alerts_in_half_term", parameters={})
    with pytest.raises(ValidationError, match="not a parameter"):
        Rule.objects.create(
            policy=policy, name="x", trigger="truancy_alerts_in_week", parameters={"count": 1, "codes": []}
        )
    rule = Rule.objects.create(
        policy=policy, name="ok", trigger="truancy_alerts_in_half_term", parameters={"count": 2, "years_from": 7}
    )
    assert condition(rule) == "a pupil has 2 or more internal-truancy alerts in the half-term"
    ladder = Rule.objects.create(
        policy=policy, name="late", trigger="lesson_lates_in_week", parameters={"count": 2, "with_registers": True}
    )
    assert condition(ladder) == (
        "a pupil is late (coded L or U) 2 or more times to lessons or at the AM/PM registers in one school week"
    )
    assert conditions_detail(ladder) == []  # the sentence says it all


def test_lates_to_lessons_in_a_week_by_year_group(school, maths):
    group, lessons = maths
    policy_with(school, ("lesson_lates_in_week", {"count": 3, "years_from": 7, "years_to": 11}))
    three = secondary_pupil(school, "Three", year=9)
    two = secondary_pupil(school, "Two", year=9)
    spread = secondary_pupil(school, "Spread", year=9)  # two lates last week, one this week
    sixth_former = secondary_pupil(school, "Sixth", year=12)
    join(group, three, two, spread, sixth_former)
    for pupil in (three, sixth_former):
        mark(lessons[1], MON, pupil, "L", 6)
        mark(lessons[2], TUE, pupil, "L", 8)
        mark(lessons[3], WED, pupil, "U", 25)
    mark(lessons[1], MON, two, "L", 3)
    mark(lessons[2], TUE, two, "L", 3)
    mark(lessons[3], WED, two, "/")
    mark(lessons[4], D(2026, 9, 17), spread, "L", 5)
    mark(lessons[5], D(2026, 9, 18), spread, "L", 5)
    mark(lessons[1], MON, spread, "L", 5)

    assert run_checks(school=school, on=WED).created == 1
    found = Alert.objects.get()
    assert found.pupil == three
    assert found.period_key.startswith("w")
    assert found.evidence["figures"] == {"lesson_lates": 3, "late_marks": 3}
    window = found.evidence["window"]
    assert (window["from"], window["to"]) == ("2026-09-21", "2026-09-23")
    assert [e["date"] for e in found.evidence["lessons"]] == ["2026-09-23", "2026-09-22", "2026-09-21"]
    assert found.evidence["lessons"][0]["lesson"] == "P5 Mathematics" and found.evidence["lessons"][0]["code"] == "U"
    assert found.evidence["marks"] == []  # lesson marks are listed as lessons, not as sessions
    assert run_checks(school=school, on=D(2026, 9, 24)).created == 0  # same week: nothing new


def test_lates_with_the_registers_count_a_late_to_the_registration_lesson_once(school, maths):
    group, lessons = maths
    policy_with(
        school,
        ("lesson_lates_in_week", {"count": 3, "with_registers": True}),
        ("lesson_lates_in_week", {"count": 4, "with_registers": True}),
    )
    pupil = secondary_pupil(school, year=9)
    join(group, pupil)
    write(school, pupil, {(MON, "AM"): ("L", 7), (TUE, "PM"): ("L", 2)})
    mark(lessons[1], MON, pupil, "L", 7)  # P1 holds the AM register: the same late as the AM mark
    mark(lessons[2], TUE, pupil, "L", 4)

    run_checks(school=school, on=TUE)
    found = Alert.objects.get()
    assert found.rule.parameters["count"] == 3
    assert found.evidence["figures"] == {"lesson_lates": 1, "register_lates": 2, "late_marks": 3}
    assert [m["session"] for m in found.evidence["marks"]] == ["PM", "AM"]
    assert [e["lesson"] for e in found.evidence["lessons"]] == ["P3 Mathematics"]


def test_lates_in_the_half_term_start_again_after_the_october_break(school, maths):
    group, lessons = maths
    policy_with(school, ("lesson_lates_in_half_term", {"count": 3}))
    before, after = secondary_pupil(school, "Before", year=9), secondary_pupil(school, "After", year=9)
    join(group, before, after)
    for day, weekday in ((D(2026, 10, 19), 1), (D(2026, 10, 20), 2), (D(2026, 10, 21), 3)):
        mark(lessons[weekday], day, before, "L", 5)  # the first half-term
    mark(lessons[5], D(2026, 10, 23), after, "L", 5)
    for day, weekday in ((D(2026, 11, 2), 1), (D(2026, 11, 3), 2)):
        mark(lessons[weekday], day, before, "L", 5)
        mark(lessons[weekday], day, after, "L", 5)

    assert run_checks(school=school, on=D(2026, 10, 23)).created == 1  # Before: three in the half-term
    assert run_checks(school=school, on=D(2026, 11, 3)).created == 0  # two each since 2 November
    mark(lessons[3], D(2026, 11, 4), after, "L", 5)
    assert run_checks(school=school, on=D(2026, 11, 4)).created == 1
    keys = dict(Alert.objects.values_list("pupil__legal_forename", "period_key"))
    assert keys["Before"] != keys["After"] and keys["After"].endswith("ht2")


def test_truancy_alerts_in_the_half_term_resolved_or_not(school, maths):
    group, lessons = maths
    policy_with(
        school,
        ("truancy_alerts_in_half_term", {"count": 2}),
        ("truancy_alerts_in_half_term", {"count": 2, "include_resolved": False}),
    )
    resolved_one, open_two, october = (secondary_pupil(school, name, year=9) for name in ("Res", "Open", "Oct"))
    join(group, resolved_one, open_two, october)
    alert(lessons[1], D(2026, 11, 2), resolved_one, resolved=True)
    alert(lessons[2], D(2026, 11, 3), resolved_one)
    alert(lessons[1], D(2026, 11, 2), open_two)
    alert(lessons[3], D(2026, 11, 4), open_two)
    alert(lessons[5], D(2026, 10, 23), october)  # before the break: another half-term
    alert(lessons[2], D(2026, 11, 3), october)

    run_checks(school=school, on=D(2026, 11, 4))
    found = {(a.pupil.legal_forename, a.rule.parameters.get("include_resolved", True)) for a in Alert.objects.all()}
    assert found == {("Res", True), ("Open", True), ("Open", False)}
    res = Alert.objects.get(pupil=resolved_one)
    assert res.evidence["figures"] == {"truancy_alerts": 2, "open": 1, "resolved": 1}
    assert {e["state"] for e in res.evidence["lessons"]} == {"open", "resolved"}
    assert res.evidence["lessons"][0]["last_seen"] == "P1 registration"


def test_a_pupil_who_has_left_is_not_counted_after_leaving(school, maths):
    group, lessons = maths
    policy_with(school, ("truancy_alerts_in_week", {"count": 1}))
    leaver = secondary_pupil(school, "Leaver", year=9, on_roll=[(D(2025, 9, 1), D(2026, 9, 21))])
    stayer = secondary_pupil(school, "Stayer", year=9)
    join(group, leaver, stayer)
    alert(lessons[2], TUE, leaver)  # raised the day after the leaving date was entered
    alert(lessons[2], TUE, stayer)
    assert run_checks(school=school, on=TUE).created == 1
    assert Alert.objects.get().pupil == stayer


def test_preset_e_ladder_counts_lates_to_lessons_for_secondary_pupils(school, maths):
    group, lessons = maths
    load_policy_preset(school=school, preset="E")
    secondary = secondary_pupil(school, "Secondary", year=9)
    join(group, secondary)
    write(school, secondary, {(MON, "AM"): ("L", 4)})
    mark(lessons[1], MON, secondary, "L", 4)  # the same late, in the registration lesson
    mark(lessons[2], TUE, secondary, "L", 12)
    mark(lessons[3], WED, secondary, "L", 6)
    run_checks(school=school, on=WED)
    detentions = Alert.objects.filter(rule__trigger="lesson_lates_in_week", pupil=secondary)
    assert sorted(detentions.values_list("rule__task_description", flat=True)) == [
        "20-minute detention",
        "40-minute detention",
        "60-minute detention",
    ]


def test_the_lesson_counts_are_one_query_per_school_whatever_the_rules_and_pupils(school, maths):
    group, lessons = maths
    load_policy_preset(school=school, preset="E")  # four weekly lateness rules
    Rule.objects.create(
        policy=Policy.objects.get(school=school, active=True),
        name="Truancy",
        trigger="truancy_alerts_in_half_term",
        parameters={"count": 1},
    )
    counts, everyone = [], 0
    for n in (2, 6):
        everyone += n
        pupils = [secondary_pupil(school, f"P{n}x{i}", year=9) for i in range(n)]
        join(group, *pupils)
        for pupil in pupils:
            mark(lessons[2], TUE, pupil, "L", 4)
            mark(lessons[3], WED, pupil, "L", 4)
            alert(lessons[1], MON, pupil)
        run_checks(school=school, on=WED)  # the alerts are made: the measured run finds no new ones
        with CaptureQueriesContext(connection) as ctx:
            result = run_checks(school=school, on=WED)
        assert result.found == 3 * everyone and result.created == 0  # two ladder rules, truancy
        sql = [q["sql"] for q in ctx.captured_queries]
        assert sum('FROM "lessons_lessonmark"' in s for s in sql) == 1
        assert sum('FROM "lessons_truancyalert"' in s for s in sql) == 1
        counts.append(len(sql))
    assert counts[0] == counts[1], counts
