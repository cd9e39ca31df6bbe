"""The follow-up page names the preset the policy page names: loading a policy preset sets the
follow-up and leave half of the same reference policy."""

import pytest
from django.urls import reverse

from absences.follow_up_presets import PRESETS, policy_for
from interventions.models import Policy
from interventions.services import load_policy_preset

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("preset", ["A", "C"])
def test_loading_a_policy_preset_sets_the_follow_up_preset_of_the_same_letter(client, school, office, preset):
    load_policy_preset(school=school, preset=preset)
    policy = policy_for(school)
    assert policy.preset == preset
    assert [s.day for s in policy.steps.order_by("day", "pk")] == sorted(d for d, _, _ in PRESETS[preset]["steps"])
    client.force_login(office.user)
    page = client.get(reverse("absences:office_follow_up")).content.decode()
    assert f"(preset {preset})" in page and "(preset E)" not in page
    assert Policy.objects.get(school=school, active=True).preset == preset


def test_an_inactive_policy_leaves_the_follow_up_policy_alone(school):
    load_policy_preset(school=school, preset="B")
    load_policy_preset(school=school, preset="D", activate=False)
    assert policy_for(school).preset == "B"
