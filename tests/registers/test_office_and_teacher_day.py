"""A teacher's today page (every register of today not taken, taken or not said plainly), the
office's register finder, the late sign-in search and the office home's counts of what waits."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from absences.models import AbsenceReport, LeaveRequest
from registers.models import Mark, Register
from registers.services import mark_register_taken
from tests.factories import SYSTEM, PupilFactory, UserFactory, write
from tests.registers.register_helpers import (
    MONDAY,
    clock,
    full_post,
    login,
    make_office,
    make_pupils,
    make_teacher,
    register_for,
    year3,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(school):
    return make_teacher(school)


@pytest.fixture
def oclient(client, school):
    make_office(school)
    return login(client, "office")


def today_page(client):
    return client.get(reverse("registers:today")).content.decode()


# --- the teacher's today page ------------------------------------------------------------------


def test_a_morning_register_not_taken_stays_on_today_after_it_closes(school, client, teacher):
    pupils = make_pupils(school, 2)
    login(client, "teacher")
    with clock(13, 5):  # the afternoon register has opened; the morning one closed at 09:20
        page = today_page(client)
    assert page.count("Not taken — take it now") == 1  # the morning register, closed but not taken
    assert "Mon 23 Nov · morning" in page and "Mon 23 Nov · afternoon" in page
    morning = Register.objects.get(group=year3(school), date=MONDAY, session="AM")
    with clock(13, 6):
        # after close the teacher may still record first marks; the register then reads "Taken"
        client.post(reverse("registers:register", args=[morning.pk]), full_post(morning, pupils))
        page = today_page(client)
    morning.refresh_from_db()
    assert morning.state == Register.State.TAKEN
    assert "Not taken — take it now" not in page
    assert '<span class="badge good">Taken</span>' in page


def test_today_says_taken_or_not_taken_plainly(school, client, teacher):
    pupils = make_pupils(school, 1)
    login(client, "teacher")
    with clock(8, 55):
        register = register_for(school, year3(school))
        client.post(reverse("registers:register", args=[register.pk]), full_post(register, pupils))
        page = today_page(client)
    assert '<span class="badge good">Taken</span>' in page  # the morning
    assert '<span class="badge warn">Not taken</span>' in page  # the afternoon, not yet open
    assert "opens 13:00, closes 13:30" in page


# --- the office: any register, past or today ---------------------------------------------------


def test_the_office_finds_a_past_register_taken_or_not_and_opens_it(school, oclient, teacher):
    pupils = make_pupils(school, 1)
    friday = MONDAY - dt.timedelta(days=3)
    write(school, pupils[0], {(friday, "AM"): "/"})
    register = register_for(school, year3(school), day=friday)
    mark_register_taken(register=register, actor=SYSTEM)  # the database refuses it any other way
    with clock(10, 0):
        page = oclient.get(reverse("registers:office_registers"), {"day": friday.isoformat()}).content.decode()
        assert "Open to amend" in page and "Take it" in page  # Friday AM taken, PM not
        pm = reverse("registers:register_for", args=[year3(school).pk, friday.isoformat(), "PM"])
        assert pm in page
        opened = oclient.get(pm, follow=True)
        assert opened.status_code == 200 and "afternoon register" in opened.content.decode()
        weekend = oclient.get(reverse("registers:office_registers"), {"day": "2026-11-21"}).content.decode()
        assert "is a weekend" in weekend
        assert oclient.get(reverse("registers:office_registers"), {"day": "not a date"}).status_code == 400


def test_the_office_amends_a_mark_with_the_reason_beside_it_and_the_error_points_at_it(school, oclient, teacher):
    pupils = make_pupils(school, 2)
    write(school, pupils[0], {(MONDAY, "AM"): "N"})
    register = register_for(school, year3(school))
    url = reverse("registers:register", args=[register.pk])
    with clock(10, 0):
        page = oclient.get(url).content.decode()
        assert f'name="reason-{pupils[0].pk}"' in page  # beside the mark already recorded
        assert f'name="reason-{pupils[1].pk}"' not in page  # nothing to change yet
        data = {
            f"other-{pupils[0].pk}": "I",
            f"version-{pupils[0].pk}": "1",
            f"was-{pupils[0].pk}": "N|",
        }
        refused = oclient.post(url, data)
        html = refused.content.decode()
        assert refused.status_code == 400
        assert f'id="errors-{pupils[0].pk}"' in html and "needs a reason" in html
        assert f'aria-describedby="errors-{pupils[0].pk}" aria-invalid="true"' in html
        oclient.post(url, {**data, f"reason-{pupils[0].pk}": "mother phoned: ill"})
    mark = Mark.objects.get(pupil=pupils[0])
    assert (mark.code.code, mark.reason) == ("I", "mother phoned: ill")


# --- the late sign-in search ---------------------------------------------------------------


def test_late_sign_in_finds_pupils_by_name_with_year_group_and_upn(school, oclient, teacher):
    twins = [PupilFactory(school=school, year=3, legal_forename="Reuben", legal_surname="Ali") for _ in range(2)]
    make_pupils(school, 3)
    late_url = reverse("registers:office_late_arrival")
    with clock(9, 45):
        page = oclient.get(late_url).content.decode()
        assert "<select" not in page  # no drop-down of the whole school
        found = oclient.get(late_url, {"q": "reub al"}).content.decode()
        for twin in twins:
            assert twin.upn in found and f"?pupil={twin.pk}" in found
        assert found.count("Year 3 · Year 3 · UPN") == 2
        typed = oclient.get(late_url, {"q": "reub", "fragment": "1"}).json()
        assert typed["count"] == 2 and twins[0].upn in typed["html"]
        chosen = oclient.get(late_url, {"pupil": twins[1].pk}).content.decode()
        assert twins[1].upn in chosen and 'name="arrived"' in chosen
        oclient.post(late_url, {"pupil": twins[1].pk, "session": "AM", "arrived": "09:31"})
    mark = Mark.objects.get(pupil=twins[1])
    assert (mark.code.code, mark.minutes_late, mark.source) == ("U", 31, "office")
    assert not Mark.objects.filter(pupil=twins[0]).exists()


def test_late_sign_in_refuses_a_pupil_of_another_school(school, oclient, teacher):
    from tests.factories import make_school

    other = make_school(urn="999999", name="Other School", establishment_number="2999")
    outsider = PupilFactory(school=other, year=3)
    with clock(9, 45):
        response = oclient.post(
            reverse("registers:office_late_arrival"), {"pupil": outsider.pk, "session": "AM", "arrived": "09:31"}
        )
    assert response.status_code == 400 and "not on roll today" in response.content.decode()
    assert not Mark.objects.exists()


# --- the office home -------------------------------------------------------------------------


def test_the_office_home_counts_what_is_waiting_with_links(school, oclient, teacher):
    pupils = make_pupils(school, 2)
    parent = UserFactory(username="parent")
    AbsenceReport.objects.create(
        school=school,
        pupil=pupils[0],
        start_date=MONDAY,
        start_session="AM",
        end_date=MONDAY,
        end_session="PM",
        reason=AbsenceReport.Reason.ILLNESS,
        submitted_by=parent,
        submission_key=uuid.uuid4(),
    )
    LeaveRequest.objects.create(
        school=school,
        pupil=pupils[1],
        start_date=MONDAY + dt.timedelta(days=30),
        start_session="AM",
        end_date=MONDAY + dt.timedelta(days=31),
        end_session="PM",
        circumstance=LeaveRequest.Circumstance.EXCEPTIONAL,
        reason="a funeral abroad",
        submitted_by=parent,
        submission_key=uuid.uuid4(),
    )
    with clock(9, 30):
        page = oclient.get(reverse("home")).content.decode()
    waiting = page[page.index('<ul class="waiting">') : page.index("</ul>", page.index('<ul class="waiting">'))]
    for count, label, url in [
        (1, "Reports from parents to process", reverse("absences:office_inbox")),
        (1, "Leave requests to decide", reverse("absences:office_leave_list")),
        (1, "Registers not taken", reverse("registers:office_missing")),  # Year 3 AM, past its late time
        (0, "Unexplained absences to follow up", reverse("absences:office_follow_up")),
        (0, "N codes overdue for a reason", reverse("absences:office_overdue")),
    ]:
        assert f'<a href="{url}"><span class="count">{count}</span> {label}</a>' in waiting
