"""Registers that survive the network, on the server's side: the service worker's script at the
register pages' scope, and the register page's JSON answer to a submission the browser kept
offline — the same result the page renders (saved, refused, conflict), never a second rule."""

import pytest
from django.urls import reverse

from registers.models import Mark
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
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def teacher(school):
    return make_teacher(school)


@pytest.fixture
def tclient(client, teacher):
    login(client, "teacher")
    return client


def url(register):
    return reverse("registers:register", args=[register.pk])


def marks_of(pupils):
    return {
        m.pupil_id: m for m in Mark.objects.filter(pupil__in=pupils, date=MONDAY, session="AM").select_related("code")
    }


def test_the_service_worker_is_served_at_the_register_pages_scope_under_the_strict_policy(client):
    response = client.get(reverse("registers:service_worker"))
    assert response.status_code == 200
    assert reverse("registers:service_worker") == "/registers/sw.js"
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/registers/"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    assert 'importScripts("/static/js/register-outbox.js", "/static/js/register-sw.js")' in body
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert client.post(reverse("registers:service_worker")).status_code == 405


def test_the_register_page_carries_the_outbox_and_a_status_region(school, tclient, teacher):
    make_pupils(school, 2)
    register = register_for(school, year3(school))
    with clock(8, 55):
        html = tclient.get(url(register)).content.decode()
    assert 'data-outbox="/registers/sw.js"' in html
    assert f'data-user="{teacher.user.pk}"' in html
    assert 'id="offline-status" class="offline-status" role="status" aria-live="polite"' in html
    assert html.index("js/register-offline.js") < html.index("js/register.js")


def test_a_queued_register_is_saved_and_answered_with_each_marks_new_version(school, tclient, teacher):
    pupils = make_pupils(school, 3)
    register = register_for(school, year3(school))
    post = full_post(register, pupils, {pupils[1].pk: "N"}) | {"queued-by": str(teacher.user.pk)}
    with clock(8, 55):
        response = tclient.post(url(register), post, **JSON)
    assert response.status_code == 200
    data = response.json()
    assert data["saved"] is True and data["taken"] is True
    assert sorted(data["created"]) == sorted(p.pk for p in pupils)
    assert data["marks"][str(pupils[1].pk)] == {
        "code": "N",
        "minutes": None,
        "version": 1,
        "was": "N|",
        "by": teacher.display_name,
    }
    assert {p: m.code.code for p, m in marks_of(pupils).items()} == {
        pupils[0].pk: "/",
        pupils[1].pk: "N",
        pupils[2].pk: "/",
    }
    assert Mark.history.filter(pupil__in=pupils).count() == 3


def test_the_same_queued_register_sent_twice_writes_each_mark_once(school, tclient):
    """An answer lost on the way back: the browser sends the same submission again. The marks it
    asks for are already there, so nothing is written twice and no conflict is reported."""
    pupils = make_pupils(school, 2)
    register = register_for(school, year3(school))
    post = full_post(register, pupils, {pupils[0].pk: "L"})
    with clock(9, 5):
        assert tclient.post(url(register), post, **JSON).status_code == 200
        again = tclient.post(url(register), post, **JSON)
    assert again.status_code == 200
    data = again.json()
    assert data["saved"] is True and data["created"] == [] and data["amended"] == []
    assert sorted(data["unchanged"]) == sorted(p.pk for p in pupils)
    assert data["marks"][str(pupils[0].pk)]["version"] == 1
    assert Mark.objects.filter(pupil__in=pupils).count() == 2
    assert Mark.history.filter(pupil__in=pupils).count() == 2


def test_a_mark_the_office_changed_meanwhile_is_refused_with_the_offices_mark(school, client, teacher):
    pupils = make_pupils(school, 2)
    make_office(school)
    register = register_for(school, year3(school))
    login(client, "office")
    with clock(9, 0):
        client.post(url(register), full_post(register, pupils[:1], {pupils[0].pk: "M"}))
    client.logout()
    login(client, "teacher")
    with clock(9, 5):
        response = client.post(url(register), full_post(register, pupils, {pupils[0].pk: "N"}), **JSON)
    assert response.status_code == 409
    data = response.json()
    conflict = [r for r in data["refusals"] if r["conflict"]]
    assert [r["pupil"] for r in conflict] == [pupils[0].pk]
    assert "recorded M at 09:00 after you loaded the page" in conflict[0]["message"]
    assert set(data["marks"]) == {str(pupils[0].pk)}
    assert data["marks"][str(pupils[0].pk)]["code"] == "M" and data["marks"][str(pupils[0].pk)]["version"] == 1
    marks = marks_of(pupils)
    assert marks[pupils[0].pk].code.code == "M" and pupils[1].pk not in marks  # all or nothing


def test_a_queued_register_before_it_opens_is_refused_as_the_page_refuses_it(school, tclient):
    pupils = make_pupils(school, 1)
    register = register_for(school, year3(school))
    with clock(7, 0):
        response = tclient.post(url(register), full_post(register, pupils), **JSON)
    assert response.status_code == 403
    data = response.json()
    assert data["saved"] is False and data["refusals"][0]["kind"] == "not_open"
    assert data["refusals"][0]["pupil"] is None
    assert not Mark.objects.filter(pupil__in=pupils).exists()


def test_a_code_of_the_wrong_shape_is_refused_naming_the_pupil(school, tclient):
    pupils = make_pupils(school, 2)
    register = register_for(school, year3(school))
    with clock(8, 55):
        response = tclient.post(url(register), full_post(register, pupils, {pupils[0].pk: "XYZ"}), **JSON)
    assert response.status_code == 400
    refusals = response.json()["refusals"]
    assert refusals == [
        {
            "pupil": pupils[0].pk,
            "kind": "invalid",
            "message": "'XYZ' is not an attendance code (codes are one or two characters, e.g. L or C1).",
            "conflict": False,
        }
    ]
    assert not Mark.objects.filter(pupil__in=pupils).exists()


def test_marks_queued_by_someone_else_on_a_shared_computer_are_not_sent_in_this_users_name(school, tclient, teacher):
    pupils = make_pupils(school, 1)
    register = register_for(school, year3(school))
    with clock(8, 55):
        response = tclient.post(
            url(register), full_post(register, pupils) | {"queued-by": str(teacher.user.pk + 1000)}, **JSON
        )
    assert response.status_code == 403
    assert response.json()["sign_in"] is True
    assert not Mark.objects.filter(pupil__in=pupils).exists()


def test_the_plain_form_post_is_unchanged_by_the_queued_by_stamp(school, tclient, teacher):
    pupils = make_pupils(school, 1)
    register = register_for(school, year3(school))
    with clock(8, 55):
        response = tclient.post(url(register), full_post(register, pupils) | {"queued-by": "someone"})
    assert response.status_code == 302 and response["Location"] == url(register)
    assert marks_of(pupils)[pupils[0].pk].code.code == "/"


def test_a_queued_register_with_an_expired_session_goes_to_sign_in_and_writes_nothing(school, client, teacher):
    pupils = make_pupils(school, 1)
    register = register_for(school, year3(school))
    with clock(8, 55):
        response = client.post(url(register), full_post(register, pupils), **JSON)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Mark.objects.filter(pupil__in=pupils).exists()
