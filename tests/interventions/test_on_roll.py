"""Issue 17: checks, alerts, the worklist, tasks and letters consider only pupils on roll on the
check date. A pupil who left keeps the figures of the dates they were on roll, but gets no alert,
task or letter after the leaving date — tested with every trigger of every preset."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from interventions.evaluation.run import run_checks
from interventions.models import Action, Alert, Rule
from interventions.policy.presets import PRESETS
from interventions.selectors.dashboard import dashboard
from interventions.services import accept_alert, accept_proposals, load_policy_preset
from letters.errors import LetterError
from letters.selectors import active_template
from letters.services import install_starter_templates, start_batch
from registers.models import Enrolment, SchoolDay
from registers.selectors import pupil_figures
from tests.factories import PupilFactory, write

from .conftest import ON
from .scenarios import build, write_all

D = dt.date
LAST_DAY_ON_ROLL = D(2026, 3, 19)  # the Thursday before ON


def leave(pupil, on: dt.date):
    enrolment = Enrolment.objects.get(pupil=pupil, leaving_date__isnull=True)
    enrolment.leaving_date = on
    enrolment.save()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_a_pupil_who_has_left_meets_no_rule_after_the_leaving_date(school, preset):
    """Two pupils with the same record per rule; one leaves the day before the check. The one
    still on roll meets the rule (so the test can fail); the leaver gets nothing."""
    policy = load_policy_preset(school=school, preset=preset)
    rules = list(policy.rules.all())
    pupils, records = {}, []
    for rule in rules:
        for leaves in (False, True):
            pupil, marks = build(school, rule, ON, hit=True)
            pupils[(rule.pk, leaves)] = pupil
            records.append((pupil, marks))
    write_all(school, records)
    for rule in rules:
        leave(pupils[(rule.pk, True)], LAST_DAY_ON_ROLL)

    run_checks(school=school, on=ON)
    alerts = set(Alert.objects.filter(school=school).values_list("rule_id", "pupil_id"))
    for rule in rules:
        assert (rule.pk, pupils[(rule.pk, False)].pk) in alerts, f"{rule.name}: the pupil on roll was not found"
    leavers = {pupils[(rule.pk, True)].pk for rule in rules}
    assert not {pupil for _, pupil in alerts} & leavers
    # their figures still count for the dates they were on roll
    figures = pupil_figures(school=school, date_from=D(2025, 9, 1), date_to=ON, pupils=list(leavers))
    assert figures and all(f.possible for f in figures.values())


# Triggers no preset uses, each with tests of its own: the registers' weekly lates (preset E's ladder
# now counts lessons too: tests/interventions/test_evaluation.py) and the lesson triggers, which need
# a timetable (tests/lessons/test_triggers.py, leavers included).
TESTED_ELSEWHERE = {
    "lates_in_week",
    "lesson_lates_in_half_term",
    "truancy_alerts_in_week",
    "truancy_alerts_in_half_term",
}


def test_every_trigger_is_covered_by_the_presets():
    triggers = {rule["trigger"] for preset in PRESETS.values() for rule in preset["rules"]}
    assert triggers | TESTED_ELSEWHERE == set(Rule.Trigger.values)
    assert not triggers & TESTED_ELSEWHERE


def test_late_marks_made_while_not_on_roll_do_not_count(school):
    """Preset D: 5 late marks in a half-term. Three were made in a spell off roll (the leaving
    date was entered afterwards; the pupil then came back): only two count."""
    load_policy_preset(school=school, preset="D")
    pupil = PupilFactory(school=school)
    days = list(SchoolDay.objects.filter(school=school, date__range=(D(2026, 3, 9), ON)).values_list("date", flat=True))
    write(school, pupil, {(d, "AM"): ("L", 5) for d in days[:5]})
    leave(pupil, days[1])  # off roll from days[2] …
    Enrolment.objects.create(pupil=pupil, admission_date=days[5])  # … and back before the check
    run_checks(school=school, on=ON)
    assert not Alert.objects.filter(pupil=pupil, rule__trigger="lates_in_half_term").exists()


def test_an_alert_raised_before_the_pupil_left_is_neither_listed_nor_accepted_after(school, officer):
    load_policy_preset(school=school, preset="B")
    pupil = PupilFactory(school=school, legal_forename="Ellie", legal_surname="Left")
    days = list(
        SchoolDay.objects.filter(school=school, date__range=(D(2026, 3, 9), D(2026, 3, 13))).values_list(
            "date", flat=True
        )
    )
    write(school, pupil, {(d, s): "O" for d in days for s in ("AM", "PM")})
    run_checks(school=school, on=D(2026, 3, 13))
    alert = Alert.objects.filter(pupil=pupil).first()
    assert alert is not None
    now = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC)
    assert dashboard(school=school, today=ON, now=now).worklist_total == 1
    leave(pupil, LAST_DAY_ON_ROLL)

    board = dashboard(school=school, today=ON, now=now)
    assert board.worklist_total == 0 and not board.threshold
    with pytest.raises(ValidationError, match="left the school on 19 March 2026"):
        accept_alert(alert=alert, user=officer.user, on=ON)
    done = accept_proposals(school=school, items=[[alert.pk]], user=officer.user, on=ON)
    assert done.proposals == 0 and "left the school" in done.refused[0]
    assert not Action.objects.exists()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.NEW
    # accepting it for a date they were on roll is still possible (a decision recorded late)
    accept_alert(alert=alert, user=officer.user, on=LAST_DAY_ON_ROLL)


def test_a_batch_for_a_class_leaves_out_pupils_not_on_roll_on_the_letter_date(school, officer):
    install_starter_templates(school=school)
    template = active_template(school, "concern")
    staying = PupilFactory(school=school)
    leaving = PupilFactory(school=school)
    leave(leaving, LAST_DAY_ON_ROLL)
    batch = start_batch(template=template, pupils=[staying, leaving], user=officer.user, on=ON)
    assert batch.pupil_ids == [staying.pk] and batch.total == 1
    with pytest.raises(LetterError, match="None of those pupils is on roll on 20 March 2026"):
        start_batch(template=template, pupils=[leaving], user=officer.user, on=ON)
    # dated while they were still on roll, the letter is theirs
    assert start_batch(template=template, pupils=[leaving], user=officer.user, on=LAST_DAY_ON_ROLL).total == 1
