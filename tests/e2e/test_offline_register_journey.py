"""Registers that survive the network, in Debian's Chromium: the school Wi-Fi drops while a
teacher takes the register. Marks saved while offline wait in the browser (the page says how
many and why), survive a reload while still offline, and are sent when the connection returns:
every mark is saved exactly once. A mark the office changed meanwhile is shown to the teacher
as a conflict and the office's mark is kept. Desktop and phone; axe on the page while offline."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from registers.models import Mark, Register, RegistrationGroup, Staff
from registers.services import Actor, MarkEntry, record_marks
from tests.e2e.conftest import login, screenshot, serious_violations
from tests.factories import PupilFactory, StaffFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
MONDAY = dt.date(2026, 11, 23)
NAMES = [("Ada", "Lovelace"), ("Ben", "Okafor"), ("Chloé", "Dubois"), ("Dev", "Patel"), ("Ella", "Wright")]


def clock(hour, minute):
    return time_machine.travel(dt.datetime(2026, 11, 23, hour, minute, tzinfo=LONDON), tick=True)


@pytest.fixture(autouse=True)
def _live_db(transactional_db):
    """The live server's requests see the data the test writes."""
    yield


@pytest.fixture
def klass(school):
    group = RegistrationGroup.objects.get(school=school, name="Year 3")
    teacher = StaffFactory(
        user=UserFactory(username="teacher", first_name="Amira", last_name="Hussain"), school=school, title="Ms"
    )
    group.teachers.add(teacher)
    office = StaffFactory(
        user=UserFactory(username="office", first_name="Priya", last_name="Shah"),
        school=school,
        position=Staff.Position.OFFICE,
        title="Mrs",
    )
    pupils = [PupilFactory(school=school, year=3, legal_forename=f, legal_surname=s) for f, s in NAMES]
    pupils.sort(key=lambda p: (p.legal_surname, p.legal_forename, p.pk))
    return {"group": group, "teacher": teacher, "office": office, "pupils": pupils}


def shot(page, name):
    screenshot(page, f"offline-{name}")


KEPT = """async () => {
  if (!navigator.serviceWorker || !navigator.serviceWorker.controller) { return false; }
  const cache = await caches.open("register-pages-v1");
  const page = await cache.match(location.href.split("#")[0], { ignoreVary: true });
  const files = (await cache.keys()).filter((r) => r.url.includes("/static/js/"));
  return !!page && files.length >= 3;
}"""


KEPT_PAGES = """async () => {
  if (!(await caches.has("register-pages-v1"))) { return 0; }
  const cache = await caches.open("register-pages-v1");
  return (await cache.keys()).filter((r) => r.url.includes("/registers/")).length;
}"""


def wait_until_kept(page, what="register page"):
    """Until the service worker has kept the page and its scripts (`wait_for_function` does not
    wait for a promise's answer, so the check is polled here)."""
    for _ in range(200):
        if page.evaluate(KEPT):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the service worker never kept the {what}")


def open_register_and_wait_until_kept(page, klass):
    """The teacher opens the register; the service worker takes charge and keeps the page."""
    login(page, "teacher", then=f"/registers/{klass['group'].pk}/{MONDAY}/AM/")
    expect(page.get_by_role("heading", name=re.compile("Year 3"))).to_be_visible()
    wait_until_kept(page)
    return Register.objects.get(group=klass["group"], date=MONDAY, session="AM")


def choose(page, pupil, choice):
    page.locator(f"label.choice-{choice}:has(input[name='mark-{pupil.pk}'])").click()


def status(page):
    return page.locator("#offline-status")


def test_marks_saved_offline_survive_a_reload_and_are_sent_once_when_the_connection_returns(page, klass):
    pupils = klass["pupils"]
    with clock(9, 2):
        register = open_register_and_wait_until_kept(page, klass)
        expect(status(page)).to_be_empty()
        choose(page, pupils[0], "present")
        choose(page, pupils[1], "late")

        page.context.set_offline(True)  # the Wi-Fi drops mid-register
        expect(status(page)).to_contain_text("You are offline. You can carry on marking")
        choose(page, pupils[2], "absent")
        page.get_by_label(f"Other code for {pupils[3].name}").fill("C1")
        page.get_by_label(f"Other code for {pupils[3].name}").press("Tab")
        page.get_by_role("button", name=re.compile("Mark all unmarked present")).click()
        page.get_by_role("button", name="Save register").click()
        waiting = "5 marks waiting to be sent — you are offline; they will be sent when the connection returns."
        expect(status(page)).to_have_text(waiting)
        expect(page.locator("tr.pupil-row.waiting")).to_have_count(5)
        shot(page, "desktop-waiting")
        assert not Mark.objects.filter(pupil__in=pupils).exists()

        page.reload()  # still offline: the kept page, with the waiting marks put back
        expect(page.get_by_role("heading", name=re.compile("Year 3"))).to_be_visible()
        expect(status(page)).to_have_text(waiting)
        expect(page.locator(f"input[name='mark-{pupils[2].pk}'][value='N']")).to_be_checked()
        expect(page.locator(f"input[name='mark-{pupils[1].pk}'][value='L']")).to_be_checked()
        expect(page.get_by_label(f"Other code for {pupils[3].name}")).to_have_value("C1")
        expect(page.locator("#unmarked-count")).to_have_text("0")
        expect(page.locator(".flag-waiting")).to_have_count(5)
        shot(page, "desktop-reloaded-offline")
        assert serious_violations(page) == []
        assert not Mark.objects.filter(pupil__in=pupils).exists()

        page.context.set_offline(False)  # the connection returns
        expect(status(page)).to_have_text("All 5 waiting marks sent and saved.")
        expect(page.locator("tr.pupil-row.waiting")).to_have_count(0)
        shot(page, "desktop-sent")

    marks = {m.pupil_id: m for m in Mark.objects.filter(pupil__in=pupils).select_related("code")}
    assert {pk: m.code.code for pk, m in marks.items()} == {
        pupils[0].pk: "/",
        pupils[1].pk: "L",
        pupils[2].pk: "N",
        pupils[3].pk: "C1",
        pupils[4].pk: "/",
    }
    assert all(m.version == 1 and m.source == Mark.Source.TEACHER for m in marks.values())
    assert Mark.history.filter(pupil__in=pupils).count() == 5  # each mark written once
    register.refresh_from_db()
    assert register.state != Register.State.NOT_TAKEN

    with clock(9, 4):
        page.reload()
        expect(page.locator("#register-state")).to_have_text("Taken")
        expect(status(page)).to_be_empty()
        # saving again sends nothing new: the page carries the versions the server answered with
        page.get_by_role("button", name="Save register").click()
        expect(page.get_by_text("No changes to save.")).to_be_visible()

        # Signing out forgets the copies of register pages kept on this (perhaps shared) computer.
        assert page.evaluate(KEPT_PAGES) > 0
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_label("Username")).to_be_visible()
        for _ in range(300):
            if page.evaluate(KEPT_PAGES) == 0:
                break
            page.wait_for_timeout(50)
        else:
            raise AssertionError("the register pages kept for offline use outlived signing out")
    assert Mark.history.filter(pupil__in=pupils).count() == 5


