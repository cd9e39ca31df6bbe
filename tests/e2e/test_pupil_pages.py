"""Browser journey: the office finds a pupil and reads the full history of an amended mark,
at desktop and phone sizes, with screenshots of every page for a person to look at."""

import pytest
from django.utils import timezone

from registers.models import Mark, SchoolDay, Staff
from registers.services import Actor, MarkEntry, record_marks
from tests.e2e.conftest import click_and_load, login, screenshot
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

P = Staff.Position
PASSWORD = "correct horse battery"
WEEK = ["/", "\\", "/", "\\", "I", "I", "/", "\\", "O", "L"]


@pytest.fixture
def story(school):
    """A class with a few weeks of marks up to today, and one mark amended by the office."""
    office = StaffFactory(
        user=UserFactory(username="office", first_name="Priya", last_name="Shah"),
        school=school,
        position=P.OFFICE,
        title="Mrs",
    )
    StaffFactory(user=UserFactory(username="governor"), school=school, position=P.GOVERNOR)
    days = list(
        SchoolDay.objects.filter(school=school, date__lte=timezone.localdate())
        .order_by("-date")
        .values_list("date", flat=True)[:15]
    )[::-1]
    names = [("Ada", "Lovelace"), ("Ben", "Okafor"), ("Chloé", "Dubois"), ("Dev", "Patel"), ("Ella", "Wright")]
    pupils = []
    for i, (forename, surname) in enumerate(names):
        pupil = PupilFactory(school=school, year=3, legal_forename=forename, legal_surname=surname)
        marks = []
        for n, day in enumerate(days):
            for s, session in enumerate(("AM", "PM")):
                code = WEEK[(2 * n + s + 3 * i) % len(WEEK)] if i % 2 else ("/" if session == "AM" else "\\")
                marks.append((day, session, code, 7) if code == "L" else (day, session, code))
        write(school, pupil, marks)
        pupils.append(pupil)
    ben = pupils[1]
    amended_day = days[-3]
    record_marks(
        school=school,
        entries=[MarkEntry(pupil_id=ben.id, date=amended_day, session="AM", code="M")],
        actor=Actor.for_user(office.user),
        source=Mark.Source.OFFICE,
        reason="Father phoned: dental appointment, letter seen",
    )
    return {"ben": ben, "amended_day": amended_day}


def watch_csp(page):
    """Collect CSP violations and failed requests (other than the browser's favicon probe)."""
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    return problems


def test_sign_in_page(page, phone_page, db):
    for p, size in ((page, "desktop"), (phone_page, "phone")):
        problems = watch_csp(p)
        p.goto("/login/")
        assert p.get_by_role("heading", name="Sign in").is_visible()
        screenshot(p, f"login-{size}")
        assert problems == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_office_finds_a_pupil_and_reads_the_history_of_an_amended_mark(request, live_server, story, size):
    # only the browser context it uses (live_server named: a transactional test, known before it runs)
    p = request.getfixturevalue({"desktop": "page", "phone": "phone_page"}[size])
    problems = watch_csp(p)
    login(p, "office")
    assert p.get_by_label("Find a pupil").is_visible()
    screenshot(p, f"office-home-{size}")

    click_and_load(p, p.get_by_role("link", name="Pupils", exact=True).first)
    assert p.get_by_role("heading", name="Pupils").is_visible()
    assert p.get_by_role("link", name="Okafor, Ben").is_visible()
    screenshot(p, f"pupil-list-{size}")

    p.get_by_label("Name or UPN").fill("okafor")
    click_and_load(p, p.get_by_role("button", name="Search"))
    assert p.get_by_role("link", name="Lovelace, Ada").count() == 0
    click_and_load(p, p.get_by_role("link", name="Okafor, Ben"))

    assert p.get_by_role("heading", name="Ben Okafor").is_visible()
    history = p.locator(".history")
    assert history.count() == 1
    assert history.get_by_text("Original entry").is_visible()
    assert history.get_by_text("Amendment 1").is_visible()
    assert history.get_by_text("Father phoned: dental appointment, letter seen").is_visible()
    assert history.get_by_text("Mrs Priya Shah").is_visible()
    assert history.locator("td[data-label=Position]", has_text="Office").first.is_visible()
    screenshot(p, f"pupil-detail-{size}")

    # the amended mark in the calendar strip leads to its history
    p.locator("a.mark.amended").first.click()
    assert p.url.endswith(f"#mark-{Mark.objects.get(pupil=story['ben'], date=story['amended_day'], session='AM').pk}")
    assert problems == []


def test_governor_sees_figures_without_names(page, story):
    problems = watch_csp(page)
    login(page, "governor")
    assert page.get_by_role("heading", name="Attendance at a glance").is_visible()
    assert page.get_by_text("Okafor").count() == 0
    screenshot(page, "governor-home-desktop")
    assert problems == []
