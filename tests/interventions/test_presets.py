"""Every rule of every preset (school-policies.md A–E), against a pupil whose record should meet
it and one whose record falls just short, on the real 2025/26 calendar."""

import datetime as dt

import pytest
from django.core.management import call_command

from interventions.evaluation.run import run_checks
from interventions.models import Alert, Policy, Rule
from interventions.policy.presets import PRESETS
from interventions.services import load_policy_preset
from tests.factories import PupilFactory, write

from .conftest import ON
from .scenarios import build, write_all


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_rule_of_the_preset_meets_the_right_pupil(school, preset):
    policy = load_policy_preset(school=school, preset=preset)
    rules = list(policy.rules.all())
    assert len(rules) == len(PRESETS[preset]["rules"])
    pupils = {}
    records = []
    for rule in rules:
        for hit in (True, False):
            pupil, marks = build(school, rule, ON, hit)
            pupils[(rule.pk, hit)] = pupil
            records.append((pupil, marks))
    write_all(school, records)

    result = run_checks(school=school, on=ON)
    alerts = set(Alert.objects.filter(school=school).values_list("rule_id", "pupil_id"))
    problems = []
    for rule in rules:
        if (rule.pk, pupils[(rule.pk, True)].pk) not in alerts:
            problems.append(f"{rule.name}: the pupil who should meet it did not")
        if (rule.pk, pupils[(rule.pk, False)].pk) in alerts:
            problems.append(f"{rule.name}: the pupil who falls just short met it")
    assert not problems, problems

    again = run_checks(school=school, on=ON)
    assert again.created == 0 and again.found == result.found
    assert Alert.objects.filter(school=school).count() == result.created


def test_load_policy_preset_command(school, capsys):
    call_command("load_policy_preset", school=school.urn, preset="C")
    call_command("load_policy_preset", school=school.urn, preset="A")
    assert Policy.objects.get(school=school, active=True).preset == "A"
    assert Policy.objects.filter(school=school).count() == 2
    assert "loaded preset A" in capsys.readouterr().out
    policy = Policy.objects.get(school=school, preset="C")
    assert [b.name for b in policy.bands.all()] == ["purple", "green", "yellow", "amber", "red"]
    assert policy.history.count() >= 2  # audited


D = dt.date


def test_preset_e_gives_detentions_for_lateness_to_secondary_pupils_only(school):
    load_policy_preset(school=school, preset="E")
    primary = PupilFactory(school=school, year=4, date_of_birth=D(2016, 10, 2), legal_forename="Primary")
    secondary = PupilFactory(school=school, year=8, date_of_birth=D(2012, 10, 2), legal_forename="Secondary")
    for pupil in (primary, secondary):
        write(school, pupil, {(D(2026, 3, 16), "AM"): ("L", 4), (D(2026, 3, 17), "AM"): ("U", 35)})
    run_checks(school=school, on=D(2026, 3, 17))
    detentions = Alert.objects.filter(rule__trigger="lesson_lates_in_week")
    assert sorted(detentions.values_list("rule__task_description", flat=True)) == [
        "20-minute detention",
        "40-minute detention",
    ]
    assert set(detentions.values_list("pupil_id", flat=True)) == {secondary.pk}
    ladder = Rule.objects.filter(trigger="lesson_lates_in_week")
    assert ladder.count() == 4
    assert all(r.parameters["years_from"] == 7 and r.parameters["with_registers"] for r in ladder)


def test_preset_d_counts_a_bank_holiday_inside_a_run_of_illness(school):
    load_policy_preset(school=school, preset="D")
    rule = Rule.objects.get(trigger="consecutive_absence", parameters__codes=["I"])
    spans = PupilFactory(school=school, legal_forename="Spans")  # Wed 29 Apr – Tue 5 May 2026, Monday bank holiday
    plain = PupilFactory(school=school, legal_forename="Plain")  # Tue 12 – Fri 15 May: 4 school days
    ill = {(d, s): "I" for d in (D(2026, 4, 29), D(2026, 4, 30), D(2026, 5, 1), D(2026, 5, 5)) for s in ("AM", "PM")}
    write(school, spans, ill)
    write(
        school,
        plain,
        {(d, s): "I" for d in (D(2026, 5, 12), D(2026, 5, 13), D(2026, 5, 14), D(2026, 5, 15)) for s in ("AM", "PM")},
    )
    run_checks(school=school, on=D(2026, 5, 15))
    alerts = Alert.objects.filter(rule=rule)
    assert list(alerts.values_list("pupil_id", flat=True)) == [spans.pk]
    assert alerts.get().evidence["figures"] == {"school_days": 4, "closed_days_spanned": 1}
