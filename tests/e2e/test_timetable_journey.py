"""Browser journey: the data manager of a secondary school brings the lessons in from the MIS
and looks at the week. From the Timetable page they follow "Import the timetable from your MIS"
(the Imports page with the timetable chosen), upload the lessons file, check the preview (each
lesson it adds) and import it; the week grid then shows the lessons, filtered to one teacher.
Screenshots: test-artifacts/screenshots/timetable-*.png; axe on each page."""

import pytest

from lessons.imports import import_timetable
from lessons.models import Lesson
from registers.models import Staff
from tests.e2e.conftest import accessible, click_and_load, login, screenshot
from tests.e2e.test_imports_journey import watch
from tests.factories import StaffFactory, UserFactory
from tests.lessons.timetable_data import GROUPS, LESSONS, PERIODS, ROOMS, memberships, people


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


def test_data_manager_imports_lessons_and_sees_the_week(page, school, tmp_path):
    data = people(school)
    for text in (PERIODS, ROOMS, GROUPS, memberships(data["pupils"])):
        import_timetable(school=school, text=text)
    user = UserFactory(username="data", first_name="Dee", last_name="Manager")
    StaffFactory(user=user, school=school, position=Staff.Position.DATA_MANAGER)
    lessons_csv = tmp_path / "lessons.csv"
    lessons_csv.write_text(LESSONS)
    problems = watch(page)

    login(page, "data")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Timetable").click()
    page.get_by_role("link", name="Import the timetable from your MIS").click()
    assert page.get_by_label("Timetable (CSV)", exact=False).is_checked()
    page.get_by_label("The file", exact=True).set_input_files(str(lessons_csv))
    click_and_load(page, page.get_by_role("button", name="Upload and preview"))
    assert page.get_by_role("heading", name="Check before importing").is_visible()
    assert page.get_by_text("Read as the lessons file of the timetable.").is_visible()
    assert page.get_by_role("row", name="Lesson · line 2 10X/Ma1 Mon P1").is_visible()
    accessible(page, "timetable preview")
    screenshot(page, "timetable-preview")
    assert not Lesson.objects.exists()
    click_and_load(page, page.get_by_role("button", name="Import these changes"))
    assert page.get_by_role("heading", name="Imported", exact=True).is_visible()
    assert Lesson.objects.count() == 4

    page.goto("/lessons/timetable/?on=2026-09-07")
    grid = page.get_by_role("table", name="Lessons by period and day")
    assert grid.get_by_role("link").count() == 4
    accessible(page, "week grid")
    screenshot(page, "timetable-grid")
    page.get_by_label("Teacher").select_option(label="Mr Mo Khan")
    click_and_load(page, page.get_by_role("button", name="Show"))
    assert grid.get_by_role("link").count() == 2
    assert grid.get_by_text("10X/Sc1").count() == 0
    assert problems == []
