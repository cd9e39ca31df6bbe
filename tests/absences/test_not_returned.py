"""The deletion ground "not back within 10 school days after granted leave ended" (RULES.md):
counted in school days, so a half-term in between does not count, and only G, N or O on every
session meets it."""

import datetime as dt

import pytest
import time_machine

from absences.models import LeaveRequest
from absences.selectors.not_returned import not_returned_after_leave
from registers.leaving import DeletionRefused, delete_from_register
from registers.models import Enrolment, Ground, SchoolDay
from tests.factories import write

from .conftest import key

D = dt.date
LEAVE_ENDS = D(2026, 10, 16)  # a Friday; the autumn half-term is 26–30 October 2026
TENTH_SCHOOL_DAY = D(2026, 11, 6)  # 19–23 Oct, then (after half-term) 2–6 Nov


def grant(pupil, parent, *, ends=LEAVE_ENDS, status=LeaveRequest.Status.GRANTED):
    start = ends - dt.timedelta(days=4)
    return LeaveRequest.objects.create(
        school=pupil.school,
        pupil=pupil,
        submitted_by=parent,
        submission_key=key(),
        circumstance=LeaveRequest.Circumstance.EXCEPTIONAL,
        reason="A family funeral abroad",
        status=status,
        start_date=start,
        end_date=ends,
        granted_start_date=start,
        granted_start_session="AM",
        granted_end_date=ends,
        granted_end_session="PM",
        code="C",
    )


def school_days_after(school, day, n):
    return list(SchoolDay.objects.filter(school=school, date__gt=day).order_by("date").values_list("date", flat=True))[
        :n
    ]


def absent(pupil, days, code="O"):
    write(pupil.school, pupil, {(d, s): code for d in days for s in ("AM", "PM")})


@pytest.fixture
def away(family, school):
    ada = family["ada"]
    grant(ada, family["parent"])
    days = school_days_after(school, LEAVE_ENDS, 10)
    assert days[-1] == TENTH_SCHOOL_DAY and days[4] == D(2026, 10, 23) and days[5] == D(2026, 11, 2)
    return ada, days


def test_ten_school_days_not_calendar_days_across_half_term(school, away):
    ada, days = away
    absent(ada, days[:5], "G")
    absent(ada, days[5:], "O")
    # 30 October is 14 calendar days after the leave, but only 5 school days.
    assert not_returned_after_leave(school, on=D(2026, 10, 30)) == []
    # 5 November: nine school days.
    assert not_returned_after_leave(school, on=D(2026, 11, 5)) == []
    [row] = not_returned_after_leave(school, on=TENTH_SCHOOL_DAY)
    assert (row.pupil, row.leave_ended, row.tenth_day) == (ada, LEAVE_ENDS, TENTH_SCHOOL_DAY)


@pytest.mark.parametrize("code", ["/", "L", "I", "M", "C"])
def test_any_attendance_or_authorised_absence_breaks_the_ground(school, away, code):
    ada, days = away
    marks = {(d, s): "O" for d in days for s in ("AM", "PM")}
    marks[(days[7], "PM")] = "\\" if code == "/" else code
    write(school, ada, marks)
    assert not_returned_after_leave(school, on=TENTH_SCHOOL_DAY) == []


def test_a_session_not_yet_recorded_does_not_meet_it(school, away):
    ada, days = away
    absent(ada, days[:-1])
    write(school, ada, {(days[-1], "AM"): "N"})
    assert not_returned_after_leave(school, on=TENTH_SCHOOL_DAY) == []
    write(school, ada, {(days[-1], "PM"): "N"})
    assert [r.pupil for r in not_returned_after_leave(school, on=TENTH_SCHOOL_DAY)] == [ada]


def test_refused_leave_and_pupils_off_roll_are_not_listed(school, family, other_family):
    cy = other_family["cy"]
    grant(cy, other_family["parent"], status=LeaveRequest.Status.REFUSED)
    days = school_days_after(school, LEAVE_ENDS, 10)
    absent(cy, days)
    ben = family["ben"]
    grant(ben, family["parent"])
    absent(ben, days)
    assert [r.pupil for r in not_returned_after_leave(school, on=TENTH_SCHOOL_DAY)] == [ben]
    Enrolment.objects.filter(pupil=ben).update(leaving_date=D(2026, 11, 5))
    assert not_returned_after_leave(school, on=TENTH_SCHOOL_DAY) == []


def test_the_latest_leave_counts(school, family):
    """A pupil who came back from an earlier leave and is away after a later one is judged on the later."""
    ada = family["ada"]
    grant(ada, family["parent"], ends=D(2026, 9, 18))
    grant(ada, family["parent"])
    absent(ada, school_days_after(school, LEAVE_ENDS, 10))
    assert [r.leave_ended for r in not_returned_after_leave(school, on=TENTH_SCHOOL_DAY)] == [LEAVE_ENDS]


def test_deleting_on_this_ground_checks_it(school, away, office):
    ada, days = away
    absent(ada, days[:9])
    args = {
        "pupil": ada,
        "ground": Ground.LEAVE_NOT_RETURNED,
        "user": office.user,
        "recorded_by_name": "Mrs Priya Shah",
        "enquiries": "Home visit 3 Nov; LA CME officer checked school admissions and health records.",
        "today": D(2026, 11, 6),
    }
    with pytest.raises(DeletionRefused, match="does not meet this ground"):
        delete_from_register(deleted_on=D(2026, 11, 6), **args)
    absent(ada, days[9:])
    deletion = delete_from_register(deleted_on=D(2026, 11, 9), **args)
    assert deletion.is_cme and deletion.notify_la
    assert Enrolment.objects.get(pupil=ada).leaving_date == D(2026, 11, 9)


def test_the_office_list_links_to_the_deletion(client, school, away, office):
    ada, days = away
    absent(ada, days)
    client.force_login(office.user)
    page = client.get("/parents/office/leave/not-returned/").content.decode()
    assert ada.name in page and "Fri 6 Nov 2026" in page
    assert f"/roll/pupils/{ada.pk}/delete/?ground=leave_not_returned" in page


def test_the_twenty_day_prompt_links_to_the_deletion(client, school, family, office):
    ben = family["ben"]
    days = list(SchoolDay.objects.filter(school=school, date__lte=D(2026, 11, 23)).order_by("-date")[:20])
    with time_machine.travel(dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC), tick=False):  # after the PM began
        absent(ben, [d.date for d in days], "G")
    client.force_login(office.user)
    page = client.get("/parents/office/follow-up/").content.decode()
    assert f"/roll/pupils/{ben.pk}/delete/?ground=continuous_absence" in page
