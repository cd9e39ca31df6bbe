"""Browser journey: the pages a person meets at the limits. A parent who mistypes a password five
times is locked out for an hour; someone asking for password resets again and again is asked
to wait; the designated safeguarding lead reads an alert with no buttons to decide it.
Screenshots, and axe on each page."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache

from interventions import services
from interventions.evaluation.run import run_checks
from interventions.models import Alert
from tests.e2e.conftest import accessible, login, screenshot
from tests.factories import StaffFactory, UserFactory
from tests.interventions.test_views import populate


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def test_a_parent_locked_out_and_a_reset_asked_too_often(page, db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    UserFactory(username="jo@example.org", email="jo@example.org")
    for _ in range(5):
        page.goto("/parents/sign-in/")
        page.get_by_label("E-mail address or username").fill("jo@example.org")
        page.get_by_label("Password").fill("not my password")
        page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="Too many attempts").is_visible()
    screenshot(page, "limits-locked-out")
    accessible(page, "locked out")
    for _ in range(6):
        page.goto("/parents/password-reset/")
        page.locator("input[name=email]").fill("someone@example.org")
        page.get_by_role("button").last.click()
    assert page.get_by_role("heading", name="Please wait a few minutes").is_visible()
    assert "60 minutes" in page.content()
    screenshot(page, "limits-password-reset-wait")
    accessible(page, "reset rate limited")


@time_machine.travel(dt.datetime(2026, 3, 20, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London")), tick=False)
def test_the_dsl_reads_an_alert_without_buttons(page, school):
    services.load_policy_preset(school=school, preset="A")
    pupil = populate(school, 4)[3]
    run_checks(school=school, on=dt.date(2026, 3, 20))
    alert = Alert.objects.filter(pupil=pupil).first()
    StaffFactory(school=school, position="dsl", user=UserFactory(username="dsl"))
    login(page, "dsl", then=f"/attendance-officer/alerts/{alert.pk}/")
    assert page.get_by_text("Waiting for the attendance officer's decision.").is_visible()
    assert page.get_by_role("button", name="Accept and add to the case").count() == 0
    screenshot(page, "limits-dsl-alert")
    accessible(page, "the DSL's alert page")
