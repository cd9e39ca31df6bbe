"""Browser journey: the office rolls a primary school into 2026/27 after the summer term — the preview
at desktop and phone widths, a Year 6 pupil ticked to stay on, apply once — then deletes a pupil
from the admission register from the pupil page and prints the LA notification. Screenshots of each
page; axe on every page the journey visits."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
import time_machine

from registers.models import AcademicYear, Contact, Enrolment, Pupil, RegisterDeletion, YearRollover
from tests.e2e.conftest import PHONE, SHOTS, accessible, click_and_load, login, screenshot, signed_in_like
from tests.factories import PupilFactory, StaffFactory, UserFactory

MY_SHOTS = Path("/work/shots/year")


def shot(page, name):
    screenshot(page, name)
    if MY_SHOTS.parent.exists():
        MY_SHOTS.mkdir(exist_ok=True)
        shutil.copy(SHOTS / f"{name}.png", MY_SHOTS / f"{name}.png")


@pytest.fixture(autouse=True)
def summer_holiday(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    with time_machine.travel(dt.datetime(2026, 7, 27, 10, tzinfo=dt.UTC), tick=True):
        yield


@pytest.fixture
def school_in_july(school):
    office = StaffFactory(user=UserFactory(username="office", first_name="Priya", last_name="Shah"), school=school,
                          position="office", title="Mrs")  # fmt: skip
    names = ["Ahmed", "Brown", "Chen", "Davies", "Evans", "Fraser", "Green"]
    pupils = {y: [PupilFactory(school=school, year=y, legal_surname=f"{n}-{y}") for n in names[:3]] for y in range(7)}
    mum = pupils[4][0]
    Contact.objects.create(pupil=mum, title="Mrs", forename="Ruth", surname=mum.legal_surname, relationship="Mother",
                           telephone="07700 900456", address="4 Mill Lane\nBristol", postcode="BS2 0AA")  # fmt: skip
    return office, pupils


def test_the_office_rolls_the_school_over(page, browser, live_server, school_in_july):
    office, pupils = school_in_july
    login(page, "office", then="/imports/")
    click_and_load(page, page.get_by_role("link", name="the year rollover"))
    assert "2025/26 to 2026/27" in page.title() or "2025/26 to 2026/27" in page.content()
    accessible(page, "rollover preview")
    shot(page, "rollover-preview-desktop")

    phone = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True,
                                locale="en-GB", device_scale_factor=2).new_page()  # fmt: skip
    signed_in_like(phone, page)
    phone.goto("/roll/rollover/")
    accessible(phone, "rollover preview (phone)")
    shot(phone, "rollover-preview-phone")
    phone.context.close()

    staying = pupils[6][0]
    page.get_by_label(f"Stays on ({staying.legal_forename} {staying.legal_surname})").check()
    click_and_load(page, page.get_by_role("button", name="Update the preview"))
    assert page.get_by_label(f"Stays on ({staying.legal_forename} {staying.legal_surname})").is_checked()
    click_and_load(page, page.get_by_role("button", name="Apply the rollover"))
    assert "is rolled over into 2026/27" in page.content() and "Already applied" in page.content()
    accessible(page, "rollover applied")
    shot(page, "rollover-applied-desktop")
    assert YearRollover.objects.count() == 1
    assert Pupil.objects.get(pk=pupils[5][0].pk).year == 6
    assert Enrolment.objects.get(pupil=staying).leaving_date is None
    assert Enrolment.objects.get(pupil=pupils[6][1]).leaving_date == dt.date(2026, 8, 31)


def test_the_office_deletes_a_pupil_and_prints_the_notice(page, school_in_july):
    office, pupils = school_in_july
    pupil = pupils[4][0]
    AcademicYear.objects.create(school=pupil.school, name="2024/25", start_date=dt.date(2024, 9, 4),
                                end_date=dt.date(2025, 7, 22))  # fmt: skip
    login(page, "office", then=f"/pupils/{pupil.pk}/")
    accessible(page, "pupil page")
    page.get_by_label("Figures for").select_option("2024/25")
    click_and_load(page, page.get_by_role("button", name="Show"))
    assert "Attendance, academic year 2024/25</h2>" in page.content()
    accessible(page, "pupil page, last year")
    shot(page, "pupil-page-by-academic-year")
    click_and_load(page, page.get_by_role("link", name="Delete from the admission register…"))
    accessible(page, "delete from register")
    page.get_by_label("Ground for deletion (the 2024 regulations)").select_option("moved_away")
    page.get_by_label("Destination").fill("Moved to Leeds; new school not yet known")
    click_and_load(page, page.get_by_role("button", name="Delete from the admission register"))
    assert "notification to the local authority" in page.content() and "07700 900456" in page.content()
    accessible(page, "notification")
    shot(page, "deletion-notification-desktop")
    page.emulate_media(media="print")
    shot(page, "deletion-notification-print")
    assert RegisterDeletion.objects.get().pupil == pupil
    page.emulate_media(media="screen")
    page.goto("/roll/deletions/")
    accessible(page, "deletions")
    page.goto("/parents/office/leave/not-returned/")
    accessible(page, "not returned after leave")
