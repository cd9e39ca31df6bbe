"""Figures by academic year wherever a user picks a period: the pupil page and the pupil list offer
every academic year the school has had (a finished year covers the whole year, not "to date"), and
the reports' period pickers name a finished year without "to date"."""

import datetime as dt

import pytest
import time_machine

from registers.selectors import academic_year_choices, academic_year_period
from reports.selectors.periods import available_periods
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

D = dt.date


@pytest.fixture(autouse=True)
def november_2026(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def pupil(school):
    pupil = PupilFactory(school=school, legal_surname="Lark")
    # Last year: two unauthorised sessions in June 2026; this year: present twice in November.
    write(school, pupil, {(D(2026, 6, 8), "AM"): "O", (D(2026, 6, 8), "PM"): "O"})
    write(school, pupil, {(D(2026, 11, 9), "AM"): "/", (D(2026, 11, 9), "PM"): "\\"})
    return pupil


@pytest.fixture
def office(client, school):
    staff = StaffFactory(user=UserFactory(username="office"), school=school, position="office")
    client.force_login(staff.user)
    return staff


def test_the_periods(school):
    assert academic_year_choices(school) == [("2026/27", "Academic year 2026/27"), ("2025/26", "Academic year 2025/26")]
    last = academic_year_period(school, "2025/26")
    assert (last.date_from, last.date_to, last.complete) == (D(2025, 9, 3), D(2026, 7, 22), True)
    this = academic_year_period(school, "")
    assert (this.key, this.date_to, this.complete) == ("2026/27", D(2026, 11, 23), False)
    # A year the school does not have, or one still to come, falls back to this year.
    assert academic_year_period(school, "2019/20").key == "2026/27"
    assert academic_year_period(school, "2027/28").key == "2026/27"


def test_the_pupil_page_by_academic_year(client, office, pupil):
    page = client.get(f"/pupils/{pupil.pk}/").content.decode()
    assert "Attendance, academic year 2026/27 to date" in page and "Unauthorised absence (0 sessions)" in page
    page = client.get(f"/pupils/{pupil.pk}/?academic_year=2025/26").content.decode()
    assert "Attendance, academic year 2025/26</h2>" in page and "Unauthorised absence (2 sessions)" in page
    assert '<option value="2025/26" selected>' in page


def test_the_pupil_list_by_academic_year(client, office, pupil):
    page = client.get("/pupils/?academic_year=2025/26").content.decode()
    assert "attendance for academic year 2025/26 (" in page
    assert '<option value="2025/26" selected>Academic year 2025/26</option>' in page


def test_the_reports_name_a_finished_year_without_to_date(school):
    labels = [p.label for p in available_periods(school) if p.kind == "year"]
    assert labels == ["Academic year 2026/27 to date", "Academic year 2025/26"]


def test_last_years_list_filters_by_the_year_pupils_were_in_then(client, office, pupil, school):
    """After the rollover a Year 3 pupil of 2025/26 is in Year 4; last year's list still finds them in Year 3."""
    from registers.models import Pupil

    with time_machine.travel(dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC), tick=False):
        Pupil.objects.get(pk=pupil.pk).save()  # (a history row during last year: year 3)
    with time_machine.travel(dt.datetime(2026, 7, 27, 12, tzinfo=dt.UTC), tick=False):
        moved = Pupil.objects.get(pk=pupil.pk)
        moved.year = 4
        moved.save()
    assert "Lark" in client.get("/pupils/?academic_year=2025/26&year=3").content.decode()
    assert "Lark" not in client.get("/pupils/?academic_year=2025/26&year=4").content.decode()
    assert "Lark" in client.get("/pupils/?year=4").content.decode()
