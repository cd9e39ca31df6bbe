"""The internal-truancy pages (lessons/truancy_views.py): who sees today's alerts (a head of year
only their years), the live fragment, clearing an alert by hand, the counts on the office's home
page and the panel on the attendance officer's dashboard."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons.models import TruancyAlert
from registers.models import RegistrationGroup, Staff
from tests.factories import make_parent, make_staff
from tests.lessons.truancy_school import make_secondary, moment

pytestmark = pytest.mark.django_db
P = Staff.Position
LIST = reverse("lessons:truancy")


@pytest.fixture
def sec(db, monkeypatch):
    monkeypatch.setattr("registers.timing.now", lambda: moment("10:30"))
    sec = make_secondary()
    for pupil in ("Ada", "Ben", "Eve"):
        sec.statutory(pupil, "AM", "/")
    sec.take_and_check("P2 Ma", {"Ada": "N", "Ben": "/", "Cy": "N", "Dee": "N"}, at_time="10:05")
    sec.take_and_check("P2 En", {"Eve": "N"}, at_time="10:06", teacher="reed")
    return sec


def signed_in(client, sec, position, username, *, years=()):
    staff = make_staff(sec.school, position, username, "Sam", username.title(), title="Mx")
    for year in years:
        for group in RegistrationGroup.objects.filter(school=sec.school, year=year):
            group.teachers.add(staff)
    client.force_login(staff.user)
    return staff


def alert_of(sec, pupil):
    return TruancyAlert.objects.get(school=sec.school, pupil=sec.pupils[pupil])


def test_the_office_sees_todays_open_alerts_with_where_each_pupil_was_last_seen(client, sec):
    signed_in(client, sec, P.OFFICE, "office")
    page = client.get(LIST).content.decode()
    assert "Ada Year10" in page and "Eve Year9" in page
    assert "Morning register 10X, 08:45 — marked by Ms Patel" in page
    assert "P2 Maths 10X/Ma1, Room S4" in page
    assert "Ben Year10" not in page  # present
    assert "Cy Year10" not in page  # not seen today
    assert f'data-url="{LIST}?fragment=1"' in page and 'data-poll-seconds="30"' in page

    live = client.get(LIST, {"fragment": "1"}).json()
    assert live["count"] == 2 and "Ada Year10" in live["html"] and live["at"] == "10:30:00"


def test_a_head_of_year_sees_only_their_years_alerts(client, sec):
    signed_in(client, sec, P.HEAD_OF_YEAR, "hoy9", years=[9])
    page = client.get(LIST).content.decode()
    assert "Eve Year9" in page and "Ada Year10" not in page
    assert "in Year 9" in page
    assert client.get(LIST, {"fragment": "1"}).json()["count"] == 1
    assert client.get(reverse("lessons:truancy-alert", args=[alert_of(sec, "Ada").pk])).status_code == 404
    assert client.get(reverse("lessons:truancy-alert", args=[alert_of(sec, "Eve").pk])).status_code == 200


def test_a_head_of_year_linked_to_no_year_is_told_so_and_sees_no_alert(client, sec):
    signed_in(client, sec, P.HEAD_OF_YEAR, "hoy")
    page = client.get(LIST).content.decode()
    assert "not linked to a year group" in page and "Eve Year9" not in page and "Ada Year10" not in page


@pytest.mark.parametrize("position", [P.SUBJECT_TEACHER, P.FORM_TUTOR, P.CLASS_TEACHER, P.GOVERNOR, P.TRUST_LEADER])
def test_teachers_and_governors_cannot_see_the_alerts(client, sec, position):
    signed_in(client, sec, position, "someone")
    assert client.get(LIST).status_code == 403
    assert client.get(LIST, {"fragment": "1"}).status_code == 403
    assert client.get(reverse("lessons:truancy-alert", args=[alert_of(sec, "Ada").pk])).status_code == 403
    assert client.get(reverse("lessons:missing-registers")).status_code == 403


def test_a_parent_cannot_see_the_alerts(client, sec):
    parent = make_parent(sec.school, "parent", [sec.pupils["Ada"]])
    client.force_login(parent)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("lessons:truancy-alert", args=[alert_of(sec, "Ada").pk])).status_code == 403


def test_another_schools_office_gets_404_and_none_of_these_alerts(client, sec):
    other = make_secondary(urn="100021", name="Ridge Academy", establishment="4002")
    staff = make_staff(other.school, P.OFFICE, "ridgeoffice")
    client.force_login(staff.user)
    assert client.get(reverse("lessons:truancy-alert", args=[alert_of(sec, "Ada").pk])).status_code == 404
    response = client.post(reverse("lessons:truancy-alert", args=[alert_of(sec, "Ada").pk]), {"where_they_were": "x"})
    assert response.status_code == 404
    assert "Ada Year10" not in client.get(LIST).content.decode()
    assert alert_of(sec, "Ada").state == "open"


def test_clearing_by_hand_needs_where_they_were_and_shows_it_escaped_with_the_history(client, sec):
    signed_in(client, sec, P.HEAD_OF_YEAR, "hoy10", years=[10])
    url = reverse("lessons:truancy-alert", args=[alert_of(sec, "Ada").pk])
    response = client.post(url, {"where_they_were": "   "})
    assert response.status_code == 400
    assert "Say where the pupil was" in response.content.decode()
    assert alert_of(sec, "Ada").state == "open"

    response = client.post(url, {"where_they_were": "<b>With the nurse</b>"})
    assert response.status_code == 302 and response["Location"] == LIST
    alert = alert_of(sec, "Ada")
    assert alert.state == "resolved" and alert.where_they_were == "<b>With the nurse</b> — recorded by Mx Sam Hoy10"
    page = client.get(url).content.decode()
    assert "&lt;b&gt;With the nurse&lt;/b&gt;" in page and "<b>With the nurse" not in page
    assert "raised; last seen Morning register 10X" in page and "cleared — &lt;b&gt;" in page
    listing = client.get(LIST).content.decode()
    assert "Cleared today" in listing and "&lt;b&gt;With the nurse" in listing


def test_a_dsl_may_clear_but_a_data_manager_only_reads(client, sec):
    signed_in(client, sec, P.DATA_MANAGER, "data")
    url = reverse("lessons:truancy-alert", args=[alert_of(sec, "Ada").pk])
    assert "Record where they were" not in client.get(url).content.decode()
    assert client.post(url, {"where_they_were": "In class"}).status_code == 403
    assert alert_of(sec, "Ada").state == "open"


def test_the_list_costs_the_same_queries_for_two_alerts_and_four(client, sec):
    signed_in(client, sec, P.OFFICE, "office")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    counts = [queries()]
    for pupil in ("Cy", "Dee"):  # seen at the office at last, then missing from P4
        sec.statutory(pupil, "AM", "L", at_time="09:00", minutes=10, source="office")
    sec.take_and_check("P4 Sc", {"Ada": "N", "Ben": "/"}, at_time="12:25", teacher="jones")
    counts.append(queries())
    assert TruancyAlert.objects.filter(school=sec.school, state="open").count() == 5
    assert counts[0] == counts[1], counts


def test_the_office_home_page_counts_alerts_and_missing_lesson_registers(client, sec, monkeypatch):
    signed_in(client, sec, P.OFFICE, "office")
    page = client.get(reverse("home")).content.decode()
    assert f'<a href="{LIST}"><span class="count">2</span> Pupils missing from lessons' in page
    missing = reverse("lessons:missing-registers")
    # P1 Science (08:50) had no register: the only lesson 15 minutes in at 10:30 without one
    assert f'<a href="{missing}"><span class="count">1</span> Lesson registers not taken' in page


def test_the_head_of_years_home_page_counts_their_years_only(client, sec):
    signed_in(client, sec, P.HEAD_OF_YEAR, "hoy9", years=[9])
    page = client.get(reverse("home")).content.decode()
    assert f'<a href="{LIST}"><span class="count">1</span> Pupils missing from lessons' in page


def test_the_attendance_officers_dashboard_has_a_panel_of_pupils_missing_from_lessons(client, sec):
    signed_in(client, sec, P.ATTENDANCE_OFFICER, "officer")
    with time_machine.travel(moment("10:30"), tick=False):  # the dashboard reads Django's clock
        page = client.get(reverse("interventions:dashboard")).content.decode()
        year9 = client.get(reverse("interventions:dashboard"), {"year": "9"}).content.decode()
    assert "Missing from lessons" in page
    assert reverse("lessons:truancy-alert", args=[alert_of(sec, "Ada").pk]) in page
    assert "All 2 pupils missing from lessons today" in page
    assert "All 1 pupil missing from lessons today" in year9


def test_an_alert_nobody_cleared_yesterday_is_still_listed_the_next_morning(client, sec, monkeypatch):
    """Midnight does not clear an alert: the next day's page lists it under the earlier days'
    until someone records where the pupil was."""
    signed_in(client, sec, P.OFFICE, "office")
    wednesday = moment("09:00") + dt.timedelta(days=1)
    monkeypatch.setattr("registers.timing.now", lambda: wednesday)
    page = client.get(LIST).content.decode()
    assert "No pupil is missing from a lesson just now." in page
    assert "Still open from earlier days" in page
    assert "Ada Year10" in page and "on Tuesday 8 December" in page
    signed_in(client, sec, P.HEAD_OF_YEAR, "hoy9", years=[9])
    page = client.get(LIST).content.decode()
    assert "Eve Year9" in page and "Ada Year10" not in page  # their years only, as today's
