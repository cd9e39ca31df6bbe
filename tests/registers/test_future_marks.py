"""Attendance can't be recorded for a session that has not happened (issue 16): only plannable
codes — leave, a parent's report, a closure — may be entered ahead; presence and lateness only
once the session has begun. The rule lives in the register service, so the office's register
page, the API and the marks import all refuse the same way, naming the pupil, date and session."""

import datetime as dt

import pytest
from django.urls import reverse

from registers.imports import ImportRejected, import_marks
from registers.models import Closure, Mark
from registers.services import MarkEntry, MarkValidationError, apply_closure, record_marks
from tests.api.conftest import clock as api_clock
from tests.api.conftest import register_url, token_client
from tests.factories import SYSTEM, PupilFactory
from tests.registers.register_helpers import LONDON, clock, full_post, login, make_office, register_for, year3

D = dt.date
TODAY = D(2026, 11, 9)  # Monday after the autumn half-term (26–30 Oct 2026)
NEXT_WEEK = D(2026, 11, 16)
NOW = dt.datetime(2026, 11, 9, 10, 0, tzinfo=LONDON)


def at(hour, minute, day=TODAY):
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def record(school, pupil, day, session, code, *, now=NOW, source="office"):
    return record_marks(
        school=school,
        entries=[MarkEntry(pupil_id=pupil.pk, date=day, session=session, code=code)],
        actor=SYSTEM,
        source=source,
        now=now,
    )


@pytest.fixture
def pupil(school):
    return PupilFactory(school=school, year=3, legal_forename="Amira", legal_surname="Khan")


@pytest.mark.parametrize("code", ["/", "L", "U", "N", "O", "G", "B", "V"])
def test_what_happened_cannot_be_recorded_for_next_week(school, pupil, code):
    session = "AM"
    with pytest.raises(MarkValidationError) as refused:
        record(school, pupil, NEXT_WEEK, session, code)
    message = str(refused.value)
    assert "Amira Khan" in message and "Mon 16 Nov 2026 AM" in message and "not happened yet" in message
    assert not Mark.objects.exists()


@pytest.mark.parametrize("code", ["C", "C1", "C2", "J1", "S", "M", "I", "R", "E", "T", "X", "D", "Y2"])
def test_planned_absence_may_be_entered_ahead(school, pupil, code):
    assert record(school, pupil, NEXT_WEEK, "AM", code).written == 1


def test_a_planned_closure_is_coded_ahead(school, pupil):
    closure = Closure.objects.create(school=school, date=NEXT_WEEK, reason="Polling station")
    with clock(10, 0, day=TODAY):
        assert apply_closure(closure=closure, actor=SYSTEM).written == 2
    assert set(Mark.objects.values_list("code__code", flat=True)) == {"#"}


def test_presence_only_once_the_session_has_begun(school, pupil):
    """Register times: AM opens 08:50, PM 13:00."""
    with pytest.raises(MarkValidationError, match=r"not begun yet \(the register opens at 08:50\)"):
        record(school, pupil, TODAY, "AM", "/", now=at(8, 49))
    assert record(school, pupil, TODAY, "AM", "/", now=at(8, 50)).written == 1
    with pytest.raises(MarkValidationError, match=r"Amira Khan, Mon 09 Nov 2026 PM: \\ can't be recorded yet"):
        record(school, pupil, TODAY, "PM", "\\", now=at(12, 30))
    assert record(school, pupil, TODAY, "PM", "\\", now=at(13, 0)).written == 1


def test_a_planned_mark_cannot_be_turned_into_presence_ahead(school, pupil):
    record(school, pupil, NEXT_WEEK, "AM", "M")
    with pytest.raises(MarkValidationError, match="not happened yet"):
        record_marks(
            school=school,
            entries=[MarkEntry(pupil_id=pupil.pk, date=NEXT_WEEK, session="AM", code="/", reason="appointment off")],
            actor=SYSTEM,
            source="office",
            now=NOW,
        )
    assert Mark.objects.get().code.code == "M"


def test_the_office_register_page_refuses_next_weeks_register(school, client, pupil):
    make_office(school)
    register = register_for(school, year3(school), day=NEXT_WEEK)
    login(client, "office")
    with clock(10, 0, day=TODAY):
        response = client.post(reverse("registers:register", args=[register.pk]), full_post(register, [pupil]))
    assert response.status_code == 400
    assert "Amira Khan, Mon 16 Nov 2026 AM: / can&#x27;t be recorded yet" in response.content.decode()
    assert not Mark.objects.exists()
    register.refresh_from_db()
    assert register.state == "not_taken"


def test_the_api_refuses_next_weeks_register_and_presence_over_a_planned_mark(school, pupil):
    writer = token_client(school)
    group = year3(school)
    with api_clock(10, 0, day=TODAY):
        etag = writer.get(register_url(group, day=NEXT_WEEK))["ETag"]
        body = {"marks": [{"pupil": pupil.pk, "code": "/"}]}
        response = writer.put(register_url(group, day=NEXT_WEEK), body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400, response.content
    assert "Mon 16 Nov 2026 AM" in str(response.json()) and "not happened yet" in str(response.json())
    assert not Mark.objects.exists()

    record(school, pupil, NEXT_WEEK, "AM", "M")
    mark = Mark.objects.get()
    office = token_client(school, "MIS", "write")
    with api_clock(10, 0, day=TODAY):
        etag = office.get(f"/api/v1/marks/{mark.pk}/")["ETag"]
        response = office.patch(
            f"/api/v1/marks/{mark.pk}/", {"code": "/", "reason": "came after all"}, format="json", HTTP_IF_MATCH=etag
        )
    assert response.status_code == 400, response.content
    assert "not happened yet" in response.json()["errors"][0]["reason"]
    assert Mark.objects.get().code.code == "M"


def test_import_marks_refuses_rows_for_sessions_still_to_come(school, pupil):
    with clock(10, 0, day=TODAY):
        text = (
            "upn,date,session,code,minutes_late\n"
            f"{pupil.upn},2026-11-09,AM,/,\n"
            f"{pupil.upn},2026-11-16,AM,/,\n"
            f"{pupil.upn},2026-11-17,AM,C,\n"
        )
        with pytest.raises(ImportRejected) as refused:
            import_marks(school=school, text=text, actor=SYSTEM, source_name="sims.csv")
    problems = {p.line: p.message for p in refused.value.problems}
    assert list(problems) == [3]
    assert "Amira Khan, Mon 16 Nov 2026 AM: / can't be recorded yet" in problems[3]
    assert not Mark.objects.exists()
