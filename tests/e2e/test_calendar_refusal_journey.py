"""Browser journey: the office re-imports the school calendar with an INSET day on a day that
already has marks; the preview refuses it and lists each mark (pupil, date, session, code), and
nothing changes. A screenshot of the refusal; axe on the page."""

import datetime as dt
import json

import pytest

from registers.models import Closure, SchoolDay, Staff
from tests.e2e.conftest import accessible, login, screenshot
from tests.e2e.test_imports_journey import upload, watch
from tests.factories import SCHOOL_DATA, PupilFactory, StaffFactory, UserFactory, write

MON_19_OCT = dt.date(2026, 10, 19)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


def test_a_calendar_that_would_strand_marks_is_refused_with_the_marks_listed(page, school, tmp_path):
    StaffFactory(
        user=UserFactory(username="office", first_name="Priya", last_name="Shah"),
        school=school,
        position=Staff.Position.OFFICE,
    )
    pupil = PupilFactory(school=school, year=3, legal_forename="Amira", legal_surname="Khan")
    write(school, pupil, {(MON_19_OCT, "AM"): "/", (MON_19_OCT, "PM"): "N"})
    calendar = tmp_path / "calendar-2026-27.json"
    closures = [*SCHOOL_DATA["closures"], {"date": "2026-10-19", "session": "both", "reason": "INSET", "kind": "inset"}]
    calendar.write_text(json.dumps({**SCHOOL_DATA, "closures": closures}))
    problems = watch(page)
    login(page, "office")
    upload(page, "School calendar (JSON)", calendar)
    assert page.get_by_role("heading", name="Not imported: problems in the file").is_visible()
    assert page.get_by_text("2 marks are already recorded on 1 day").is_visible()
    assert page.get_by_text(
        f"Amira Khan ({pupil.upn}), Mon 19 Oct 2026 AM: / — 19 Oct 2026 is an INSET day"
    ).is_visible()
    assert page.get_by_text(
        f"Amira Khan ({pupil.upn}), Mon 19 Oct 2026 PM: N — 19 Oct 2026 is an INSET day"
    ).is_visible()
    accessible(page, "calendar refused")
    screenshot(page, "calendar-reimport-refused")
    assert problems == []
    assert SchoolDay.objects.filter(school=school, date=MON_19_OCT).exists()
    assert not Closure.objects.filter(school=school, date=MON_19_OCT).exists()
