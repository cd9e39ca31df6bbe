"""Every role's day, in a real browser (Debian's Chromium), desktop and phone, with axe-core on
every page visited (no serious or critical violation):

- a teacher at 09:25, 11:00 and 16:00: the morning register left untaken is on Today ("take it
  now"), and a late arrival is recorded from the arrival time entered, not the clock;
- a class of 30 on a phone: about two screens of scrolling per ten pupils at most;
- the office: what is waiting on the home page, any register found and amended with the reason
  beside the row, a late arrival found by name as you type;
- a parent/carer: every session missed this year, the school's letters, a report withdrawn.

Screenshots: test-artifacts/screenshots/day-*.png."""

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from absences.models import AbsenceReport
from registers.models import Contact, Mark, Register, RegistrationGroup, Staff
from registers.services import Actor, MarkEntry, record_marks
from tests.e2e.conftest import PHONE, click_and_load, login, screenshot, serious_violations
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

LONDON = ZoneInfo("Europe/London")
MONDAY = dt.date(2026, 11, 23)
FRIDAY = dt.date(2026, 11, 20)
FORENAMES = ["Ada", "Ben", "Chloé", "Dev", "Ella", "Femi", "Grace", "Hari", "Isla", "Jamal"]
SURNAMES = ["Lovelace", "Okafor", "Dubois", "Patel", "Wright", "Adeyemi", "Hopper", "Singh", "Murray", "Khan"]


def clock(hour, minute, day=MONDAY):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON), tick=True)


def look(page, name):
    """A screenshot to look at, and axe on the page as it is."""
    screenshot(page, f"day-{name}")
    assert serious_violations(page) == [], name


@pytest.fixture(autouse=True)
def _live_db(transactional_db):
    """The live server's requests see the data the test writes."""
    yield


