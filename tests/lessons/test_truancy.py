"""Internal truancy within the lesson (lessons/truancy.py): who raises an alert, what excuses it,
what clears it — on Tuesday 8 December 2026 at Hillside Academy (tests/lessons/truancy_school.py)."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from absences.models import AbsenceReport, LeaveRequest
from lessons.models import TruancyAlert
from lessons.truancy import alerts_raised_for, check_lesson_register, raised_message, resolve_by_hand
from tests.lessons.truancy_school import DAY, make_secondary, moment

pytestmark = pytest.mark.django_db


@pytest.fixture
def sec(db):
    return make_secondary()


def alerts(sec, **filters):
    return list(TruancyAlert.objects.filter(school=sec.school, **filters).select_related("pupil"))


def test_present_at_morning_register_then_n_in_p2_raises_one_alert_with_where_last_seen(sec):
    sec.statutory("Ada", "AM", "/")
    register = sec.take_and_check("P2 Ma", {"Ada": "N", "Ben": "/"}, at_time="10:05")
    [alert] = alerts(sec)
    assert alert.pupil == sec.pupils["Ada"] and alert.register == register and alert.state == "open"
    assert alert.last_seen == "Morning register 10X, 08:45 — marked by Ms Patel"
    assert alert.last_seen_at == moment("08:45") and alert.raised_at == moment("10:05")
    assert alert.history.count() == 1

    # the same register judged again (re-submitted): still one alert
    sec.written(register, at_time="10:07")
    assert len(alerts(sec)) == 1


def test_unmarked_in_a_taken_register_raises_and_n_raises_before_the_register_is_complete(sec):
    for pupil in ("Ada", "Ben", "Cy"):
        sec.statutory(pupil, "AM", "/")
    # P2 half done: Ben's N raises at once; Cy, not marked yet, does not
    sec.take_and_check("P2 Ma", {"Ada": "/", "Ben": "N"}, at_time="10:03", state="not_taken")
    assert [a.pupil.forename for a in alerts(sec)] == ["Ben"]

    # P4 recorded as taken with Cy left unmarked (he joined the class since): that raises
    sec.take_and_check("P4 Sc", {"Ada": "/", "Ben": "/", "Dee": "/"}, at_time="12:25", teacher="jones")
    assert sorted((a.pupil.forename, a.state) for a in alerts(sec)) == [("Ben", "resolved"), ("Cy", "open")]


def test_through_the_lesson_register_service_an_n_raises_and_the_teacher_is_told(sec):
    sec.statutory("Ada", "AM", "/")
    sec.statutory("Ben", "AM", "/")
    register = sec.teach("P2 Ma", {"Ada": "N", "Ben": "/", "Cy": "N", "Dee": "/"}, at_time="10:04")
    assert register.state == "taken"
    [alert] = alerts(sec)
    assert alert.pupil.forename == "Ada" and alert.raised_at == moment("10:04")
    assert raised_message(register) == (
        "Ada Year10 was seen earlier today but not in this lesson: "
        "an internal-truancy alert has gone to the head of year and the office."
    )
    # the teacher corrects Ada to late when she turns up: the alert clears, nothing is raised twice
    sec.teach("P2 Ma", {"Ada": "L"}, at_time="10:12", reason="arrived late")
    [alert] = alerts(sec)
    assert alert.state == "resolved" and alert.where_they_were.startswith("marked present in P2 Maths 10X/Ma1, Room S4")
    # P4 taken through the service too: Ada present clears nothing more; Ben absent raises
    sec.teach("P4 Sc", {"Ada": "/", "Ben": "N", "Cy": "N", "Dee": "/"}, at_time="12:24", teacher="jones")
    assert sorted((a.pupil.forename, a.register.lesson.period.name) for a in alerts(sec, state="open")) == [
        ("Ben", "P4")
    ]


def test_an_earlier_lesson_counts_as_seen_and_is_where_they_were_last_seen(sec):
    sec.take_and_check("P1 Sc", {"Ben": "/", "Ada": "/"}, at_time="09:02", teacher="jones")
    sec.statutory("Ada", "AM", "/", at_time="08:44")
    sec.take_and_check("P2 Ma", {"Ben": "N", "Ada": "N"}, at_time="10:05")
    seen = {a.pupil.forename: a.last_seen for a in alerts(sec)}
    # Ben had no morning mark (his tutor had not taken the register) but was in P1
    assert seen == {
        "Ben": "P1 Science 10X/Sc2, Room L3, 09:02 — marked by Ms Rhian Jones",
        "Ada": "P1 Science 10X/Sc2, Room L3, 09:02 — marked by Ms Rhian Jones",
    }


def test_a_pupil_not_seen_today_raises_nothing(sec):
    sec.take_and_check("P2 Ma", {"Dee": "N"}, at_time="10:05")
    assert alerts(sec) == []


def test_a_reason_the_teacher_enters_raises_nothing(sec):
    sec.statutory("Ada", "AM", "/")
    sec.take_and_check("P2 Ma", {"Ada": "M"}, at_time="10:05")  # medical appointment
    assert alerts(sec) == []


@pytest.mark.parametrize("code", ["C", "V", "M", "E"])
def test_a_statutory_mark_that_is_not_present_for_the_session_is_a_known_reason(sec, code):
    sec.statutory("Ada", "AM", "/")
    sec.statutory("Ada", "PM", code, at_time="13:22")  # leave, a visit, an appointment, suspended
    sec.take_and_check("P5 Ma", {"Ada": "N"}, at_time="13:35")
    assert alerts(sec) == []


def _report(sec, pupil, *, status, session="PM"):
    parent = sec.teachers["tutor"].user  # who submitted it does not matter here
    return AbsenceReport.objects.create(
        school=sec.school,
        pupil=sec.pupils[pupil],
        submitted_by=parent,
        submission_key=uuid.uuid4(),
        reason=AbsenceReport.Reason.MEDICAL,
        start_date=DAY,
        start_session=session,
        end_date=DAY,
        end_session="PM",
        status=status,
    )


@pytest.mark.parametrize("status", ["submitted", "queried", "accepted"])
def test_a_parents_report_covering_the_session_is_a_known_reason(sec, status):
    sec.statutory("Ada", "AM", "/")
    _report(sec, "Ada", status=status)
    sec.take_and_check("P5 Ma", {"Ada": "N"}, at_time="13:35")
    assert alerts(sec) == []


def test_a_declined_report_or_one_for_another_session_is_no_reason(sec):
    sec.statutory("Ada", "AM", "/")
    sec.statutory("Ben", "AM", "/")
    _report(sec, "Ada", status="declined")
    _report(sec, "Ben", status="accepted", session="PM")  # covers the afternoon only
    sec.take_and_check("P2 Ma", {"Ada": "N", "Ben": "N"}, at_time="10:05")  # a morning lesson
    assert sorted(a.pupil.forename for a in alerts(sec)) == ["Ada", "Ben"]


def test_leave_granted_for_the_session_is_a_known_reason(sec):
    sec.statutory("Ada", "AM", "/")
    LeaveRequest.objects.create(
        school=sec.school,
        pupil=sec.pupils["Ada"],
        submitted_by=sec.teachers["tutor"].user,
        submission_key=uuid.uuid4(),
        circumstance=LeaveRequest.Circumstance.INTERVIEW,
        reason="College interview",
        start_date=DAY,
        start_session="PM",
        end_date=DAY,
        end_session="PM",
        status=LeaveRequest.Status.GRANTED,
        granted_start_date=DAY,
        granted_start_session="PM",
        granted_end_date=DAY,
        granted_end_session="PM",
        code="J1",
    )
    sec.take_and_check("P5 Ma", {"Ada": "N"}, at_time="13:35")
    assert alerts(sec) == []


def test_a_late_sign_in_after_the_lesson_began_is_a_known_reason(sec):
    sec.statutory("Ada", "AM", "/")
    sec.statutory("Ben", "AM", "/")
    # Ada out at lunch, signed in at the office at 13:40 (15 min after 13:25); Ben signed in at 13:27
    sec.statutory("Ada", "PM", "L", at_time="13:41", minutes=15, source="office")
    sec.statutory("Ben", "PM", "L", at_time="13:28", minutes=2, source="office")
    result = check_lesson_register(
        register_id=sec.take("P5 Ma", {"Ada": "N", "Ben": "N"}, at_time="13:36").pk, now=moment("13:36")
    )
    assert result.excused == {sec.pupils["Ada"].pk: "signed in late at 13:40, after the lesson began"}
    assert [a.pupil.forename for a in alerts(sec)] == ["Ben"]  # in school from 13:27, not in the lesson


def test_present_in_a_later_lesson_clears_the_alert_with_where_they_were(sec):
    sec.statutory("Ada", "AM", "/")
    sec.take_and_check("P2 Ma", {"Ada": "N"}, at_time="10:05")
    sec.take_and_check("P4 Sc", {"Ada": "/"}, at_time="12:25", teacher="jones")
    [alert] = alerts(sec)
    assert alert.state == "resolved" and alert.resolved_at == moment("12:25") and alert.resolved_by is None
    assert alert.where_they_were == "marked present in P4 Science 10X/Sc2, Room L3, 12:25 — marked by Ms Rhian Jones"
    assert [h.state for h in alert.history.order_by("history_date")] == ["open", "resolved"]


def test_a_present_mark_in_an_earlier_lesson_does_not_clear_a_later_alert(sec):
    sec.statutory("Ada", "AM", "/")
    sec.take_and_check("P2 Ma", {"Ada": "N"}, at_time="10:05")
    sec.take_and_check("P1 Sc", {"Ada": "/"}, at_time="10:10", teacher="jones")  # P1's register, taken late
    assert [a.state for a in alerts(sec)] == ["open"]


def test_the_teacher_correcting_the_mark_to_present_clears_it(sec):
    sec.statutory("Ada", "AM", "/")
    register = sec.take_and_check("P2 Ma", {}, at_time="10:05")
    assert [a.state for a in alerts(sec)] == ["open"]
    sec.take_and_check("P2 Ma", {"Ada": "L"}, at_time="10:12")  # arrived late
    [alert] = alerts(sec)
    assert alert.state == "resolved" and alert.where_they_were.startswith("marked present in P2 Maths 10X/Ma1")
    assert raised_message(register) == ""  # nothing open for the teacher to be told about


def test_a_late_sign_in_at_the_office_clears_the_alert(sec, committed):
    sec.statutory("Ada", "AM", "/")
    sec.take_and_check("P4 Sc", {"Ada": "N"}, at_time="12:25", teacher="jones")
    with committed():
        sec.statutory("Ada", "PM", "L", at_time="13:31", minutes=5, source="office")
    [alert] = alerts(sec)
    assert alert.state == "resolved"
    assert alert.where_they_were == "signed in late (L, 5 min) — recorded by Ms Patel at 13:31"


def test_resolving_by_hand_needs_where_they_were_and_writes_nothing_without_it(sec):
    sec.statutory("Ada", "AM", "/")
    sec.take_and_check("P2 Ma", {"Ada": "N"}, at_time="10:05")
    [alert] = alerts(sec)
    office = sec.teachers["tutor"].user

    def clear(text, at_time="10:20"):
        resolve_by_hand(alert_id=alert.pk, school=sec.school, user=office, where_they_were=text, now=moment(at_time))

    for blank in ("", "   \n "):
        with pytest.raises(ValidationError, match="Say where the pupil was"):
            clear(blank)
    with pytest.raises(ValidationError, match="500 characters"):
        clear("x" * 501)
    alert.refresh_from_db()
    assert alert.state == "open" and alert.history.count() == 1

    clear(" In the library ")
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.resolved_by == office
    assert alert.where_they_were == "In the library — recorded by Ms Meera Patel"
    with pytest.raises(ValidationError, match="already cleared"):
        clear("again", "10:21")


def test_the_teachers_page_can_ask_what_its_register_raised(sec):
    sec.statutory("Ada", "AM", "/")
    sec.statutory("Ben", "AM", "/")
    register = sec.take_and_check("P2 Ma", {"Ada": "N", "Ben": "O"}, at_time="10:05")
    assert [a.pupil.forename for a in alerts_raised_for(register)] == ["Ada", "Ben"]
    assert raised_message(register) == (
        "Ada Year10, Ben Year10 were seen earlier today but not in this lesson: "
        "an internal-truancy alert has gone to the head of year and the office."
    )


def _check_queries(sec, register, at_time):
    with CaptureQueriesContext(connection) as captured:
        check_lesson_register(register_id=register.pk, now=moment(at_time))
    return len(captured)


def test_the_check_takes_the_same_number_of_queries_whatever_the_class_size(db):
    small = make_secondary()
    big = make_secondary(urn="100021", name="Ridge Academy", establishment="4002", extra_pupils=12)
    counts = []
    for sec in (small, big):
        for pupil in sec.pupils:
            if pupil != "Eve":
                sec.statutory(pupil, "AM", "/")
        register = sec.take("P2 Ma", {"Ada": "/"}, at_time="10:05")
        counts.append(_check_queries(sec, register, "10:05"))
    assert len(TruancyAlert.objects.filter(school=big.school)) == 15
    assert counts[0] == counts[1], counts
    assert counts[0] <= 13, counts  # 11 queries and the savepoint around them
