"""Next year's calendar: imported at any time, added to this year's without changing it, and until it
is in, a day next September is "not published yet", never "outside term time"."""

import datetime as dt

import pytest

from absences.services.errors import AbsenceError
from absences.services.periods import check_period
from registers.calendar import dates_published, describe_non_school_day
from registers.imports import import_school
from registers.models import AcademicYear, SchoolDay
from registers.selectors import penalty_window
from tests.factories import SCHOOL_DATA

D = dt.date
THIS_YEAR = {
    **SCHOOL_DATA,
    "terms": SCHOOL_DATA["terms"][:3],
    "half_term_breaks": SCHOOL_DATA["half_term_breaks"][:3],
}
NEXT_YEAR = {
    **{k: SCHOOL_DATA[k] for k in ("urn", "name", "la_number", "establishment_number", "phase")},
    "terms": SCHOOL_DATA["terms"][3:],
    "half_term_breaks": SCHOOL_DATA["half_term_breaks"][3:],
    "closures": [{"date": "2026-09-03", "session": "both", "reason": "INSET", "kind": "inset"}],
}


@pytest.fixture
def this_year_only(db):
    return import_school(THIS_YEAR)


def test_next_september_is_not_published_yet_not_outside_term_time(this_year_only):
    school = this_year_only
    why = describe_non_school_day(school, D(2026, 9, 7))
    assert "next year's dates are not published yet" in why and "outside term time" not in why
    assert not dates_published(school, D(2026, 9, 7))
    # The summer holiday of a year that is in stays "outside term time".
    assert describe_non_school_day(school, D(2026, 7, 28)) == "28 Jul 2026 is outside term time"
    assert dates_published(school, D(2026, 7, 28))


def test_a_parent_asking_for_leave_next_september(this_year_only):
    with pytest.raises(AbsenceError) as refused:
        check_period(this_year_only, D(2026, 9, 14), "AM", D(2026, 9, 18), "PM")
    assert "next year's dates are not published yet" in str(refused.value)
    assert "outside term time" not in str(refused.value)
    import_school(NEXT_YEAR)
    check_period(this_year_only, D(2026, 9, 14), "AM", D(2026, 9, 18), "PM")  # now a school week


def test_importing_next_year_keeps_this_year_and_joins_the_weeks(this_year_only):
    school = this_year_only
    before = list(SchoolDay.objects.filter(school=school).values_list("date", "week_number", "half_term", "term_id"))
    import_school(NEXT_YEAR)
    after = list(SchoolDay.objects.filter(school=school).values_list("date", "week_number", "half_term", "term_id"))
    assert after[: len(before)] == before  # this year's days, weeks and half-terms unchanged
    assert list(AcademicYear.objects.filter(school=school).values_list("name", flat=True)) == ["2025/26", "2026/27"]
    first = SchoolDay.objects.get(school=school, date=D(2026, 9, 4))  # 3 September is an INSET day
    last_july = SchoolDay.objects.filter(school=school, date__lte=D(2026, 7, 31)).last()
    assert first.week_number == last_july.week_number + 1  # the summer holiday has no school weeks
    assert first.half_term == 1
    # The rolling ten school weeks reach back over the summer into July.
    window = penalty_window(school=school, on=D(2026, 9, 25))
    assert window.start < D(2026, 7, 22) and window.last_week - window.first_week == 9
    # Importing the same file again changes nothing.
    import_school(NEXT_YEAR)
    assert (
        list(SchoolDay.objects.filter(school=school).values_list("date", "week_number", "half_term", "term_id"))
        == after
    )


def test_the_office_imports_next_year_in_the_browser_flow(this_year_only, tmp_path, settings):
    """The Imports page's calendar upload (preview, then confirm) adds next year to this one."""
    import json

    from registers.imports import confirm_import, preview_import
    from registers.models import ImportRun, Term
    from tests.factories import StaffFactory, UserFactory

    settings.PRIVATE_ROOT = tmp_path / "private"
    school = this_year_only
    office = StaffFactory(user=UserFactory(username="office"), school=school, position="office")
    data = json.dumps(NEXT_YEAR).encode()
    run = preview_import(
        school=school, kind=ImportRun.Kind.CALENDAR, data=data, file_name="2026-27.json", options={}, user=office.user
    )
    assert run.status == ImportRun.Status.PREVIEWED and Term.objects.filter(school=school).count() == 3
    run = confirm_import(run=run, user=office.user)
    assert run.status == ImportRun.Status.IMPORTED
    assert Term.objects.filter(school=school).count() == 6
    assert dates_published(school, D(2026, 9, 7))
    again = preview_import(
        school=school, kind=ImportRun.Kind.CALENDAR, data=data, file_name="2026-27.json", options={}, user=office.user
    )
    assert again.status == ImportRun.Status.NO_CHANGES
