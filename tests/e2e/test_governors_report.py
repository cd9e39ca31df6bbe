"""Browser journey: a governor reads the termly report (desktop and phone), opens a
calculation, and the page keeps to the Content Security Policy (inline SVG charts with no
style attributes); screenshots land in test-artifacts/screenshots/ for a person to look at."""

import datetime as dt

import pytest

from demo.school import DEMO_PASSWORD, seed_demo
from registers.models import Pupil
from tests.e2e.conftest import login, screenshot, signed_in_like


@pytest.fixture
def demo(db):
    """A smaller demo school (same patterns as `seed_demo`), marked to early October."""
    return seed_demo(pupils=35, today=dt.date(2026, 10, 2), log=lambda *_: None)["school"]


def read_report(page, name):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/reports/?period=term:2026/27:Autumn")
    assert page.get_by_role("heading", name="Attendance report for governors").is_visible()
    assert page.locator("svg.chart-svg").count() == 3
    # The charts draw: the trend line has a visible size.
    box = page.locator("#trend-h ~ figure svg").bounding_box()
    assert box and box["width"] > 250 and box["height"] > 100
    page.get_by_text("Show the calculation", exact=True).click()
    assert page.get_by_text("Possible sessions: marks whose code counts as possible").is_visible()
    screenshot(page, name)
    assert violations == []
    return page.content()


def test_governor_reads_the_report_on_desktop_and_phone(demo, page, phone_page):
    # The report draws three charts on the server: allow for a busy CI machine.
    page.set_default_timeout(60_000)
    phone_page.set_default_timeout(60_000)
    login(page, "governor", DEMO_PASSWORD)
    html = read_report(page, "governors-report-desktop")
    names = Pupil.objects.filter(school=demo).values_list("legal_surname", "legal_forename", "upn")
    assert not any(upn in html for _, _, upn in names)
    assert not any(f"{forename} {surname}" in html for surname, forename, _ in names)

    signed_in_like(phone_page, page)
    read_report(phone_page, "governors-report-phone")
    # No sideways scrolling of the page itself on a phone (tables scroll in their own box).
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
