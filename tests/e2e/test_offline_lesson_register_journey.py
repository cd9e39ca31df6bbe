"""A lesson register that survives the network, in Debian's Chromium: Mr Khan, a subject teacher at
Oakfield Academy, takes his Tuesday P3 maths lesson's register (11:00–12:00, late after 11:05)
when the Wi-Fi drops. The lesson register pages' own service worker (/lessons/registers/sw.js)
keeps the page; marks saved offline wait in the browser, survive a reload while still offline,
and are sent when the connection returns through the same service: every lesson mark saved once,
and no statutory mark. Desktop; axe on the page while offline; the screenshot is
test-artifacts/screenshots/lesson-offline.png."""

import re

import pytest
import time_machine
from playwright.sync_api import expect

from lessons.models import LessonMark, LessonRegister, Period, TimetableSettings
from registers.models import Mark
from tests.e2e.conftest import login, screenshot, serious_violations
from tests.e2e.test_offline_register_journey import choose, status, wait_until_kept
from tests.factories import make_school, make_staff
from tests.lessons.lesson_helpers import PERIODS, SECONDARY_SCHOOL, TERM_START, TUESDAY, P, at, make_class, make_lesson

HEADING = "Tuesday 8 December · P3 lesson register"  # a part of "10X/Ma1 · Tuesday 8 December · P3 …"


@pytest.fixture(autouse=True)
def _live_db(transactional_db):
    """The live server's requests see the data the test writes."""
    yield


@pytest.fixture
def maths():
    """Oakfield Academy's 10X/Ma1 (five Year 10 pupils) and its Tuesday P3 lesson, taught by Mr Khan
    (tests/lessons/conftest.py's school, periods and teacher, smaller)."""
    school = make_school(SECONDARY_SCHOOL)
    TimetableSettings.objects.create(school=school, late_after_minutes=5)
    periods = {
        name: Period.objects.create(
            school=school, name=name, starts=starts, ends=ends, holds_session=holds, valid_from=TERM_START
        )
        for name, starts, ends, holds in PERIODS
    }
    teacher = make_staff(school, P.SUBJECT_TEACHER, "maths", "Mo", "Khan", title="Mr")
    group, pupils = make_class(school, "10X/Ma1", 5, teacher)
    return {"lesson": make_lesson(school, group, periods["P3"], teacher), "pupils": pupils}


def clock(hour, minute):
    """The server's clock on Tuesday 8 December 2026, ticking (the browser waits in real time)."""
    return time_machine.travel(at(hour, minute), tick=True)


def open_lesson_register_and_wait_until_kept(page, lesson):
    """The teacher opens the lesson's register; the service worker takes charge and keeps the page."""
    login(page, "maths", then=f"/lessons/{lesson.pk}/{TUESDAY}/")
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    assert re.search(r"/lessons/registers/\d+/$", page.url)
    wait_until_kept(page, "lesson register page")
    scope = page.evaluate(
        "navigator.serviceWorker.controller && navigator.serviceWorker.getRegistration().then((r) => r.scope)"
    )
    assert scope.endswith("/lessons/registers/")
    return LessonRegister.objects.get(lesson=lesson, date=TUESDAY)


def test_lesson_marks_saved_offline_survive_a_reload_and_are_sent_once_when_the_connection_returns(page, maths):
    pupils = maths["pupils"]
    with clock(11, 8):
        register = open_lesson_register_and_wait_until_kept(page, maths["lesson"])
        expect(status(page)).to_be_empty()
        choose(page, pupils[0], "present")
        choose(page, pupils[1], "late")

        page.context.set_offline(True)  # the Wi-Fi drops mid-lesson
        expect(status(page)).to_contain_text("You are offline. You can carry on marking")
        choose(page, pupils[2], "absent")
        page.get_by_label(f"Other code for {pupils[3].name}").fill("M")
        page.get_by_label(f"Other code for {pupils[3].name}").press("Tab")
        page.get_by_role("button", name=re.compile("Mark all unmarked present")).click()
        page.get_by_role("button", name="Save register").click()
        waiting = "5 marks waiting to be sent — you are offline; they will be sent when the connection returns."
        expect(status(page)).to_have_text(waiting)
        expect(page.locator("tr.pupil-row.waiting")).to_have_count(5)
        assert not LessonMark.objects.filter(pupil__in=pupils).exists()

        page.reload()  # still offline: the kept page, with the waiting marks put back
        expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
        expect(status(page)).to_have_text(waiting)
        expect(page.locator(f"input[name='mark-{pupils[2].pk}'][value='N']")).to_be_checked()
        expect(page.locator(f"input[name='mark-{pupils[1].pk}'][value='L']")).to_be_checked()
        expect(page.get_by_label(f"Other code for {pupils[3].name}")).to_have_value("M")
        expect(page.locator("#unmarked-count")).to_have_text("0")
        expect(page.locator(".flag-waiting")).to_have_count(5)
        screenshot(page, "lesson-offline")
        assert serious_violations(page) == []
        assert not LessonMark.objects.filter(pupil__in=pupils).exists()

        page.context.set_offline(False)  # the connection returns
        expect(status(page)).to_have_text("All 5 waiting marks sent and saved.")
        expect(page.locator("tr.pupil-row.waiting")).to_have_count(0)
        screenshot(page, "lesson-offline-sent")

    marks = {m.pupil_id: m for m in LessonMark.objects.filter(pupil__in=pupils).select_related("code")}
    assert {pk: m.code.code for pk, m in marks.items()} == {
        pupils[0].pk: "/",
        pupils[1].pk: "L",
        pupils[2].pk: "N",
        pupils[3].pk: "M",
        pupils[4].pk: "/",
    }
    assert all(m.version == 1 and m.source == LessonMark.Source.TEACHER for m in marks.values())
    assert LessonMark.history.filter(pupil__in=pupils).count() == 5  # each mark written once
    assert not Mark.objects.filter(pupil__in=pupils).exists()  # never the statutory mark
    register.refresh_from_db()
    assert register.state == LessonRegister.State.TAKEN

    with clock(11, 10):
        page.reload()
        expect(page.locator("#register-state")).to_have_text("Taken")
        expect(status(page)).to_be_empty()
        # saving again sends nothing new: the page carries the versions the server answered with
        page.get_by_role("button", name="Save register").click()
        expect(page.get_by_text("No changes to save.")).to_be_visible()
    assert LessonMark.history.filter(pupil__in=pupils).count() == 5
