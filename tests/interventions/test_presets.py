"""Every rule of every preset (school-policies.md A–E), against a pupil whose record should meet
it and one whose record falls just short, on the real 2025/26 calendar."""

import pytest
from django.core.management import call_command

from interventions.checks import run_checks
from interventions.models import Alert, Policy
from interventions.presets import PRESETS
from interventions.services import load_policy_preset

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
