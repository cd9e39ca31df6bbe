"""Missing lesson registers, live (lessons/missing.py and its page): today's lessons with no taken
register `missing_after_minutes` after they start, on Tuesday 8 December 2026 at Hillside Academy."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons.missing import missing_lesson_registers
from lessons.models import Cover, Lesson, TimetableSettings
from registers.models import RegistrationGroup, Staff
from tests.factories import make_staff
from tests.lessons.truancy_school import DAY, make_secondary, moment

pytestmark = pytest.mark.django_db
P = Staff.Position
PAGE = reverse("lessons:missing-registers")


@pytest.fixture
def sec(db):
    return make_secondary()


def missing_at(sec, hhmm, **kwargs):
    return [str(m.lesson) for m in missing_lesson_registers(sec.school, moment(hhmm), **kwargs)]


def test_a_lesson_is_missing_15_minutes_after_it_starts_not_before(sec):
    assert missing_at(sec, "09:04") == []
    assert missing_at(sec, "09:05") == ["10X/Sc2 Tuesday P1"]
    # P2 starts at 10:00: both its lessons join at 10:15, P1 stays (the longest overdue first)
    assert missing_at(sec, "10:14") == ["10X/Sc2 Tuesday P1"]
    assert missing_at(sec, "10:15") == ["10X/Sc2 Tuesday P1", "9A/En1 Tuesday P2", "10X/Ma1 Tuesday P2"]


def test_a_taken_register_is_not_missing_but_one_opened_and_not_taken_is(sec):
    sec.take("P1 Sc", {"Ada": "/"}, at_time="08:55", teacher="jones")
    sec.take("P2 Ma", {}, at_time="10:02", state="not_taken")
    assert missing_at(sec, "10:20") == ["9A/En1 Tuesday P2", "10X/Ma1 Tuesday P2"]


def test_the_schools_own_minutes_decide(sec):
    TimetableSettings.objects.create(school=sec.school, missing_after_minutes=5)
    assert missing_at(sec, "08:54") == []
    assert missing_at(sec, "08:55") == ["10X/Sc2 Tuesday P1"]


def test_a_lesson_with_nobody_in_it_or_on_another_day_is_not_missing(sec):
    empty = sec.groups["9A/En1"]
    empty.memberships.all().delete()
    assert missing_at(sec, "10:20") == ["10X/Sc2 Tuesday P1", "10X/Ma1 Tuesday P2"]
    # Saturday: no school day, no lessons
    saturday = missing_lesson_registers(sec.school, moment("10:20").replace(day=12))
    assert saturday == []


def test_a_head_of_year_sees_their_years_lessons(sec):
    assert missing_at(sec, "10:20", years={9}) == ["9A/En1 Tuesday P2"]


def test_cover_shows_the_teacher_who_should_take_it(sec):
    Cover.objects.create(lesson=sec.lessons["P2 Ma"], date=DAY, teacher=sec.teachers["reed"])
    rows = {str(m.lesson): m for m in missing_lesson_registers(sec.school, moment("10:20"))}
    assert rows["10X/Ma1 Tuesday P2"].teacher == sec.teachers["reed"] and rows["10X/Ma1 Tuesday P2"].covered
    assert rows["10X/Sc2 Tuesday P1"].teacher == sec.teachers["jones"] and not rows["10X/Sc2 Tuesday P1"].covered
    assert rows["10X/Sc2 Tuesday P1"].overdue == 90 and rows["10X/Sc2 Tuesday P1"].ended


def test_the_page_lists_them_live_for_the_office(client, sec, monkeypatch):
    monkeypatch.setattr("registers.timing.now", lambda: moment("10:15"))
    client.force_login(make_staff(sec.school, P.OFFICE, "office").user)
    page = client.get(PAGE).content.decode()
    assert "Lesson registers not taken" in page and "15 minutes after it started" in page
    assert "10X/Ma1" in page and "Mr Imran Khan" in page and "15 min" in page and "S4" in page
    assert f'data-url="{PAGE}?fragment=1"' in page
    live = client.get(PAGE, {"fragment": "1"}).json()
    assert live["count"] == 3 and "9A/En1" in live["html"] and live["at"] == "10:15:00"

    monkeypatch.setattr("registers.timing.now", lambda: moment("08:55"))
    assert "Every lesson register due so far today has been taken" in client.get(PAGE).content.decode()


def test_the_page_shows_a_head_of_year_their_years(client, sec, monkeypatch):
    monkeypatch.setattr("registers.timing.now", lambda: moment("10:15"))
    hoy = make_staff(sec.school, P.HEAD_OF_YEAR, "hoy9")
    RegistrationGroup.objects.get(school=sec.school, name="9A").teachers.add(hoy)
    client.force_login(hoy.user)
    live = client.get(PAGE, {"fragment": "1"}).json()
    assert live["count"] == 1 and "9A/En1" in live["html"] and "10X" not in live["html"]


def test_the_page_costs_the_same_queries_for_few_lessons_and_many(client, sec, monkeypatch):
    monkeypatch.setattr("registers.timing.now", lambda: moment("13:50"))
    client.force_login(make_staff(sec.school, P.OFFICE, "office").user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        return len(captured)

    first = queries()
    template = sec.lessons["P2 Ma"]
    for period in ("P1", "P4", "P5"):
        Lesson.objects.create(
            school=sec.school,
            group=sec.groups["9A/En1"],
            period=sec.periods[period],
            weekday=2,
            room=template.room,
            teacher=sec.teachers["reed"],
            valid_from=template.valid_from,
        )
    Cover.objects.create(lesson=template, date=DAY, teacher=sec.teachers["jones"])
    assert len(missing_lesson_registers(sec.school, moment("13:50"))) == 8
    assert queries() == first
