"""The office: missing registers (live), reminders, taking a register for a teacher, today's
attendance and late arrivals signed in at the office."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from registers.models import Mark, Notification, Register
from tests.factories import write
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


def test_missing_registers_lists_untaken_after_late_time(school, oclient, teacher):
    pupils = make_pupils(school, 3)
    make_pupils(school, 2, year=4)  # Year 4 has pupils but no teacher
    missing_url = reverse("registers:office_missing")
    with clock(8, 58):
        assert oclient.get(missing_url).context["missing"] == []  # not late yet
    with clock(9, 7):
        response = oclient.get(missing_url)
    rows = response.context["missing"]
    assert [(m.group.name, m.register.session, m.overdue) for m in rows] == [("Year 3", "AM", 7), ("Year 4", "AM", 7)]
    html = response.content.decode()
    assert teacher.display_name in html and "3B" in html and "7 min" in html
    assert "Refresh" in html and "Year 1" not in html  # groups without pupils have no register
    # the JSON fragment the page polls
    with clock(9, 8):
        data = oclient.get(missing_url + "?fragment=1").json()
    assert data["count"] == 2 and "Year 3" in data["html"] and "8 min" in data["html"]
    # the teacher takes it: it clears
    register = Register.objects.get(group=year3(school), date=MONDAY, session="AM")
    login(oclient, "teacher")
    with clock(9, 9):
        oclient.post(
            reverse("registers:register", args=[register.pk]),
            {f"mark-{p.pk}": "/" for p in pupils},
        )
    login(oclient, "office")
    with clock(9, 10):
        data = oclient.get(missing_url + "?fragment=1").json()
    assert data["count"] == 1 and "Year 3" not in data["html"]


def test_reminder_in_app_and_by_email(school, oclient, teacher):
    make_pupils(school, 1)
    with clock(9, 5):
        oclient.get(reverse("registers:office_missing"))
        register = Register.objects.get(group=year3(school), date=MONDAY, session="AM")
        response = oclient.post(reverse("registers:office_remind", args=[register.pk]), follow=True)
    assert "Reminder sent to" in response.content.decode()
    note = Notification.objects.get()
    assert note.recipient == teacher.user and "has not been taken" in note.message
    assert "09:20" not in note.message  # said as it stands when read, not as it stood when sent
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["teacher@school.example"]
    assert "It closes at 09:20." in mail.outbox[0].body
    assert f"/registers/{register.pk}/" in mail.outbox[0].body
    login(oclient, "teacher")
    with clock(9, 6):
        page = oclient.get(reverse("registers:today")).content.decode()
        assert "Reminders from the office" in page and note.message in page and "It closes at 09:20." in page
    with clock(19, 57):
        page = oclient.get(reverse("registers:today")).content.decode()
        assert "closes at 09:20" not in page and "It closed at 09:20" in page
        oclient.post(reverse("registers:dismiss_notification", args=[note.pk]))
        assert "Reminders from the office" not in oclient.get(reverse("registers:today")).content.decode()


def test_a_reminder_disappears_once_its_register_is_taken(school, oclient, teacher):
    pupils = make_pupils(school, 2)
    with clock(9, 5):
        oclient.get(reverse("registers:office_missing"))
        register = Register.objects.get(group=year3(school), date=MONDAY, session="AM")
        oclient.post(reverse("registers:office_remind", args=[register.pk]))
    login(oclient, "teacher")
    with clock(9, 6):
        assert "Reminders from the office" in oclient.get(reverse("registers:today")).content.decode()
        oclient.post(reverse("registers:register", args=[register.pk]), full_post(register, pupils, {}))
        register.refresh_from_db()
        assert register.state == Register.State.TAKEN
        assert "Reminders from the office" not in oclient.get(reverse("registers:today")).content.decode()


def test_teachers_cannot_use_office_pages(school, client, teacher):
    login(client, "teacher")
    with clock(9, 5):
        for name in ("registers:office_missing", "absences:office_today", "registers:office_late_arrival"):
            assert client.get(reverse(name)).status_code == 403
        register = register_for(school, year3(school))
        assert client.post(reverse("registers:office_remind", args=[register.pk])).status_code == 403


def test_todays_attendance_counts_n_and_absences_without_report(school, oclient, teacher):
    y3 = make_pupils(school, 4)
    y4 = make_pupils(school, 2, year=4)
    marks = {y3[0]: "/", y3[1]: ("L", 5), y3[2]: "N", y4[0]: "O", y4[1]: "I"}
    for pupil, code in marks.items():
        write(school, pupil, {(MONDAY, "AM"): code})
    with clock(10, 0):
        response = oclient.get(reverse("absences:office_today"))
    ctx = response.context
    assert ctx["session"] == "AM"
    by_group = {g["group__name"]: g for g in ctx["groups"]}
    assert (by_group["Year 3"]["on_roll"], by_group["Year 3"]["present"], by_group["Year 3"]["absent"]) == (4, 2, 1)
    assert by_group["Year 3"]["unmarked"] == 1 and by_group["Year 3"]["n_marks"] == 1
    assert (by_group["Year 4"]["present"], by_group["Year 4"]["absent"]) == (0, 2)
    assert [m.pupil for m in ctx["n_pupils"]] == [y3[2]]
    assert {m.pupil for m in ctx["no_report"]} == {y3[2], y4[0]}  # N and O; not I (illness reported)
    assert ctx["totals"]["on_roll"] == 6


def test_the_old_address_of_todays_attendance_still_leads_there(oclient):
    response = oclient.get("/office/today/?session=PM")
    assert response.status_code == 302 and response["Location"] == reverse("absences:office_today") + "?session=PM"


def test_late_arrival_signed_in_after_close_becomes_u(school, oclient, teacher):
    pupil = make_pupils(school, 1)[0]
    write(school, pupil, {(MONDAY, "AM"): "N"}, actor=None or __import__("tests.factories").factories.SYSTEM)
    late_url = reverse("registers:office_late_arrival")
    with clock(9, 45):
        assert oclient.get(late_url).status_code == 200
        response = oclient.post(late_url, {"pupil": pupil.pk, "session": "AM", "arrived": "09:41"}, follow=True)
    assert "recorded as U (41 min late)" in response.content.decode()
    mark = Mark.objects.get(pupil=pupil)
    assert (mark.code.code, mark.minutes_late, mark.source, mark.version) == ("U", 41, "office", 2)
    assert mark.reason == "late arrival signed in at the office at 09:41"
    assert mark.history.count() == 2


def test_late_arrival_before_close_is_l_and_future_time_refused(school, oclient, teacher):
    pupil = make_pupils(school, 1)[0]
    late_url = reverse("registers:office_late_arrival")
    with clock(9, 12):
        refused = oclient.post(late_url, {"pupil": pupil.pk, "session": "AM", "arrived": "09:30"})
        assert refused.status_code == 400 and "has not happened yet" in refused.content.decode()
        oclient.post(late_url, {"pupil": pupil.pk, "session": "AM", "arrived": "09:11"})
    mark = Mark.objects.get(pupil=pupil)
    assert (mark.code.code, mark.minutes_late) == ("L", 11)


def test_late_arrival_on_non_school_day_refused(school, oclient, teacher):
    pupil = make_pupils(school, 1)[0]
    saturday = dt.date(2026, 11, 21)
    with clock(10, 0, day=saturday):
        response = oclient.post(
            reverse("registers:office_late_arrival"), {"pupil": pupil.pk, "session": "AM", "arrived": "09:41"}
        )
    assert response.status_code == 400 and "is a weekend" in response.content.decode()
    assert not Mark.objects.exists()
