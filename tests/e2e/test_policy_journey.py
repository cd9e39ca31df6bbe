"""Browser journey: the attendance officer reads the school's policy, changes the
persistent-absence threshold with a reason, finds the change in the history, tests a rule
against a pupil and loads preset C; screenshots at desktop and phone sizes."""

import pytest
from django.utils import timezone

from interventions.models import Alert, Policy
from interventions.services import load_policy_preset
from registers.models import SchoolDay, Staff
from tests.e2e.conftest import click_and_load, login, screenshot, signed_in_like
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

P = Staff.Position


@pytest.fixture
def story(school):
    StaffFactory(
        user=UserFactory(username="officer", first_name="Priya", last_name="Shah"),
        school=school,
        position=P.ATTENDANCE_OFFICER,
        title="Mrs",
    )
    policy = load_policy_preset(school=school, preset="B")
    today = timezone.localdate()
    days = list(
        SchoolDay.objects.filter(school=school, date__lte=today).order_by("-date").values_list("date", flat=True)[:30]
    )
    ben = PupilFactory(school=school, year=4, legal_forename="Ben", legal_surname="Okafor")
    write(
        school,
        ben,
        {(d, s): "O" if i % 5 == 0 else "/" if s == "AM" else "\\" for i, d in enumerate(days) for s in ("AM", "PM")},
    )
    return {"policy": policy, "ben": ben}


def test_officer_changes_the_policy_and_loads_a_preset(page, phone_page, story, school):
    for p in (page, phone_page):
        p.set_default_timeout(30_000)  # the shared 2-core machine can be slow
        p.set_default_navigation_timeout(30_000)
    login(page, "officer", then="/attendance-officer/policy/")
    page.get_by_role("heading", name="Attendance policy", exact=True).wait_for()
    assert page.get_by_text("Secondary academy policy (2024)").first.is_visible()
    assert page.get_by_text("reaches 10 % (persistent absence)").is_visible()
    screenshot(page, "policy-01-page")

    # the page's deferred script has run by its load event: only then is the button gone
    click_and_load(page, page.get_by_role("link", name="Edit “Persistent absence (10 % or more)”"))
    page.get_by_role("heading", name="Edit the rule").wait_for()
    # the JavaScript module swaps the parameters with the trigger; no "show the settings" step
    assert not page.get_by_role("button", name="Show the settings for this trigger").is_visible()
    trigger = page.get_by_role("combobox", name="What it looks for")
    trigger.select_option("lates_in_week")
    assert page.locator('fieldset[data-trigger="lates_in_week"]').is_visible()
    assert not page.locator('fieldset[data-trigger="persistent_absence"]').is_visible()
    trigger.select_option("persistent_absence")
    page.locator('fieldset[data-trigger="persistent_absence"]').get_by_label("Absence %").fill("12")
    page.get_by_label("Reason for the change").fill("Governors agreed an earlier warning at 12 %")
    screenshot(page, "policy-02-rule-form")
    page.get_by_role("button", name="Save the rule").click()
    page.locator(".message.success", has_text="Rule saved").wait_for()
    assert page.get_by_text("reaches 12 % (persistent absence)").is_visible()
    assert page.get_by_text("Governors agreed an earlier warning at 12 %").first.is_visible()

    page.get_by_role("link", name="Changes", exact=True).click()
    page.get_by_role("heading", name="Changes to the policy").wait_for()
    latest = page.locator("article.policy-change").first
    assert "Mrs Priya Shah" in latest.inner_text()
    assert "Governors agreed an earlier warning at 12 %" in latest.inner_text()
    assert latest.locator("del", has_text="10").is_visible() and latest.locator("ins", has_text="12").is_visible()
    screenshot(page, "policy-03-changes")

    page.goto("/attendance-officer/policy/")
    rule = story["policy"].rules.get(trigger="persistent_absence")
    page.locator(f"#rule-{rule.pk}").get_by_role("link", name="Test this rule").click()
    page.get_by_label("Pupil's name or UPN").fill("Okafor")
    page.get_by_role("button", name="Test").click()
    page.get_by_role("heading", name="The rule would meet Ben Okafor").wait_for()
    screenshot(page, "policy-04-test-rule")
    assert Alert.objects.count() == 0

    page.get_by_role("link", name="← Secondary academy policy (2024)").click()
    page.get_by_role("link", name="Presets").click()
    page.get_by_role("link", name="Load preset C").click()
    page.get_by_text("This replaces the school's active policy.").wait_for()
    screenshot(page, "policy-05-preset-confirm")
    page.get_by_label("Reason for the change").fill("The school joined the trust")
    page.get_by_role("button", name="Load preset C and make it active").click()
    page.locator(".message.success", has_text="Preset C loaded").wait_for()
    assert page.locator(".band-swatch.band-purple").first.is_visible()
    screenshot(page, "policy-06-preset-c")
    assert Policy.objects.get(school=school, active=True).preset == "C"
    assert Policy.objects.filter(school=school).count() == 2
    page.get_by_role("link", name="Edit bands").click()
    page.get_by_role("heading", name="Bands").wait_for()
    screenshot(page, "policy-07-bands")
    page.get_by_role("link", name="← Primary trust template (2022): bands").click()
    page.get_by_role("link", name="Edit stages").click()
    page.get_by_role("heading", name="Escalation ladder").wait_for()
    screenshot(page, "policy-08-stages")

    signed_in_like(phone_page, page)
    phone_page.goto("/attendance-officer/policy/")
    phone_page.get_by_role("heading", name="Attendance policy", exact=True).wait_for()
    screenshot(phone_page, "policy-phone-01-page")
    policy = Policy.objects.get(school=school, active=True)
    phone_page.goto(f"/attendance-officer/policy/rules/{policy.rules.get(name='Green band').pk}/")
    screenshot(phone_page, "policy-phone-02-rule-form")
    phone_page.goto(f"/attendance-officer/policy/{policy.pk}/bands/")
    screenshot(phone_page, "policy-phone-03-bands")
    phone_page.goto(f"/attendance-officer/policy/{story['policy'].pk}/changes/")
    screenshot(phone_page, "policy-phone-04-changes")
    for p in (page, phone_page):
        width = p.evaluate("document.documentElement.scrollWidth")
        viewport = p.evaluate("window.innerWidth")
        assert width <= viewport, f"the page scrolls sideways ({width} > {viewport})"
