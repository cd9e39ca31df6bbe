"""Browser journey: a parent on a phone reports a two-day illness for two children; the office
accepts it; the teacher's register the next morning shows it as a planned mark; the pupil page
shows the audited codes. Screenshots of every step land in test-artifacts/screenshots/."""

import datetime as dt
import uuid
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from absences.models import AbsenceReport
from registers.models import Contact, Mark, RegistrationGroup, SchoolDay, Staff
from tests.e2e.conftest import click_and_load, login, screenshot
from tests.e2e.test_offline_register_journey import wait_until_kept
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

P = Staff.Position
PASSWORD = "correct horse battery"
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def mail_kept_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def story(school, tmp_path, settings):
    settings.PRIVATE_ROOT = tmp_path
    days = list(
        SchoolDay.objects.filter(school=school, date__gte=timezone.localdate())
        .order_by("date")
        .values_list("date", flat=True)[:2]
    )
    first, second = days
    ada = PupilFactory(school=school, legal_forename="Ada", legal_surname="Okafor", year=3)
    ben = PupilFactory(school=school, legal_forename="Ben", legal_surname="Okafor", year=5)
    parent = UserFactory(
        username="grace@example.org", first_name="Grace", last_name="Okafor", email="grace@example.org"
    )
    for child in (ada, ben):
        Contact.objects.create(
            pupil=child,
            forename="Grace",
            surname="Okafor",
            relationship="Mother",
            email=parent.email,
            telephone="07700 900123",
            user=parent,
        )
    StaffFactory(
        user=UserFactory(username="office", first_name="Priya", last_name="Shah"),
        school=school,
        position=P.OFFICE,
        title="Mrs",
    )
    teacher = StaffFactory(
        user=UserFactory(username="teacher", first_name="Tom", last_name="Reed"), school=school, title="Mr"
    )
    year3 = RegistrationGroup.objects.get(school=school, year=3)
    year3.teachers.add(teacher)
    # The morning register was taken before the parent's report arrived: Ada is N so far (written
    # once that session has begun: attendance is never recorded ahead of it).
    with time_machine.travel(dt.datetime.combine(first, dt.time(9, 30), tzinfo=LONDON), tick=False):
        write(school, ada, {(first, "AM"): "N"}, source=Mark.Source.TEACHER)
    return {"first": first, "second": second, "ada": ada, "ben": ben, "group": year3}


@pytest.fixture
def first_morning(story):
    """The story happens on its first school day, after the morning register (whatever today is)."""
    with time_machine.travel(dt.datetime.combine(story["first"], dt.time(9, 35), tzinfo=LONDON), tick=True):
        yield


