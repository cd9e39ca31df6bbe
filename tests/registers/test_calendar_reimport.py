"""Re-importing a school's calendar never quietly overrides the register (issue 16): a file that
turns marked days into INSET days or holidays is refused with the list of the marks (pupil, date,
session, code), on the command line's import and on the office's Imports preview alike; a planned
closure recodes its sessions' marks `#` through the register service, with a reason, and the
preview lists every mark it recodes."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registers.imports import ImportRejected, import_school, import_school_file
from registers.models import Closure, Mark, SchoolDay, Staff
from tests.factories import SCHOOL_DATA, PupilFactory, StaffFactory, write

D = dt.date
MON_19_OCT = D(2026, 10, 19)  # the week before the autumn half-term (26–30 Oct 2026)
FRI_23_OCT = D(2026, 10, 23)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def amira(school):
    pupil = PupilFactory(school=school, year=3, legal_forename="Amira", legal_surname="Khan")
    write(school, pupil, {(MON_19_OCT, "AM"): "/", (MON_19_OCT, "PM"): "N", (FRI_23_OCT, "AM"): "I"})
    return pupil


def with_inset(day):
    return {**SCHOOL_DATA, "closures": [*SCHOOL_DATA["closures"], {"date": day, "reason": "INSET", "kind": "inset"}]}


def test_an_inset_day_over_marks_is_refused_with_the_marks_listed(school, amira):
    with pytest.raises(ImportRejected) as refused:
        import_school(with_inset("2026-10-19"))
    problems = [p.message for p in refused.value.problems]
    assert "2 marks are already recorded on 1 day this calendar would no longer count as school days" in problems[0]
    assert problems[1:] == [
        f"Amira Khan ({amira.upn}), Mon 19 Oct 2026 AM: / — 19 Oct 2026 is an INSET day",
        f"Amira Khan ({amira.upn}), Mon 19 Oct 2026 PM: N — 19 Oct 2026 is an INSET day",
    ]
    assert SchoolDay.objects.filter(school=school, date=MON_19_OCT).exists()
    assert not Closure.objects.filter(school=school, date=MON_19_OCT).exists()


def test_a_longer_half_term_over_marks_is_refused(school, amira):
    breaks = [dict(b) for b in SCHOOL_DATA["half_term_breaks"]]
    breaks[3]["start"] = "2026-10-23"
    with pytest.raises(ImportRejected) as refused:
        import_school({**SCHOOL_DATA, "half_term_breaks": breaks})
    assert refused.value.problems[1].message.startswith(f"Amira Khan ({amira.upn}), Fri 23 Oct 2026 AM: I — ")
    assert SchoolDay.objects.filter(school=school, date=FRI_23_OCT).exists()


def test_an_inset_day_with_no_marks_is_imported(school, amira):
    import_school(with_inset("2026-11-02"))
    assert not SchoolDay.objects.filter(school=school, date=D(2026, 11, 2)).exists()


def test_a_closure_widened_to_the_whole_school_recodes_its_marks_with_a_reason(school):
    """The Year 6 transition afternoon (1 Jul 2026) becomes a whole-school closure: the Year 3
    marks of that afternoon become # through the register service, listed in the report."""
    pupil = PupilFactory(school=school, year=3, legal_forename="Amira", legal_surname="Khan")
    write(school, pupil, {(D(2026, 7, 1), "PM"): "\\"})
    closures = [dict(c) for c in SCHOOL_DATA["closures"]]
    closures[3] = {**closures[3], "year_groups": [], "reason": "Whole-school transition afternoon"}
    data = json.dumps({**SCHOOL_DATA, "closures": closures}).encode()
    report = import_school_file(school=school, data=data)
    mark = Mark.objects.get(pupil=pupil)
    assert (mark.code.code, mark.version, mark.source) == ("#", 2, "closure")
    assert mark.reason == "planned closure: Whole-school transition afternoon"
    [listed] = [c for c in report.changes if c.thing == "planned-closure mark (#)"]
    assert listed.label == f"Amira Khan ({pupil.upn}): Wed 01 Jul 2026 PM"
    assert listed.details == ["\\ → # (planned closure: Whole-school transition afternoon)"]


def test_the_office_import_preview_shows_the_refusal(client, school, amira):
    staff = StaffFactory(school=school, position=Staff.Position.DATA_MANAGER)
    client.force_login(staff.user, backend="django.contrib.auth.backends.ModelBackend")
    file = SimpleUploadedFile("calendar.json", json.dumps(with_inset("2026-10-19")).encode(), "application/json")
    response = client.post(reverse("imports:page"), {"kind": "calendar", "file": file})
    page = client.get(response["Location"]).content.decode()
    assert "nothing was imported" in page
    assert f"Amira Khan ({amira.upn}), Mon 19 Oct 2026 AM: / — 19 Oct 2026 is an INSET day" in page
    assert "Import these changes" not in page
    assert not Closure.objects.filter(school=school, date=MON_19_OCT).exists()
