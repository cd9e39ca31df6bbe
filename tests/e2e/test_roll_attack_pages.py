"""Browser check of the admission register's pages in the states the attacks leave them (review of
issue 17): a refused deletion, markup in a pupil's name, a CME deletion in the list, a rollover
refused for a broken groups file, at phone and desktop widths; axe on each, screenshots looked at."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
import time_machine

from registers.leaving import delete_from_register
from registers.models import Ground, Pupil, RegisterDeletion
from tests.e2e.conftest import SHOTS, accessible, click_and_load, login, screenshot
from tests.factories import PupilFactory, StaffFactory, UserFactory

MY_SHOTS = Path("/work/shots/review")
EVIL = '<img src=x onerror="document.title=1">Nia'


def fits(page, name):
    """Nothing wider than the screen (no sideways scrolling of the whole page)."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} is wider than {width}px"


def shot(page, name):
    screenshot(page, name)
    if MY_SHOTS.parent.exists():
        MY_SHOTS.mkdir(exist_ok=True)
        shutil.copy(SHOTS / f"{name}.png", MY_SHOTS / f"{name}.png")


@pytest.fixture(autouse=True)
def summer_holiday():
    with time_machine.travel(dt.datetime(2026, 7, 27, 10, tzinfo=dt.UTC), tick=True):
        yield


@pytest.fixture
def office(school):
    return StaffFactory(user=UserFactory(username="office", first_name="Priya", last_name="Shah"), school=school,
                        position="office", title="Mrs")  # fmt: skip


def test_refused_deletion_markup_and_the_list_on_a_phone(phone_page, office, school):
    refused_deletion_and_the_list(phone_page, office, school, "phone")


def test_refused_deletion_markup_and_the_list_on_a_desktop(page, office, school):
    refused_deletion_and_the_list(page, office, school, "desktop")


def refused_deletion_and_the_list(page, office, school, width):
    pupil = PupilFactory(school=school, year=4, legal_forename=EVIL, legal_surname="Okafor")
    gone = PupilFactory(school=school, year=5, legal_forename="Sam", legal_surname="Missing-" + "x" * 40)
    delete_from_register(
        pupil=gone, ground=Ground.HOME_EDUCATION, deleted_on=dt.date(2026, 7, 27), user=office.user,
        recorded_by_name="Mrs Priya Shah", recorded_by_position="Office",
    )  # fmt: skip
    login(page, "office", then=f"/roll/pupils/{pupil.pk}/delete/")
    page.get_by_label("Ground for deletion (the 2024 regulations)").select_option("continuous_absence")
    accessible(page, "deletion form")
    fits(page, "deletion form")
    shot(page, f"review-deletion-form-{width}")
    click_and_load(page, page.get_by_role("button", name="Delete from the admission register"))
    assert "The deletion was not recorded" in page.content() and page.title() != "1"
    accessible(page, "refused deletion")
    fits(page, "refused deletion")
    shot(page, f"review-deletion-refused-{width}")
    page.goto("/roll/deletions/")
    accessible(page, "deletions")
    fits(page, "deletions")
    shot(page, f"review-deletions-{width}")
    assert RegisterDeletion.objects.count() == 1
    assert Pupil.objects.get(pk=pupil.pk).enrolments.get().leaving_date is None


def test_a_rollover_refused_for_a_broken_groups_file_on_a_phone(phone_page, office, school, tmp_path):
    for y in (0, 3, 6):
        PupilFactory(school=school, year=y)
    broken = tmp_path / "groups.csv"
    broken.write_bytes(b'UPN,Group\n"' + b"a" * 200_000 + b"\n")
    login(phone_page, "office", then="/roll/rollover/")
    phone_page.get_by_label("New groups from a file (optional)").set_input_files(str(broken))
    click_and_load(phone_page, phone_page.get_by_role("button", name="Apply the rollover"))
    assert "groups file line 2: the file cannot be read" in phone_page.content()
    assert "Nothing was changed" in phone_page.content()
    accessible(phone_page, "rollover refused")
    fits(phone_page, "rollover refused")
    shot(phone_page, "review-rollover-refused-phone")
    assert Pupil.objects.filter(year=4).count() == 0
