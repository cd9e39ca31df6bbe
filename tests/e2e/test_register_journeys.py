"""Browser journeys for taking registers: a teacher marks a 30-pupil register by keyboard; a
late arrival after close becomes U; a phone; the office's live missing-registers page.

The server's clock is set with time_machine (ticking, so the live server sees time pass);
the page computes minutes late from the server's clock, never the browser's."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from registers.models import Mark, Register, RegistrationGroup, Staff
from registers.services import Actor, MarkEntry, mark_register_taken, record_marks
from tests.e2e.conftest import click_and_load, login, screenshot, signed_in_like
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

LONDON = ZoneInfo("Europe/London")
MONDAY = dt.date(2026, 11, 23)
FORENAMES = ["Ada", "Ben", "Chloé", "Dev", "Ella", "Femi", "Grace", "Hari", "Isla", "Jamal"]
SURNAMES = ["Lovelace", "Okafor", "Dubois", "Patel", "Wright", "Adeyemi", "Hopper", "Singh", "Murray", "Khan"]


def clock(hour, minute):
    return time_machine.travel(dt.datetime(2026, 11, 23, hour, minute, tzinfo=LONDON), tick=True)


@pytest.fixture(autouse=True)
def quick_office_refresh(settings):
    settings.REGISTERS_OFFICE_POLL_SECONDS = 2


@pytest.fixture(autouse=True)
def _flushable_sqlite(transactional_db):
    """Work-around: on SQLite the project's `flush` lifts the audit triggers, flushes (whose
    post_migrate puts them back) and then re-creates them again, which fails with "trigger
    already exists". Lifting them here first leaves `flush` nothing to re-create."""
    yield
    from django.db import connection

    from registers.audit_triggers import TRIGGER_PREFIXES

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            for (name,) in cursor.fetchall():
                if name.startswith(TRIGGER_PREFIXES):
                    cursor.execute(f'DROP TRIGGER "{name}"')