def test_parent_reports_two_day_illness_for_two_children_on_a_phone(story, first_morning, phone_page, page):
    first, second = story["first"], story["second"]
    p = phone_page
    for each in (p, page):
        each.set_default_timeout(30_000)  # a shared 2-core machine can be slow
    p.goto("/parents/sign-in/")
    screenshot(p, "parent-01-sign-in-phone")
    p.get_by_label("E-mail address or username").fill("grace@example.org")
    p.get_by_label("Password").fill(PASSWORD)
    p.get_by_role("button", name="Sign in").click()
    p.wait_for_url("**/parents/")
    assert p.get_by_role("heading", name="Ada Okafor").is_visible()
    screenshot(p, "parent-02-home-phone")

    p.get_by_role("link", name="Report an absence").first.click()
    # A mistake first: the last day before the first gets a plain-English error.
    p.get_by_label("Ada Okafor").check()
    p.get_by_label("First day").fill(second.isoformat())
    p.get_by_label("Last day").fill(first.isoformat())
    p.get_by_label("Illness", exact=True).check()
    click_and_load(p, p.get_by_role("button", name="Send report"))
    assert p.get_by_role("heading", name="Please check the form").is_visible()
    assert p.get_by_text("The last day is before the first day").first.is_visible()
    screenshot(p, "parent-03a-report-error-phone")
    assert AbsenceReport.objects.count() == 0
    p.get_by_label("Ben Okafor").check()
    p.get_by_label("First day").fill(first.isoformat())
    p.get_by_label("Last day").fill(second.isoformat())
    p.get_by_label("Illness", exact=True).check()
    p.get_by_label("Tell us more").fill("Both have a sickness bug")
    p.get_by_label("When do you expect them back?").fill((second + dt.timedelta(days=1)).isoformat())
    # Large touch targets: every choice is at least 44 px high on a phone.
    box = p.get_by_label("Ben Okafor").locator("xpath=..").bounding_box()
    assert box["height"] >= 44
    screenshot(p, "parent-03-report-form-phone")
    p.get_by_role("button", name="Send report").click()
    p.wait_for_url("**/report/sent/**")
    assert p.get_by_role("heading", name="Thank you: your report has been sent").is_visible()
    screenshot(p, "parent-04-report-sent-phone")
    assert AbsenceReport.objects.count() == 2

    # The office accepts both reports (desktop).
    login(page, "office", then="/parents/office/reports/")
    screenshot(page, "office-01-inbox")
    for _ in range(2):
        click_and_load(page, page.get_by_role("button", name="Accept").first)
    assert page.get_by_text("No reports are waiting").is_visible()
    screenshot(page, "office-02-inbox-done")
    assert Mark.objects.filter(pupil=story["ben"], code__code="I").count() == 4

    # The next morning, the teacher's register shows Ada's planned mark.
    morning = dt.datetime.combine(second, dt.time(8, 52), tzinfo=LONDON)
    with time_machine.travel(morning, tick=True):
        page.context.clear_cookies()
        login(page, "teacher", then=f"/registers/{story['group'].pk}/{second.isoformat()}/AM/")
        row = page.get_by_role("row").filter(has_text="Ada Okafor")
        assert "Parent/carer reported: I" in row.inner_text()
        screenshot(page, "teacher-01-register-next-morning")
        # The register page's service worker fetches the page to keep a copy: signing out before
        # it has would let that fetch set a CSRF cookie under the next sign-in form.
        wait_until_kept(page)

    # The pupil page shows the audited codes: N amended to I, with the report as the reason (read
    # after those days, whatever today's date is).
    with time_machine.travel(dt.datetime.combine(second, dt.time(16, 0), tzinfo=LONDON), tick=True):
        page.context.clear_cookies()
        login(page, "office", then=f"/pupils/{story['ada'].pk}/")
        history = page.locator("#history-heading").locator("xpath=..")
        text = history.inner_text()
    assert "Absence report #" in text and "accepted: Illness" in text
    screenshot(page, "office-03-pupil-page-audit")


def test_head_and_office_pages_for_leave_and_follow_up(story, school, page, phone_page):
    from absences.models import LeaveRequest
    from absences.services.leave import LeaveInput, submit_leave_request

    page.set_default_timeout(30_000)
    phone_page.set_default_timeout(30_000)
    StaffFactory(
        user=UserFactory(username="head", first_name="Hugh", last_name="Marsh"), school=school, position=P.HEADTEACHER
    )
    parent = Contact.objects.filter(pupil=story["ada"]).first().user
    later = list(
        SchoolDay.objects.filter(school=school, date__gt=story["second"] + dt.timedelta(days=14))
        .order_by("date")
        .values_list("date", flat=True)[:2]
    )
    submit_leave_request(
        user=parent,
        pupils=[story["ada"]],
        data=LeaveInput(later[0], "AM", later[1], "PM", "exceptional", "Grandfather's funeral abroad"),
        submission_key=uuid.uuid4(),
    )
    earlier = list(
        SchoolDay.objects.filter(school=school, date__lt=story["first"])
        .order_by("-date")
        .values_list("date", flat=True)[:8]
    )
    write(school, story["ben"], {(d, s): "N" for d in earlier[:2] for s in ("AM", "PM")})
    write(school, story["ben"], {(earlier[7], "AM"): "N"})

    # The parent's leave form on a phone.
    login(phone_page, "grace@example.org", then="/parents/leave/")
    screenshot(phone_page, "parent-05-leave-form-phone")

    login(page, "head", then="/parents/office/leave/")
    page.get_by_role("link", name="Ada Okafor").click()
    assert page.get_by_text("the school's policy asks for").is_visible()
    screenshot(page, "head-01-leave-decision")
    page.get_by_label("Note for the parent (optional)").fill("We are sorry for your loss.")
    click_and_load(page, page.get_by_role("button", name="Grant leave"))
    assert LeaveRequest.objects.get().status == LeaveRequest.Status.GRANTED
    screenshot(page, "head-02-leave-granted")

    page.goto("/parents/office/follow-up/")
    screenshot(page, "office-04-follow-up")
    page.goto("/parents/office/overdue-n/")
    screenshot(page, "office-05-overdue-n")
