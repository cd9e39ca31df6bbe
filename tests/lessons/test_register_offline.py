"""A lesson register that survives the network, on the server's side: the register pages' service
worker served beside the lesson register pages (scope /lessons/registers/ only), and the lesson
register page's JSON answer to a submission the browser kept offline — the same calls as the
statutory page (registers/register_views/offline.py) reading the lesson's roll: saved, refused,
conflict with the office's lesson mark, never a statutory mark."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lessons.models import LessonMark, LessonRegister
from lessons.services import open_lesson_register
from registers.models import Mark
from registers.taking import MarkWish
from tests.lessons.lesson_helpers import TUESDAY, at, clock, take_lesson
from tests.lessons.test_register_page import form, login, url

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def register(p3):
    return open_lesson_register(lesson=p3, day=TUESDAY)


@pytest.fixture
def teacher_client(client, maths_teacher):
    return login(client, maths_teacher)


def lesson_marks(pupils):
    return {m.pupil_id: m for m in LessonMark.objects.filter(pupil__in=pupils).select_related("code")}


def test_the_service_worker_is_served_at_the_lesson_register_pages_scope_only(client):
    response = client.get(reverse("lessons:service_worker"))
    assert reverse("lessons:service_worker") == "/lessons/registers/sw.js"
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/lessons/registers/"
    body = response.content.decode()
    assert 'importScripts("/static/js/register-outbox.js", "/static/js/register-sw.js")' in body
    # the same worker as the statutory pages', not a second one
    assert body == client.get(reverse("registers:service_worker")).content.decode()
    # its scope holds the lesson register pages, and none of the lessons' other pages or forms
    assert url(LessonRegister(pk=7)).startswith("/lessons/registers/")
    for other in ("lessons:today", "lessons:office"):
        assert not reverse(other).startswith("/lessons/registers/")


def test_the_lesson_register_page_carries_the_outbox_of_its_own_scope(teacher_client, register, maths_teacher):
    with clock(11, 1):
        html = teacher_client.get(url(register)).content.decode()
    assert 'data-outbox="/lessons/registers/sw.js"' in html
    assert f'data-user="{maths_teacher.user.pk}"' in html
    assert 'id="offline-status" class="offline-status" role="status" aria-live="polite"' in html
    assert html.index("js/register-offline.js") < html.index("js/register.js")


def test_a_queued_lesson_register_is_saved_and_answered_with_each_marks_new_version(
    teacher_client, register, maths_teacher, pupils
):
    post = form(register, pupils, {pupils[1].pk: "N"}) | {"queued-by": str(maths_teacher.user.pk)}
    with clock(11, 2):
        response = teacher_client.post(url(register), post, **JSON)
    assert response.status_code == 200
    data = response.json()
    assert data["saved"] is True and data["taken"] is True and data["unmarked"] == 0
    assert sorted(data["created"]) == sorted(p.pk for p in pupils)
    assert len(data["marks"]) == 30
    assert data["marks"][str(pupils[1].pk)] == {
        "code": "N",
        "minutes": None,
        "version": 1,
        "was": "N|",
        "by": maths_teacher.display_name,
    }
    marks = lesson_marks(pupils)
    assert marks[pupils[1].pk].code.code == "N" and {marks[p.pk].code.code for p in pupils if p != pupils[1]} == {"/"}
    assert LessonMark.history.filter(pupil__in=pupils).count() == 30
    assert not Mark.objects.exists()  # a lesson mark never writes the statutory mark
    register.refresh_from_db()
    assert register.state == LessonRegister.State.TAKEN

    with clock(11, 4):  # the answer was lost on the way back: the same submission again writes nothing
        again = teacher_client.post(url(register), post, **JSON)
    assert again.status_code == 200 and again.json()["created"] == [] and again.json()["amended"] == []
    assert LessonMark.history.filter(pupil__in=pupils).count() == 30


def test_a_lesson_mark_the_office_changed_meanwhile_is_refused_with_the_offices_mark(
    teacher_client, register, office, pupils
):
    take_lesson(register.lesson, office, [MarkWish(pupils[0].pk, "M")], at(11, 3))
    with clock(11, 5):
        response = teacher_client.post(url(register), form(register, pupils, {pupils[0].pk: "N"}), **JSON)
    assert response.status_code == 409
    data = response.json()
    assert data["saved"] is False
    conflict = [r for r in data["refusals"] if r["conflict"]]
    assert [r["pupil"] for r in conflict] == [pupils[0].pk]
    assert "recorded M at 11:03 after you loaded the page" in conflict[0]["message"]
    assert set(data["marks"]) == {str(pupils[0].pk)}
    assert data["marks"][str(pupils[0].pk)] == {
        "code": "M",
        "minutes": None,
        "version": 1,
        "was": "M|",
        "by": office.display_name,
    }
    marks = lesson_marks(pupils)
    assert list(marks) == [pupils[0].pk] and marks[pupils[0].pk].source == LessonMark.Source.OFFICE  # all or nothing


def test_a_queued_lesson_register_is_refused_before_the_lesson_starts_and_after_it_ends(
    teacher_client, register, maths_teacher, pupils
):
    with clock(10, 55):
        early = teacher_client.post(url(register), form(register, pupils), **JSON)
    assert early.status_code == 403
    assert early.json()["saved"] is False and early.json()["marks"] == {}
    assert [(r["pupil"], r["kind"]) for r in early.json()["refusals"]] == [(None, "not_open")]
    assert "opens at 11:00" in early.json()["refusals"][0]["message"]
    assert not LessonMark.objects.exists()

    take_lesson(register.lesson, maths_teacher, [MarkWish(p.pk, "/") for p in pupils], at(11, 2))
    with clock(12, 5):  # the lesson has ended: a teacher may no longer change a mark
        data = form(register, pupils[:1], {pupils[0].pk: "N"}, {pupils[0].pk: 1}) | {f"was-{pupils[0].pk}": "/|"}
        late = teacher_client.post(url(register), data, **JSON)
    assert late.status_code == 403 and late.json()["saved"] is False
    assert {r["kind"] for r in late.json()["refusals"]} == {"closed"}
    assert lesson_marks(pupils)[pupils[0].pk].code.code == "/"


def test_a_queued_lesson_register_with_a_code_of_the_wrong_shape_is_refused_naming_the_pupil(
    teacher_client, register, pupils
):
    with clock(11, 2):
        response = teacher_client.post(url(register), form(register, pupils, {pupils[0].pk: "XYZ"}), **JSON)
    assert response.status_code == 400
    assert [(r["pupil"], r["kind"]) for r in response.json()["refusals"]] == [(pupils[0].pk, "invalid")]
    assert not LessonMark.objects.exists()


def test_lesson_marks_queued_by_someone_else_on_a_shared_computer_are_not_sent(
    teacher_client, register, maths_teacher, pupils
):
    post = form(register, pupils) | {"queued-by": str(maths_teacher.user.pk + 1000)}
    with clock(11, 2):
        response = teacher_client.post(url(register), post, **JSON)
    assert response.status_code == 403 and response.json()["sign_in"] is True
    assert not LessonMark.objects.exists()
