"""The register page: taking a register, timing rules enforced by the server, conflicts,
bad input refused with nothing half-saved, and a constant number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registers.models import Mark, Register
from tests.factories import PupilFactory, write
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
def tclient(client, teacher):
    login(client, "teacher")
    return client


def url(register):
    return reverse("registers:register", args=[register.pk])


def marks_of(pupils, session="AM", day=MONDAY):
    return {
        m.pupil_id: m for m in Mark.objects.filter(pupil__in=pupils, date=day, session=session).select_related("code")
    }


def test_today_lists_this_session_and_the_next_with_state_and_closing_time(school, tclient):
    make_pupils(school, 3)
    with clock(8, 55):
        response = tclient.get(reverse("registers:today"))
    assert response.status_code == 200
    items = response.context["items"]
    assert [(i.group.name, i.register.session, i.state.value) for i in items] == [
        ("Year 3", "AM", "open"),
        ("Year 3", "PM", "not_yet_open"),
    ]
    assert b"closes 09:20" in response.content
    assert Register.objects.filter(date=MONDAY).count() == 2  # created lazily, once
    with clock(13, 5):
        items = tclient.get(reverse("registers:today")).context["items"]
    # the morning register, closed and not taken, stays for the teacher to take; then the next session
    assert [(i.register.date, i.register.session) for i in items] == [
        (MONDAY, "AM"),
        (MONDAY, "PM"),
        (MONDAY + dt.timedelta(1), "AM"),
    ]
    assert (items[0].state.value, items[0].taken, items[0].may_take) == ("closed", False, True)
    with clock(9, 5):
        items = tclient.get(reverse("registers:today")).context["items"]
    assert items[0].state.value == "late"


def test_register_page_shows_names_flags_and_recent_marks(school, tclient):
    a, b = make_pupils(school, 2)
    a.preferred_forename = "Sunny"
    a.medical_note = "may arrive late (hospital appointments)"
    a.save()
    write(school, a, {(dt.date(2026, 11, 20), "AM"): "/", (dt.date(2026, 11, 20), "PM"): "I"})
    write(school, b, {(MONDAY, "AM"): "C1"}, source="leave_decision")
    register = register_for(school, year3(school))
    with clock(8, 55):
        response = tclient.get(url(register))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sunny" in html and f"Legal name: Alex {a.legal_surname}" in html
    assert "Medical: may arrive late (hospital appointments)" in html
    assert "Approved leave: C1" in html
    assert 'title="Fri 20 Nov PM: I"' in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script or style


def test_teacher_takes_a_register(school, tclient):
    pupils = make_pupils(school, 4)
    register = register_for(school, year3(school))
    codes = {pupils[1].pk: "L", pupils[2].pk: "N", pupils[3].pk: "c1"}
    with clock(9, 6):
        response = tclient.post(url(register), full_post(register, pupils, codes))
    assert response.status_code == 302
    marks = marks_of(pupils)
    assert [marks[p.pk].code.code for p in pupils] == ["/", "L", "N", "C1"]
    assert marks[pupils[1].pk].minutes_late == 6  # from the clock and the late time
    assert {m.source for m in marks.values()} == {"teacher"}
    assert {m.recorded_by_position for m in marks.values()} == {"Class teacher"}
    register.refresh_from_db()
    assert register.state == "taken" and register.taken_by.username == "teacher"
    page = tclient.get(response["Location"])
    assert "The Year 3 AM register is taken." in page.content.decode()


def test_mark_all_present_keeps_planned_marks(school, tclient):
    pupils = make_pupils(school, 3)
    write(school, pupils[0], {(MONDAY, "AM"): "C1"}, source="leave_decision")
    register = register_for(school, year3(school))
    with clock(8, 55):
        response = tclient.post(url(register), {"action": "all_present", f"version-{pupils[0].pk}": "1"})
    assert response.status_code == 302
    assert [marks_of(pupils)[p.pk].code.code for p in pupils] == ["C1", "/", "/"]
    assert marks_of(pupils)[pupils[0].pk].version == 1
    register.refresh_from_db()
    assert register.state == "taken"


def test_partial_register_is_saved_but_not_taken(school, tclient):
    pupils = make_pupils(school, 3)
    register = register_for(school, year3(school))
    with clock(8, 55):
        response = tclient.post(
            url(register), {f"mark-{pupils[0].pk}": "/", f"version-{pupils[0].pk}": "0"}, follow=True
        )
    assert "still have no mark" in response.content.decode()
    register.refresh_from_db()
    assert register.state == "not_taken" and len(marks_of(pupils)) == 1


def test_submitting_twice_never_duplicates_and_a_change_is_an_amendment(school, tclient):
    pupils = make_pupils(school, 3)
    register = register_for(school, year3(school))
    data = full_post(register, pupils)
    with clock(8, 55):
        assert tclient.post(url(register), data).status_code == 302
        again = tclient.post(url(register), data)  # the same page, submitted again (double click)
    assert again.status_code == 302
    assert Mark.objects.count() == 3 and Mark.history.count() == 3
    # the page after the first save shows version 1; the teacher changes one pupil to L
    changed = full_post(register, pupils, {pupils[0].pk: "L"}, versions={p.pk: 1 for p in pupils})
    for p in pupils:
        changed[f"was-{p.pk}"] = "/|"
    with clock(9, 4):
        assert tclient.post(url(register), changed).status_code == 302
    mark = marks_of(pupils)[pupils[0].pk]
    assert (mark.code.code, mark.minutes_late, mark.version) == ("L", 4, 2)
    assert mark.reason == "corrected by class teacher before the register closed"
    assert Mark.objects.count() == 3 and Mark.history.count() == 4


def test_conflicting_edit_from_another_device_is_reported_not_overwritten(school, client, teacher):
    pupils = make_pupils(school, 2)
    other_teacher = make_teacher(school, "second")
    register = register_for(school, year3(school))
    # Both devices loaded the empty register (version 0). The other teacher saves first.
    login(client, "second")
    with clock(8, 56):
        client.post(url(register), full_post(register, pupils, {pupils[0].pk: "N"}))
    client.logout()
    login(client, "teacher")
    with clock(8, 57):
        response = client.post(url(register), full_post(register, pupils, {pupils[0].pk: "/", pupils[1].pk: "L"}))
    assert response.status_code == 409
    html = response.content.decode()
    assert "someone else changed this register" in html
    assert f"{other_teacher.display_name} recorded N at 08:56" in html
    marks = marks_of(pupils)
    assert marks[pupils[0].pk].code.code == "N" and marks[pupils[1].pk].code.code == "/"  # nothing half-saved
    assert Mark.history.count() == 2


def test_late_after_close_is_decided_by_the_arrival_time_entered(school, tclient):
    pupils = make_pupils(school, 3)
    register = register_for(school, year3(school))
    with clock(8, 55):
        tclient.post(
            url(register), {f"mark-{pupils[0].pk}": "/", f"version-{pupils[0].pk}": "0", f"was-{pupils[0].pk}": "|"}
        )
    with clock(11, 0):
        refused = tclient.post(url(register), {f"mark-{pupils[1].pk}": "L", f"version-{pupils[1].pk}": "0"})
        assert refused.status_code == 400
        assert f'id="errors-{pupils[1].pk}"' in refused.content.decode()  # the error sits in the pupil's row
        assert "enter the time they arrived" in refused.content.decode()
        response = tclient.post(
            url(register),
            {
                f"mark-{pupils[1].pk}": "L",
                f"arrived-{pupils[1].pk}": "09:38",
                f"version-{pupils[1].pk}": "0",
                f"mark-{pupils[2].pk}": "L",
                f"arrived-{pupils[2].pk}": "9:12",
                f"version-{pupils[2].pk}": "0",
            },
            follow=True,
        )
    marks = marks_of(pupils)
    assert (marks[pupils[1].pk].code.code, marks[pupils[1].pk].minutes_late) == ("U", 38)
    assert (marks[pupils[2].pk].code.code, marks[pupils[2].pk].minutes_late) == ("L", 12)
    assert "Recorded as U (arrived after the register closed at 09:20)" in response.content.decode()
    register.refresh_from_db()
    assert register.state == "taken"


def test_a_late_mark_shows_its_arrival_time_and_an_untouched_row_is_not_rewritten(school, tclient):
    pupils = make_pupils(school, 1)
    register = register_for(school, year3(school))
    with clock(9, 5):
        tclient.post(
            url(register), {f"mark-{pupils[0].pk}": "L", f"version-{pupils[0].pk}": "0", f"was-{pupils[0].pk}": "|"}
        )
        page = tclient.get(url(register)).content.decode()
        assert f'name="arrived-{pupils[0].pk}" value="09:05"' in page
        tclient.post(
            url(register),
            {
                f"mark-{pupils[0].pk}": "L",
                f"arrived-{pupils[0].pk}": "09:05",
                f"version-{pupils[0].pk}": "1",
                f"was-{pupils[0].pk}": "L|5",
            },
        )
    assert Mark.history.filter(pupil=pupils[0]).count() == 1


def test_after_close_a_teacher_cannot_change_a_mark(school, tclient):
    pupils = make_pupils(school, 1)
    register = register_for(school, year3(school))
    with clock(8, 55):
        tclient.post(url(register), full_post(register, pupils, {pupils[0].pk: "N"}))
    with clock(9, 25):
        page = tclient.get(url(register))
        assert f'name="mark-{pupils[0].pk}"' not in page.content.decode()  # shown read-only
        response = tclient.post(
            url(register), full_post(register, pupils, {pupils[0].pk: "/"}, versions={pupils[0].pk: 1})
        )
    assert response.status_code == 403
    assert "only the office can change it" in response.content.decode()
    assert marks_of(pupils)[pupils[0].pk].code.code == "N"


def test_a_past_register_is_closed_to_teachers(school, tclient):
    pupils = make_pupils(school, 1)
    register = register_for(school, year3(school), day=dt.date(2026, 11, 20))
    with clock(8, 55):
        response = tclient.post(url(register), full_post(register, pupils))
    assert response.status_code == 403
    assert "closed at 09:20" in response.content.decode() and "Only the office" in response.content.decode()
    assert not Mark.objects.exists()


def test_before_it_opens_nothing_is_saved(school, tclient):
    pupils = make_pupils(school, 1)
    register = register_for(school, year3(school))
    with clock(8, 30):
        response = tclient.post(url(register), full_post(register, pupils))
    assert response.status_code == 403 and "opens at 08:50" in response.content.decode()
    assert not Mark.objects.exists()


def test_unknown_code_refused_and_nothing_half_saved(school, tclient):
    pupils = make_pupils(school, 3)
    register = register_for(school, year3(school))
    with clock(8, 55):
        response = tclient.post(url(register), full_post(register, pupils, {pupils[2].pk: "Q9"}))
    assert response.status_code == 400
    assert "&#x27;Q9&#x27; is not a national attendance code." in response.content.decode()
    assert not Mark.objects.exists()
    with clock(8, 55):
        response = tclient.post(url(register), full_post(register, pupils, {pupils[2].pk: "L!"}))
    assert response.status_code == 400 and "is not an attendance code" in response.content.decode()
    assert not Mark.objects.exists()


def test_pupil_not_on_roll_that_day_refused(school, tclient):
    pupils = make_pupils(school, 2)
    not_yet = PupilFactory(school=school, year=3, legal_forename="Robin", on_roll=(dt.date(2026, 11, 30), None))
    elsewhere = PupilFactory(school=school, year=4, legal_forename="Jo")
    register = register_for(school, year3(school))
    with clock(8, 55):
        page = tclient.get(url(register))
        assert "Robin" not in page.content.decode()  # not on roll until next week
        for outsider in (not_yet, elsewhere):
            data = full_post(register, pupils + [outsider])
            response = tclient.post(url(register), data)
            assert response.status_code == 400
            assert f"{outsider.name} is not on the Year 3 roll on Monday 23 November" in response.content.decode()
    assert not Mark.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("mark-{big}", "/"),  # a pupil id no database row can have (SQLite overflowed on it: a 500)
        ("other-{big}", "C"),
        ("version-{pk}", str(2**70)),
        ("minutes-{pk}", str(2**70)),
        ("minutes-{pk}", "\u00b2"),  # a digit to str.isdigit(), not to int()
    ],
)
def test_numbers_no_database_can_hold_are_refused_with_a_message(school, tclient, field, value):
    pupils = make_pupils(school, 2)
    register = register_for(school, year3(school))
    data = full_post(register, pupils, {pupils[0].pk: "L"})
    data[field.format(big=2**70, pk=pupils[0].pk)] = value
    with clock(8, 55):
        response = tclient.post(url(register), data)
    assert response.status_code in (400, 409)
    page = response.content.decode()
    assert "Nothing was saved" in page or "minutes late must be" in page
    assert not Mark.objects.exists()


def test_non_school_day_refused(school, tclient):
    make_pupils(school, 1)
    group = year3(school)
    saturday = dt.date(2026, 11, 21)
    with clock(8, 55, day=saturday):
        response = tclient.get(reverse("registers:register_for", args=[group.pk, saturday.isoformat(), "AM"]))
        assert response.status_code == 404 and "is a weekend" in response.content.decode()
        register = register_for(school, group, day=saturday)  # e.g. created before a calendar change
        pupil = group.pupils.first()
        response = tclient.post(url(register), full_post(register, [pupil]))
    assert response.status_code == 400
    assert "Nothing was saved: Saturday is a weekend" in response.content.decode()
    assert not Mark.objects.exists()


def test_another_teacher_cannot_open_the_register(school, client, teacher):
    make_pupils(school, 1)
    make_teacher(school, "year4", group=school.groups.get(name="Year 4"))
    register = register_for(school, year3(school))
    login(client, "year4")
    with clock(8, 55):
        assert client.get(url(register)).status_code == 403
        assert client.post(url(register), {}).status_code == 403


def test_office_takes_register_on_behalf_of_teacher(school, client, teacher):
    pupils = make_pupils(school, 2)
    make_office(school)
    register = register_for(school, year3(school))
    login(client, "office")
    with clock(9, 10):
        response = client.post(url(register), full_post(register, pupils))
    assert response.status_code == 302
    register.refresh_from_db()
    assert register.state == "taken" and register.taken_on_behalf_of == teacher
    assert (
        register.history.order_by("-history_id")
        .first()
        .history_change_reason.endswith(f"on behalf of {teacher.display_name}")
    )
    assert {m.source for m in marks_of(pupils).values()} == {"office"}
    # after close the office amends, with a reason
    with clock(10, 0):
        data = full_post(register, pupils, {pupils[0].pk: "I"}, versions={p.pk: 1 for p in pupils})
        for p in pupils:
            data[f"was-{p.pk}"] = "/|"
        refused = client.post(url(register), data)
        assert refused.status_code == 400 and "needs a reason" in refused.content.decode()
        data["reason"] = "parent/carer phoned: ill"
        assert client.post(url(register), data).status_code == 302
    mark = marks_of(pupils)[pupils[0].pk]
    assert (mark.code.code, mark.reason, mark.version) == ("I", "parent/carer phoned: ill", 2)


@pytest.mark.parametrize("method", ["view", "submit"])
def test_constant_queries_whatever_the_class_size(school, client, teacher, method):
    counts = {}
    login(client, "teacher")
    for size, day in ((5, MONDAY), (35, MONDAY + dt.timedelta(days=1))):
        group = school.groups.get(name="Year 3" if size == 5 else "Year 5")
        group.teachers.add(teacher)
        pupils = make_pupils(school, size, year=group.year)
        for p in pupils:  # some history for the strip of recent marks
            write(school, p, {(dt.date(2026, 11, 20), "AM"): "/", (dt.date(2026, 11, 20), "PM"): "N"})
        register = register_for(school, group, day=day)
        with clock(8, 55, day=day):
            client.get(url(register))  # warm caches (content types, sessions)
            with CaptureQueriesContext(connection) as queries:
                if method == "view":
                    response = client.get(url(register))
                    assert response.status_code == 200
                else:
                    response = client.post(url(register), full_post(register, pupils))
                    assert response.status_code == 302
        # SAVEPOINT/RELEASE appear only because the test runs inside a transaction (in
        # production the service's atomic block is BEGIN/COMMIT); count the real statements.
        counts[size] = sum(1 for q in queries.captured_queries if "SAVEPOINT" not in q["sql"])
    print(f"\n{method}: queries for 5 pupils = {counts[5]}, 35 pupils = {counts[35]}")
    assert counts[5] == counts[35]
    assert counts[35] <= 15