@pytest.fixture
def klass(school):
    """Year 3 (room 3B) with 30 pupils, a class teacher, and the office."""
    group = RegistrationGroup.objects.get(school=school, name="Year 3")
    group.room = "3B"
    group.save()
    teacher = StaffFactory(
        user=UserFactory(username="teacher", first_name="Amira", last_name="Hussain", email="amira@school.example"),
        school=school,
        title="Ms",
    )
    group.teachers.add(teacher)
    StaffFactory(
        user=UserFactory(username="office", first_name="Priya", last_name="Shah"),
        school=school,
        position=Staff.Position.OFFICE,
        title="Mrs",
    )
    pupils = []
    for i in range(30):
        pupil = PupilFactory(
            school=school,
            year=3,
            legal_forename=FORENAMES[i % 10],
            legal_surname=SURNAMES[(i * 3) % 10]
            + ("-Smith" if i >= 20 else "")
            + ("" if i < 10 else " " + "ABC"[i // 10]),
        )
        pupils.append(pupil)
    pupils[4].preferred_forename = "Ellie"
    pupils[4].medical_note = "may arrive late (hospital appointments)"
    pupils[4].save()
    # last week's marks for the strip
    friday = dt.date(2026, 11, 20)
    for i, pupil in enumerate(pupils):
        write(school, pupil, {(friday, "AM"): "/" if i % 7 else "N", (friday, "PM"): "\\" if i % 5 else "I"})
    # approved leave pre-entered for this morning
    write(school, pupils[10], {(MONDAY, "AM"): "C1"}, source="leave_decision")
    pupils.sort(key=lambda p: (p.legal_surname, p.legal_forename, p.pk))
    return {"group": group, "teacher": teacher, "pupils": pupils}


def focused_name(page):
    return page.evaluate("document.activeElement && document.activeElement.name")


def test_teacher_marks_30_pupils_by_keyboard_and_sees_it_taken(page, klass):
    pupils = klass["pupils"]
    leave = next(p for p in pupils if Mark.objects.filter(pupil=p, date=MONDAY).exists())
    with clock(9, 3):
        login(page, "teacher", then="/today/")
        expect(page.get_by_role("heading", name=re.compile("Today"))).to_be_visible()
        screenshot(page, "register-today-desktop")
        click_and_load(page, page.get_by_role("link", name=re.compile("Take register")))
        expect(page.get_by_role("heading", name=re.compile("Year 3"))).to_be_visible()
        screenshot(page, "register-page-desktop-empty")

        # Keyboard only: Tab to the first pupil's marks
        first = f"mark-{pupils[0].pk}"
        for _ in range(40):
            page.keyboard.press("Tab")
            if focused_name(page) == first:
                break
        assert focused_name(page) == first

        plan = {}
        for i, pupil in enumerate(pupils):
            if pupil == leave:
                plan[pupil.pk] = "C1"
                page.keyboard.press("ArrowDown")  # approved leave already in place: skip it
                continue
            if i == 3:
                page.keyboard.press("l")
                plan[pupil.pk] = "L"
            elif i == 5:
                page.keyboard.press("n")
                plan[pupil.pk] = "N"
            elif i == 7:
                page.keyboard.press("c")
                page.keyboard.press("1")
                plan[pupil.pk] = "C1"
            elif i == 9:
                page.keyboard.press(" ")
                plan[pupil.pk] = "/"
            elif i == 11:
                # a mistake, undone, then corrected
                page.keyboard.press("n")
                page.keyboard.press("Control+z")
                expect(page.locator(f"input[name='mark-{pupil.pk}'][value='N']")).not_to_be_checked()
                page.keyboard.press("/")
                plan[pupil.pk] = "/"
            else:
                page.keyboard.press("/")
                plan[pupil.pk] = "/"
        expect(page.locator("#register-live")).not_to_be_empty()
        assert page.evaluate("document.activeElement.id") == "save-register"
        arrived = page.locator(f"input[name='arrived-{pupils[3].pk}']").input_value()
        assert arrived in ("09:03", "09:04")  # the server's clock while the register is open
        screenshot(page, "register-page-desktop-marked")
        page.keyboard.press("Enter")
        expect(page.locator("#register-state")).to_have_text("Taken")
        expect(page.get_by_text("The Year 3 AM register is taken.")).to_be_visible()
        screenshot(page, "register-page-desktop-taken")

    marks = {m.pupil_id: m for m in Mark.objects.filter(date=MONDAY, session="AM").select_related("code")}
    assert len(marks) == 30
    assert {pk: m.code.code for pk, m in marks.items()} == plan
    assert marks[leave.pk].source == "leave_decision" and marks[leave.pk].version == 1  # not overwritten
    register = Register.objects.get(group=klass["group"], date=MONDAY, session="AM")
    assert register.state == "taken" and register.taken_by.username == "teacher"


def test_late_arrival_after_close_becomes_u(page, klass):
    pupils = klass["pupils"]
    latecomer = pupils[2]
    with clock(8, 58):
        others = [p for p in pupils if p != latecomer and not Mark.objects.filter(pupil=p, date=MONDAY).exists()]
        teacher = klass["teacher"]
        record_marks(
            school=teacher.school,
            entries=[MarkEntry(pupil_id=p.pk, date=MONDAY, session="AM", code="/") for p in others],
            actor=Actor.for_user(teacher.user),
            source="teacher",
        )
    with clock(9, 34):
        login(page, "teacher", then="/today/")
        click_and_load(page, page.get_by_role("link", name=re.compile("Year 3 AM")))
        expect(page.get_by_text("This register closed at 09:20")).to_be_visible()
        # the others are locked; only the latecomer can still be recorded
        assert page.locator("input[type=radio]").count() == 3
        page.locator(f"input[name='mark-{latecomer.pk}'][value='L']").focus()
        page.keyboard.press("l")
        # after close the time box is left empty for the arrival time, and has the focus
        arrived = page.locator(f"input[name='arrived-{latecomer.pk}']")
        assert arrived.input_value() == ""
        assert page.evaluate("document.activeElement.name") == f"arrived-{latecomer.pk}"
        arrived.fill("09:31")
        screenshot(page, "register-page-desktop-after-close")
        page.get_by_role("button", name="Save register").click()
        expect(
            page.get_by_text(re.compile(r"Recorded as U \(arrived after the register closed at 09:20\)"))
        ).to_be_visible()
        screenshot(page, "register-page-desktop-late-u")
    mark = Mark.objects.select_related("code").get(pupil=latecomer, date=MONDAY, session="AM")
    assert (mark.code.code, mark.minutes_late) == ("U", 31)  # from the arrival time, not the clock


def test_register_on_a_phone(phone_page, klass):
    page = phone_page
    pupils = klass["pupils"]
    with clock(9, 3):
        login(page, "teacher", then="/today/")
        screenshot(page, "register-today-phone")
        page.get_by_role("link", name=re.compile("Take register")).click()
        late = page.locator(f"label.choice-late:has(input[name='mark-{pupils[0].pk}'])")
        late.wait_for()
        page.wait_for_load_state("load")  # sized by the stylesheet: not before it applies
        screenshot(page, "register-page-phone-empty")
        box = late.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44  # large touch targets
        late.tap()
        assert page.locator(f"input[name='arrived-{pupils[0].pk}']").input_value() in ("09:03", "09:04")
        page.locator(f"label.choice-absent:has(input[name='mark-{pupils[1].pk}'])").tap()
        page.get_by_role("button", name=re.compile("Mark all unmarked present")).tap()
        screenshot(page, "register-page-phone-marked")
        page.get_by_role("button", name="Save register").tap()
        expect(page.locator("#register-state")).to_have_text("Taken")
        screenshot(page, "register-page-phone-taken")
    codes = dict(Mark.objects.filter(date=MONDAY, session="AM").values_list("pupil_id", "code__code"))
    assert codes[pupils[0].pk] == "L" and codes[pupils[1].pk] == "N"
    assert len(codes) == 30 and list(codes.values()).count("C1") == 1


def test_office_sees_missing_register_live_until_it_is_taken(page, klass, browser, live_server, settings):
    teacher = klass["teacher"]
    page.clock.install()  # the page's polls come when the test moves its clock on (below)
    with clock(9, 6):
        login(page, "office", then="/office/missing-registers/")
        row = page.locator("tr.missing-row", has_text="Year 3")
        expect(row).to_be_visible()
        expect(row).to_contain_text("Ms Amira Hussain")
        expect(row).to_contain_text("3B")
        screenshot(page, "office-missing-desktop")
        row.get_by_role("button", name=re.compile("Remind")).click()
        expect(page.get_by_text(re.compile("Reminder sent to Ms Amira Hussain"))).to_be_visible()

        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, base_url=live_server.url, is_mobile=True, has_touch=True
        ).new_page()
        signed_in_like(phone, page)
        phone.goto("/office/missing-registers/")
        screenshot(phone, "office-missing-phone")
        phone.goto("/office/today/")
        screenshot(phone, "office-today-phone")
        phone.context.close()

        # the teacher takes the register (on another device): the office page clears by itself
        pupils = [p for p in klass["pupils"] if not Mark.objects.filter(pupil=p, date=MONDAY).exists()]
        record_marks(
            school=teacher.school,
            entries=[MarkEntry(pupil_id=p.pk, date=MONDAY, session="AM", code="/") for p in pupils],
            actor=Actor.for_user(teacher.user),
            source="teacher",
        )
        register = Register.objects.get(group=klass["group"], date=MONDAY, session="AM")
        mark_register_taken(register=register, actor=Actor.for_user(teacher.user))
        page.clock.fast_forward(settings.REGISTERS_OFFICE_POLL_SECONDS * 1000)  # the next poll, now
        expect(page.locator("tr.missing-row", has_text="Year 3")).to_have_count(0, timeout=8000)
        screenshot(page, "office-missing-desktop-cleared")
        page.goto("/office/today/")
        screenshot(page, "office-today-desktop")


def test_office_takes_register_for_teacher_and_signs_in_late_arrival(page, klass):
    pupils = klass["pupils"]
    with clock(9, 12):
        login(page, "office", then="/office/missing-registers/")
        click_and_load(page, page.get_by_role("link", name=re.compile("Take for teacher")).first)
        expect(page.get_by_text(re.compile("on behalf of Ms Amira Hussain"))).to_be_visible()
        page.locator(f"label.choice-absent:has(input[name='mark-{pupils[0].pk}'])").click()
        page.get_by_role("button", name=re.compile("Mark all unmarked present")).click()
        screenshot(page, "register-page-desktop-office")
        page.get_by_role("button", name="Save register").click()
        expect(page.locator("#register-state")).to_have_text("Taken")
    with clock(9, 50):
        page.goto("/office/late-arrival/")
        page.get_by_label("Pupil’s name or UPN").fill(pupils[0].upn)
        page.locator("#late-results a").first.click()
        page.get_by_label("Arrived at").fill("09:41")
        screenshot(page, "office-late-desktop")
        page.get_by_role("button", name=re.compile("^Sign in ")).click()
        expect(page.get_by_text(re.compile("recorded as U \\(41 min late\\)"))).to_be_visible()
    register = Register.objects.get(group=klass["group"], date=MONDAY, session="AM")
    assert register.taken_on_behalf_of == klass["teacher"]
    mark = Mark.objects.select_related("code").get(pupil=pupils[0], date=MONDAY, session="AM")
    assert (mark.code.code, mark.minutes_late, mark.source, mark.version) == ("U", 41, "office", 2)


def test_register_works_without_javascript(browser, live_server, klass):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    pupils = klass["pupils"]
    with clock(9, 8):
        login(page, "teacher", then="/today/")
        page.get_by_role("link", name=re.compile("Take register")).click()
        expect(page.get_by_role("button", name="Undo")).to_be_hidden()  # JavaScript only
        page.locator(f"label.choice-late:has(input[name='mark-{pupils[0].pk}'])").click()
        page.get_by_label(f"Other code for {pupils[1].name}").fill("c2")
        page.get_by_role("button", name=re.compile("Mark all unmarked present")).click()  # submits the form
        expect(page.locator("#register-state")).to_have_text("Taken")
        screenshot(page, "register-page-desktop-no-js")
    context.close()
    codes = dict(Mark.objects.filter(date=MONDAY, session="AM").values_list("pupil_id", "code__code"))
    minutes = Mark.objects.get(pupil=pupils[0], date=MONDAY).minutes_late
    assert (codes[pupils[0].pk], codes[pupils[1].pk]) == ("L", "C2")
    assert 8 <= minutes <= 10  # from the server's (ticking) clock: 09:08 and some seconds
    assert len(codes) == 30
