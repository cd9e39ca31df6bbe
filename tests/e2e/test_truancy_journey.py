"""A head of year receiving an internal-truancy alert within the lesson, in a real browser: Year 10's
head opens "Missing from lessons" at 12:30 on Tuesday 8 December 2026, sees Ada (present at the
morning register, marked N in P2 Maths), and Ben appears without a reload when P4's teacher marks
him absent; then records where Ada was. Axe on the page; screenshots in
test-artifacts/screenshots/ at desktop and phone widths."""

import re

import pytest
from playwright.sync_api import expect

from lessons.models import TruancyAlert
from registers.models import RegistrationGroup, Staff
from tests.e2e.conftest import PHONE, click_and_load, login, screenshot, serious_violations, signed_in_like
from tests.factories import make_staff
from tests.lessons.truancy_school import make_secondary, moment


@pytest.fixture(autouse=True)
def _live_db(transactional_db):
    """The live server's requests see the data the test writes."""
    yield


def look(page, name):
    screenshot(page, name)
    assert serious_violations(page) == [], name


def test_a_head_of_year_sees_an_alert_arrive_and_records_where_the_pupil_was(page, browser, monkeypatch, settings):
    settings.LESSONS_POLL_SECONDS = 5
    monkeypatch.setattr("registers.timing.now", lambda: moment("12:30"))
    sec = make_secondary()
    hoy = make_staff(sec.school, Staff.Position.HEAD_OF_YEAR, "hoy", "Dana", "Okoro", title="Mrs")
    RegistrationGroup.objects.get(school=sec.school, name="10X").teachers.add(hoy)
    for pupil in ("Ada", "Ben", "Eve"):
        sec.statutory(pupil, "AM", "/")
    sec.take_and_check("P2 Ma", {"Ada": "N", "Ben": "/"}, at_time="10:05")
    sec.take_and_check("P2 En", {"Eve": "N"}, at_time="10:06", teacher="reed")  # Year 9: not hers

    # The page polls every five seconds (its least); the test moves the page's clock on to the
    # next poll rather than waiting for it in real time.
    page.clock.install()
    login(page, "hoy")
    expect(page.locator(".waiting")).to_contain_text("1 Pupils missing from lessons")
    click_and_load(page, page.get_by_role("link", name="Pupils missing from lessons"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Missing from lessons")
    table = page.locator("#live-box")
    expect(table).to_contain_text("Ada Year10")
    expect(table).to_contain_text("Morning register 10X, 08:45 — marked by Ms Patel")
    expect(table).not_to_contain_text("Eve Year9")

    # P4's teacher marks Ben absent: the page shows him at its next poll, with no reload
    sec.take_and_check("P4 Sc", {"Ada": "N", "Ben": "N"}, at_time="12:25", teacher="jones")
    page.clock.fast_forward(settings.LESSONS_POLL_SECONDS * 1000)
    expect(table).to_contain_text("Ben Year10", timeout=15_000)
    expect(page.locator("#live-status")).to_contain_text("3 pupils missing from lessons")
    look(page, "truancy-hoy-alerts")

    phone = browser.new_context(viewport=PHONE, base_url=page.url.split("/lessons")[0], is_mobile=True, has_touch=True)
    try:
        small = phone.new_page()
        signed_in_like(small, page)
        small.goto("/lessons/truancy/")
        expect(small.locator("#live-box")).to_contain_text("Ben Year10")
        look(small, "truancy-hoy-alerts-phone")
    finally:
        phone.close()

    alert = TruancyAlert.objects.get(pupil=sec.pupils["Ada"], register__lesson=sec.lessons["P2 Ma"])
    p2_row = page.locator("tr", has_text="P2 Maths 10X/Ma1").filter(has_text="Ada Year10")
    p2_row.get_by_role("link", name=re.compile("Record where they were")).click()
    page.get_by_role("button", name="Clear the alert").click()
    expect(page.locator(".errorlist, .error")).to_contain_text("Say where the pupil was")
    page.get_by_label("Where were they?").fill("With the school nurse (headache), back for P3")
    look(page, "truancy-hoy-resolve")
    page.get_by_role("button", name="Clear the alert").click()
    expect(page.locator(".messages")).to_contain_text("Ada Year10's alert is cleared.")
    expect(page.locator("#live-box")).to_contain_text("Cleared today")
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.where_they_were.startswith("With the school nurse")