@pytest.fixture
def klass(school):
    """Year 3 with 30 pupils (two called Reuben Ali), its teacher and the office."""
    group = RegistrationGroup.objects.get(school=school, name="Year 3")
    teacher = StaffFactory(
        user=UserFactory(username="teacher", first_name="Amira", last_name="Hussain"), school=school, title="Ms"
    )
    group.teachers.add(teacher)
    StaffFactory(
        user=UserFactory(username="office", first_name="Priya", last_name="Shah"),
        school=school,
        position=Staff.Position.OFFICE,
        title="Mrs",
    )
    pupils = [PupilFactory(school=school, year=3, legal_forename="Reuben", legal_surname="Ali") for _ in range(2)]
    for i in range(28):
        pupils.append(
            PupilFactory(
                school=school,
                year=3,
                legal_forename=FORENAMES[i % 10],
                legal_surname=SURNAMES[(i * 3) % 10] + ("" if i < 10 else " " + "ABC"[i // 10]),
            )
        )
    for i, pupil in enumerate(pupils):
        write(school, pupil, {(FRIDAY, "AM"): "/" if i % 7 else "N", (FRIDAY, "PM"): "\\" if i % 5 else "I"})
    pupils.sort(key=lambda p: (p.legal_surname, p.legal_forename, p.pk))
    return {"group": group, "teacher": teacher, "pupils": pupils}


# --- a teacher ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hour, minute", [(9, 25), (11, 0), (16, 0)])
def test_a_teacher_takes_the_morning_register_late_with_the_arrival_time(page, klass, hour, minute):
    pupils, latecomer = klass["pupils"], klass["pupils"][2]
    with clock(8, 58):
        record_marks(
            school=klass["teacher"].school,
            entries=[MarkEntry(p.pk, MONDAY, "AM", "/") for p in pupils if p != latecomer],
            actor=Actor.for_user(klass["teacher"].user),
            source="teacher",
        )
    with clock(hour, minute):
        login(page, "teacher", then="/today/")
        morning = page.locator("li.today-item", has_text="Mon 23 Nov · morning")
        expect(morning).to_contain_text("Not taken — take it now")
        expect(morning).to_contain_text("closed 09:20")
        look(page, f"teacher-today-{hour:02}{minute:02}")
        click_and_load(page, morning.get_by_role("link", name=re.compile("Take it now")))
        page.locator(f"label.choice-late:has(input[name='mark-{latecomer.pk}'])").click()
        arrived = page.locator(f"input[name='arrived-{latecomer.pk}']")
        assert arrived.input_value() == ""  # the page does not fill in the clock after close
        arrived.fill("09:22")
        look(page, f"teacher-register-late-{hour:02}{minute:02}")
        page.get_by_role("button", name="Save register").click()
        expect(page.get_by_text("Recorded as U (arrived after the register closed at 09:20)")).to_be_visible()
        expect(page.get_by_text(re.compile(r"\(22 min\)"))).to_be_visible()
        page.goto("/today/")
        expect(page.locator("li.today-item", has_text="Mon 23 Nov · morning")).to_contain_text("Taken")
        look(page, f"teacher-today-taken-{hour:02}{minute:02}")
    mark = Mark.objects.select_related("code").get(pupil=latecomer, date=MONDAY, session="AM")
    assert (mark.code.code, mark.minutes_late) == ("U", 22)  # 09:22, not the clock's 25, 120 or 420
    assert Register.objects.get(group=klass["group"], date=MONDAY, session="AM").state == Register.State.TAKEN


def test_a_class_of_30_on_a_phone_is_about_two_screens_per_ten_pupils(phone_page, klass):
    page = phone_page
    with clock(9, 3):
        login(page, "teacher", then="/today/")
        look(page, "teacher-today-phone")
        page.get_by_role("link", name=re.compile("Take register")).first.click()
        expect(page.locator("tr.pupil-row")).to_have_count(30)
        # the rows are there before the stylesheet is applied: measure the page as it is shown
        page.wait_for_load_state("load")
        height = page.evaluate("document.documentElement.scrollHeight")
        print(f"register page height on a {PHONE['width']}×{PHONE['height']} phone, 30 pupils: {height} px")
        assert height <= 3 * 2 * PHONE["height"], height  # 30 pupils: at most 6 screens
        pupil = klass["pupils"][0]
        page.locator(f"label.choice-late:has(input[name='mark-{pupil.pk}'])").tap()
        expect(page.locator(f"input[name='arrived-{pupil.pk}']")).to_be_visible()
        look(page, "teacher-register-phone")


# --- the office --------------------------------------------------------------------------------


def test_the_office_finds_amends_and_signs_in(page, klass, school):
    pupils = klass["pupils"]
    parent = UserFactory(username="a-parent")
    AbsenceReport.objects.create(
        school=school,
        pupil=pupils[5],
        start_date=MONDAY,
        start_session="AM",
        end_date=MONDAY,
        end_session="PM",
        reason="illness",
        submitted_by=parent,
        submission_key=uuid.uuid4(),
    )
    with clock(10, 0):
        login(page, "office")
        waiting = page.locator("ul.waiting")
        expect(waiting).to_contain_text("1 Reports from parents to process")
        expect(waiting).to_contain_text("1 Registers not taken")
        look(page, "office-home")
        page.get_by_role("link", name="Find a register").first.click()
        page.get_by_label("Date").fill(FRIDAY.isoformat())
        page.get_by_role("button", name="Show registers").click()
        look(page, "office-registers-friday")
        page.get_by_role("row", name=re.compile("Year 3 Morning")).get_by_role("link").click()
        expect(page.get_by_role("heading", name=re.compile("Friday 20 November"))).to_be_visible()
        # change an N to I without the reason: the error is in that pupil's row
        n_pupil = next(p for p in pupils if Mark.objects.get(pupil=p, date=FRIDAY, session="AM").code.code == "N")
        page.locator(f"input[name='other-{n_pupil.pk}']").fill("I")
        page.get_by_role("button", name="Save register").click()
        row = page.locator(f"#pupil-{n_pupil.pk}")
        expect(row.locator(".row-errors")).to_contain_text("needs a reason")
        reason = row.locator(f"input[name='reason-{n_pupil.pk}']")
        expect(reason).to_have_accessible_name(f"Reason for changing {n_pupil.name}’s mark")
        expect(reason).to_have_attribute("aria-invalid", "true")
        look(page, "office-amend-error")
        reason.fill("mother phoned on Friday: ill")
        page.get_by_role("button", name="Save register").click()
        expect(page.get_by_text(re.compile("1 correction"))).to_be_visible()

        # a late arrival, found by name as you type
        page.goto("/office/late-arrival/")
        page.get_by_label("Pupil’s name or UPN").press_sequentially("reub al", delay=40)
        results = page.locator("#late-results li")
        expect(results).to_have_count(2)
        expect(results.first).to_contain_text("Year 3 · Year 3 · UPN")
        look(page, "office-late-search")
        target = next(p for p in pupils if p.legal_forename == "Reuben")
        page.locator(f"#late-results a[href*='pupil={target.pk}']").click()
        page.get_by_label("Arrived at").fill("09:41")
        look(page, "office-late-chosen")
        page.get_by_role("button", name=re.compile("^Sign in ")).click()
        expect(page.get_by_text(re.compile(r"recorded as U \(41 min late\)"))).to_be_visible()
    amended = Mark.objects.get(pupil=n_pupil, date=FRIDAY, session="AM")
    assert (amended.code.code, amended.reason) == ("I", "mother phoned on Friday: ill")
    late = Mark.objects.select_related("code").get(pupil=target, date=MONDAY, session="AM")
    assert (late.code.code, late.minutes_late, late.source) == ("U", 41, "office")


def test_the_office_late_search_works_without_javascript(browser, live_server, klass):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    with clock(9, 45):
        login(page, "office", then="/office/late-arrival/")
        page.get_by_label("Pupil’s name or UPN").fill("reuben")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#late-results li")).to_have_count(2)
        # axe runs in the page's JavaScript, so not here; the same page is checked with it above
        screenshot(page, "day-office-late-search-phone-no-js")
    context.close()


# --- a parent/carer --------------------------------------------------------------------------


@pytest.fixture
def family(school, klass):
    ada = klass["pupils"][3]
    parent = UserFactory(username="grace", first_name="Grace", last_name="Okafor")
    Contact.objects.create(
        pupil=ada,
        priority=1,
        forename="Grace",
        surname="Okafor",
        relationship="Mother",
        parental_responsibility=True,
        email="grace@example.org",
        user=parent,
    )
    write(school, ada, {(dt.date(2026, 9, 10), "AM"): "I", (dt.date(2026, 9, 10), "PM"): "I"})
    write(school, ada, {(dt.date(2026, 10, 5), "AM"): "G", (dt.date(2026, 10, 5), "PM"): "G"})
    report = AbsenceReport.objects.create(
        school=school,
        pupil=ada,
        start_date=MONDAY + dt.timedelta(days=1),
        start_session="AM",
        end_date=MONDAY + dt.timedelta(days=1),
        end_session="PM",
        reason="medical",
        submitted_by=parent,
        submission_key=uuid.uuid4(),
    )
    return {"ada": ada, "parent": parent, "report": report}


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_parent_sees_the_year_and_withdraws_a_report(browser, live_server, family, device):
    from tests.e2e.conftest import DESKTOP

    context = browser.new_context(
        viewport=PHONE if device == "phone" else DESKTOP,
        base_url=live_server.url,
        is_mobile=device == "phone",
        locale="en-GB",
        timezone_id="Europe/London",
    )
    page = context.new_page()
    ada = family["ada"]
    with clock(10, 0):
        login(page, "grace")
        expect(page.locator(".who")).to_contain_text("Grace Okafor")
        look(page, f"parent-home-{device}")
        page.get_by_role("link", name=re.compile(f"See {ada.forename}")).click()
        missed = page.locator("section[aria-labelledby=missed-heading] tbody tr")
        expect(missed.first).to_be_visible()
        assert missed.count() >= 4  # September's illness and October's holiday, and any of Friday's
        expect(page.locator("section[aria-labelledby=missed-heading]")).to_contain_text(
            "Holiday the school did not agree (unauthorised absence)"
        )
        expect(page.get_by_text("The year, day by day")).to_be_visible()
        look(page, f"parent-child-{device}")
        page.goto(f"/parents/reports/{family['report'].pk}/")
        page.get_by_role("button", name="Withdraw this report").click()
        expect(page.get_by_text(re.compile("is withdrawn"))).to_be_visible()
        expect(page.get_by_role("button", name="Withdraw this report")).to_have_count(0)
        look(page, f"parent-report-withdrawn-{device}")
    context.close()
    family["report"].refresh_from_db()
    assert family["report"].status == AbsenceReport.Status.WITHDRAWN
