"""The pupil page shows the week's lessons beside the AM/PM sessions (through the registers'
panels signal: registers does not import lessons), to staff, at a fixed number of queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PupilFactory, make_parent, write

from .lesson_records import alert, lesson, mark, secondary_pupil, teaching_group

D = dt.date
MON, TUE = D(2026, 11, 2), D(2026, 11, 3)


@pytest.fixture(autouse=True)
def _on_tuesday():
    with time_machine.travel(dt.datetime(2026, 11, 3, 15, 30), tick=False):
        yield


@pytest.fixture
def sam(school):
    """Sam, Year 9: at registration on Monday and Tuesday morning; present in English (P2),
    late to maths (P3, 6 minutes) on Monday; missing from science (P3) on Tuesday, with an alert;
    Tuesday's P5 history register not taken yet."""
    pupil = secondary_pupil(school, "Sam", "Okoro", year=9)
    english = lesson(teaching_group(school, "9X/En1", "English", 9, [pupil]), "P2", 1, room="E4")
    maths = lesson(teaching_group(school, "9X/Ma1", "Mathematics", 9, [pupil]), "P3", 1)
    science = lesson(teaching_group(school, "9X/Sc1", "Science", 9, [pupil]), "P3", 2)
    lesson(teaching_group(school, "9X/Hi1", "History", 9, [pupil]), "P5", 2)
    write(school, pupil, {(MON, "AM"): "/", (MON, "PM"): "\\", (TUE, "AM"): "/"})
    mark(english, MON, pupil, "/")
    mark(maths, MON, pupil, "L", 6)
    mark(science, TUE, pupil, "O")
    alert(science, TUE, pupil)
    return pupil


def panel_html(client, user, pupil, **params):
    client.force_login(user)
    response = client.get(reverse("pupil-detail", args=[pupil.pk]), params)
    assert response.status_code == 200
    html = response.content.decode()
    start = html.find('id="lessons-heading"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""


def test_the_week_of_lessons_under_each_session(client, school, head, sam):
    panel = panel_html(client, head.user, sam)
    assert "week of 2 November 2026" in panel
    monday, tuesday = panel.split("Mon 2 Nov")[1].split("Wed 4 Nov")[0].split("Tue 3 Nov")
    assert "P2 English (E4):" in monday and "P3 Mathematics:" in monday and "6 min" in monday
    assert monday.index("P2 English") < monday.index("P3 Mathematics")
    assert "Missing: alert open" in tuesday and "P3 Science:" in tuesday
    assert "P5 History:" in tuesday and "no register yet" in tuesday
    am, pm = tuesday.split("<td>PM</td>")
    assert "Science" in am and "History" in pm  # each lesson under the session it falls in


def test_another_week_and_a_date_that_is_not_one(client, school, head, sam):
    assert "week of 9 November 2026" in panel_html(client, head.user, sam, lessons_week="2026-11-12")
    assert "is not a date" in panel_html(client, head.user, sam, lessons_week="next tuesday")


def test_no_panel_for_a_pupil_without_lessons_nor_for_parents(client, school, head, sam):
    primary = PupilFactory(school=school, year=4)
    assert panel_html(client, head.user, primary) == ""
    parent = make_parent(school, "samsmum", [sam])
    client.force_login(parent)
    child_page = client.get(reverse("absences:child", args=[sam.pk])).content.decode()
    assert "Mathematics" not in child_page and "lessons-heading" not in child_page


def test_a_fixed_number_of_queries_whatever_the_lessons(client, school, head, sam):
    client.force_login(head.user)
    url = reverse("pupil-detail", args=[sam.pk])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for n, period in enumerate(("P1", "P4", "P5")):
        more = lesson(teaching_group(school, f"9X/Ar{n}", "Art", 9, [sam]), period, 1)
        mark(more, MON, sam, "/")
    with CaptureQueriesContext(connection) as after:
        html = client.get(url).content.decode()
    assert html.count("Art") >= 3
    assert len(after.captured_queries) == len(before.captured_queries)
