"""The lesson register page (/lessons/registers/<id>/): the statutory register's page and form, working
without JavaScript, for the lesson's teacher, a cover teacher and the office; a teacher's lessons
today; the office's cover form; a constant number of queries; markup shown as text."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons.models import Cover, LessonMark, LessonRegister
from lessons.services import open_lesson_register
from registers.models import Mark
from registers.taking import MarkWish
from tests.lessons.lesson_helpers import TUESDAY, at, clock, make_class, make_lesson, take_lesson

pytestmark = pytest.mark.django_db


def login(client, staff):
    client.force_login(staff.user)
    return client


def url(register):
    return reverse("lessons:register", args=[register.pk])


def form(register, pupils, codes=None, versions=None):
    """The form as the page submits it without JavaScript: one radio or typed code per pupil."""
    data = {"action": "save"}
    for pupil in pupils:
        code = (codes or {}).get(pupil.pk, "/")
        data[f"version-{pupil.pk}"] = str((versions or {}).get(pupil.pk, 0))
        data[f"was-{pupil.pk}"] = "|"
        data[f"mark-{pupil.pk}" if code in ("/", "\\", "L", "N") else f"other-{pupil.pk}"] = code
    return data


def test_the_teacher_takes_the_lesson_register_with_the_plain_form(client, p3, maths_teacher, pupils):
    login(client, maths_teacher)
    with clock(10, 55):
        response = client.get(reverse("lessons:register_for", args=[p3.pk, TUESDAY.isoformat()]))
    register = LessonRegister.objects.get(lesson=p3, date=TUESDAY)
    assert response.status_code == 302 and response["Location"] == url(register)
    with clock(10, 55):
        page = client.get(url(register))
        assert page.status_code == 200
        html = page.content.decode()
        assert "10X/Ma1 · Tuesday 8 December · P3 lesson register" in html
        assert "Opens 11:00 · late after 11:05 · closes 12:00" in html and "Room M4" in html
        assert 'id="register-form"' in html and "js/register.js" in html
        assert reverse("lessons:today") in html  # back to the teacher's lessons
        early = client.post(url(register), form(register, pupils))
        assert early.status_code == 403 and "opens at 11:00" in early.content.decode()
    with clock(11, 8):
        data = form(register, pupils, {pupils[0].pk: "N"})
        data[f"mark-{pupils[1].pk}"], data[f"arrived-{pupils[1].pk}"] = "L", "11:08"
        saved = client.post(url(register), data)
        assert saved.status_code == 302
    marks = {m.pupil_id: (m.code.code, m.minutes_late, m.source) for m in LessonMark.objects.all()}
    assert marks[pupils[0].pk] == ("N", None, "teacher") and marks[pupils[1].pk] == ("L", 3, "teacher")
    assert len(marks) == 30 and not Mark.objects.exists()
    register.refresh_from_db()
    assert register.state == "taken"


def test_a_subject_teacher_cannot_open_another_teachers_lesson(client, p3, science_teacher, pupils):
    login(client, science_teacher)
    register = open_lesson_register(lesson=p3, day=TUESDAY)
    with clock(11, 2):
        assert client.get(url(register)).status_code == 403
        assert client.post(url(register), form(register, pupils)).status_code == 403
        assert client.get(reverse("lessons:register_for", args=[p3.pk, TUESDAY.isoformat()])).status_code == 403
    assert not LessonMark.objects.exists()


def test_cover_arranged_by_the_office_then_taken_by_the_cover_teacher(client, p3, office, cover_teacher, pupils):
    login(client, office)
    with clock(8, 0):
        page = client.get(reverse("lessons:office"))
        assert page.status_code == 200 and "10X/Ma1" in page.content.decode()
        arranged = client.post(reverse("lessons:office"), {"lesson": p3.pk, "teacher": cover_teacher.pk})
        assert arranged.status_code == 302
    assert Cover.objects.get(lesson=p3, date=TUESDAY).teacher == cover_teacher
    login(client, cover_teacher)
    with clock(10, 50):
        today = client.get(reverse("lessons:today")).content.decode()
        assert "10X/Ma1" in today and "Cover for Mr Mo Khan" in today
        open_url = reverse("lessons:register_for", args=[p3.pk, TUESDAY.isoformat()])
        assert open_url in today
        register_url = client.get(open_url)["Location"]
    register = LessonRegister.objects.get(lesson=p3, date=TUESDAY)
    with clock(11, 1):
        assert "you are covering this lesson" in client.get(register_url).content.decode()
        assert client.post(register_url, form(register, pupils)).status_code == 302
    register.refresh_from_db()
    assert register.cover_teacher == cover_teacher and register.state == "taken"
    assert set(LessonMark.objects.values_list("source", flat=True)) == {"cover"}
    # the lesson's own teacher no longer lists it among today's lessons
    login(client, p3.teacher)
    with clock(10, 50):
        assert "You have no lessons today" in client.get(reverse("lessons:today")).content.decode()


def test_the_cover_form_refuses_the_lessons_own_teacher(client, p3, office, maths_teacher):
    login(client, office)
    with clock(8, 0):
        refused = client.post(reverse("lessons:office"), {"lesson": p3.pk, "teacher": maths_teacher.pk})
    assert refused.status_code == 400 and "teaches 10X/Ma1" in refused.content.decode()
    assert not Cover.objects.exists()


def test_the_office_amends_a_closed_lesson_register_with_a_reason(client, p3, maths_teacher, office, pupils):
    take_lesson(p3, maths_teacher, [MarkWish(p.pk, "/") for p in pupils], at(11, 2))
    register = LessonRegister.objects.get(lesson=p3)
    login(client, office)
    versions = {p.pk: 1 for p in pupils}
    with clock(15, 0):
        page = client.get(url(register)).content.decode()
        assert "as the office" in page and "Reason for a change" in page
        data = form(register, pupils, {pupils[0].pk: "M"}, versions)
        data.update({f"was-{p.pk}": "/|" for p in pupils})
        refused = client.post(url(register), data)
        assert refused.status_code == 400 and "needs a reason" in refused.content.decode()
        data[f"reason-{pupils[0].pk}"] = "orthodontist: appointment card seen"
        assert client.post(url(register), data).status_code == 302
    mark = LessonMark.objects.get(pupil=pupils[0])
    assert (mark.code.code, mark.version, mark.source) == ("M", 2, "office")
    assert mark.reason == "orthodontist: appointment card seen"


def test_a_teacher_cannot_change_a_mark_after_the_lesson_ends(client, p3, maths_teacher, pupils):
    take_lesson(p3, maths_teacher, [MarkWish(p.pk, "/") for p in pupils], at(11, 2))
    register = LessonRegister.objects.get(lesson=p3)
    login(client, maths_teacher)
    with clock(12, 5):
        page = client.get(url(register)).content.decode()
        assert "This register closed at 12:00" in page and 'name="mark-' not in page
        data = form(register, pupils[:1], {pupils[0].pk: "N"}, {pupils[0].pk: 1})
        data[f"was-{pupils[0].pk}"] = "/|"
        assert client.post(url(register), data).status_code == 403
    assert LessonMark.objects.get(pupil=pupils[0]).code.code == "/"


def test_markup_is_shown_as_text(client, school, p3, office, maths_teacher, pupils):
    pupils[0].preferred_forename = "<b>Bo</b>"
    pupils[0].medical_note = "<script>alert(1)</script> inhaler"
    pupils[0].save()
    office.user.last_name = "<img src=x onerror=alert(1)>"
    office.user.save()
    take_lesson(p3, office, [MarkWish(pupils[0].pk, "N", comment="<i>phoned</i>")], at(11, 2))
    register = LessonRegister.objects.get(lesson=p3)
    login(client, office)
    with clock(15, 0):
        data = form(register, pupils[:1], {pupils[0].pk: "I"}, {pupils[0].pk: 1})
        data[f"was-{pupils[0].pk}"] = "N|"
        data["reason"] = "<script>steal()</script>"
        data[f"other-{pupils[1].pk}"] = "<svg"
        response = client.post(url(register), data)
    html = response.content.decode()
    assert response.status_code == 400
    for raw in ("<b>Bo</b>", "<script>alert(1)</script>", "<img src=x", "<SVG", "<script>steal"):
        assert raw not in html
    assert "&lt;b&gt;Bo&lt;/b&gt;" in html and "&lt;script&gt;alert(1)&lt;/script&gt; inhaler" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&#x27;&lt;SVG&#x27; is not an attendance code" in html


def _count(client, target, method, data=None):
    client.get(target)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(target, data) if method == "submit" else client.get(target)
    assert response.status_code == (302 if method == "submit" else 200), response.content.decode()[:2000]
    # SAVEPOINT/RELEASE appear only because the test runs inside a transaction
    return sum(1 for q in queries.captured_queries if "SAVEPOINT" not in q["sql"])


@pytest.mark.parametrize("method", ["view", "submit"])
def test_constant_queries_whatever_the_class_size(client, school, periods, timetable_settings, maths_teacher, method):
    login(client, maths_teacher)
    counts = {}
    for size, period in ((5, "P2"), (30, "P3")):
        group, pupils = make_class(school, f"10X/Ma{size}", size, maths_teacher)
        lesson = make_lesson(school, group, periods[period], maths_teacher)
        register = open_lesson_register(lesson=lesson, day=TUESDAY)
        start = periods[period].starts
        with clock(start.hour, start.minute + 2):
            counts[size] = _count(client, url(register), method, form(register, pupils))
    print(f"\n{method}: queries for 5 pupils = {counts[5]}, 30 pupils = {counts[30]}")
    assert counts[5] == counts[30]
    assert counts[30] <= 15


def test_the_teachers_menu_leads_to_their_lessons(client, p3, maths_teacher, office):
    login(client, maths_teacher)
    with clock(8, 30):
        home = client.get("/", follow=True).content.decode()
        assert reverse("lessons:today") in home
        lessons = client.get(reverse("lessons:today")).content.decode()
    assert "P3 · 10X/Ma1" in lessons
    login(client, office)
    with clock(8, 30):
        assert reverse("lessons:office") in client.get("/").content.decode()
        assert reverse("lessons:today") in client.get(reverse("lessons:office")).content.decode()


def test_governors_have_no_lessons_page(client, school):
    from tests.factories import make_staff
    from tests.lessons.lesson_helpers import P

    governor = make_staff(school, P.GOVERNOR, "governor", "Pat", "Governor")
    login(client, governor)
    assert client.get(reverse("lessons:today")).status_code == 403


def test_the_statutory_register_suggests_the_marks_of_the_lesson_holding_it(
    client, school, p1, maths_teacher, form_tutor, pupils, timetable_settings
):
    from registers.models import Register, RegistrationGroup

    take_lesson(p1, maths_teacher, [MarkWish(pupils[0].pk, "N"), MarkWish(pupils[1].pk, "/")], at(8, 42))
    group = RegistrationGroup.objects.get(school=school, name="10X")
    register = Register.objects.create(school=school, group=group, date=TUESDAY, session="AM")
    login(client, form_tutor)
    with clock(8, 45):
        html = client.get(reverse("registers:register", args=[register.pk])).content.decode()
    assert "Suggested from 10X/Ma1 P1: N (not saved yet)" in html
    assert f'name="mark-{pupils[0].pk}" value="N" checked' in html
    assert f'name="mark-{pupils[1].pk}" value="/" checked' in html
    assert not Mark.objects.exists()  # shown, not written
    # a school that does not pre-fill gets no suggestions
    timetable_settings.prefill_statutory = False
    timetable_settings.save()
    with clock(8, 45):
        assert "Suggested from" not in client.get(reverse("registers:register", args=[register.pk])).content.decode()