def test_a_mark_the_office_changed_while_the_teacher_was_offline_is_shown_and_kept_on_a_phone(phone_page, klass):
    page = phone_page
    pupils = klass["pupils"]
    office = klass["office"]
    with clock(9, 3):
        open_register_and_wait_until_kept(page, klass)
        page.context.set_offline(True)
        choose(page, pupils[0], "absent")
        page.get_by_role("button", name=re.compile("Mark all unmarked present")).click()
        page.get_by_role("button", name="Save register").click()
        expect(status(page)).to_have_text(
            "5 marks waiting to be sent — you are offline; they will be sent when the connection returns."
        )
        shot(page, "phone-waiting")
        assert serious_violations(page) == []

        # Meanwhile the office hears from the family: a medical appointment.
        record_marks(
            school=office.school,
            entries=[MarkEntry(pupil_id=pupils[0].pk, date=MONDAY, session="AM", code="M")],
            actor=Actor.for_staff(office.user, office),
            source=Mark.Source.OFFICE,
        )

        page.context.set_offline(False)
        expect(status(page)).to_have_text("All 4 waiting marks sent and saved.")
        conflicts = page.locator("#offline-conflicts")
        expect(conflicts).to_contain_text("someone else changed this mark")
        expect(conflicts).to_contain_text(f"{pupils[0].name}")
        expect(conflicts).to_contain_text("recorded M at")
        expect(conflicts).to_contain_text("You entered N; their mark (M) is kept")
        expect(page.locator(f"#pupil-{pupils[0].pk} .flag-conflict")).to_contain_text("recorded M meanwhile")
        expect(page.get_by_label(f"Other code for {pupils[0].name}")).to_have_value("M")
        shot(page, "phone-conflict")
        assert serious_violations(page) == []

        page.reload()  # the conflict stays in front of the teacher until they have seen it
        expect(conflicts).to_contain_text("You entered N; their mark (M) is kept")
        page.get_by_role("button", name="I have checked this").click()
        expect(conflicts).to_have_count(0)

    marks = {m.pupil_id: m for m in Mark.objects.filter(pupil__in=pupils).select_related("code")}
    assert marks[pupils[0].pk].code.code == "M" and marks[pupils[0].pk].source == Mark.Source.OFFICE
    assert {marks[p.pk].code.code for p in pupils[1:]} == {"/"}
    assert all(m.version == 1 for m in marks.values())
    assert Mark.history.filter(pupil__in=pupils).count() == 5


def test_marks_waiting_when_the_session_has_gone_are_kept_until_the_teacher_signs_in_again(page, klass):
    pupils = klass["pupils"]
    with clock(9, 5):
        open_register_and_wait_until_kept(page, klass)
        page.context.set_offline(True)
        page.get_by_role("button", name=re.compile("Mark all unmarked present")).click()
        page.get_by_role("button", name="Save register").click()
        expect(status(page)).to_contain_text("5 marks waiting to be sent — you are offline")

        page.context.clear_cookies()  # signed out meanwhile (the session and its CSRF token are gone)
        page.context.set_offline(False)
        expect(status(page)).to_contain_text(
            "5 marks waiting to be sent — you need to sign in again before they can be sent; "
            "they are kept on this device."
        )
        shot(page, "desktop-sign-in-again")
        assert serious_violations(page) == []
        assert not Mark.objects.filter(pupil__in=pupils).exists()

        page.get_by_role("link", name="Sign in again").click()
        page.get_by_label("Username").fill("teacher")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        # back on the register: the waiting marks go with the new session's token
        expect(page.get_by_role("heading", name=re.compile("Year 3"))).to_be_visible()
        expect(status(page)).to_have_text("All 5 waiting marks sent and saved.")

    marks = Mark.objects.filter(pupil__in=pupils).select_related("code")
    assert sorted(m.code.code for m in marks) == ["/"] * 5
    assert Mark.history.filter(pupil__in=pupils).count() == 5
