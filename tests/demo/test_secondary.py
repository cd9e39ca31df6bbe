"""The demo secondary school: a form tutor, a subject teacher and a head of year each find their
day on first sign-in, the lessons taken through the lesson register service, and an
internal-truancy alert raised by the check itself (not written by the seed)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from demo.secondary import SECONDARY_URN, seed_secondary
from lessons.models import LessonMark, LessonRegister, TruancyAlert
from registers import timing
from registers.models import Mark, Register

LONDON = ZoneInfo("Europe/London")
TUESDAY = dt.date(2026, 12, 8)  # autumn term, the second week of December
NOON = dt.datetime(2026, 12, 8, 12, 0, tzinfo=LONDON)


@pytest.fixture
def secondary(db, monkeypatch):
    monkeypatch.setattr(timing, "now", lambda: NOON)
    return seed_secondary(today=TUESDAY, now=NOON, form_size=6, weeks=1, log=lambda *_: None)


def test_the_secondary_demo_day(secondary, client):
    """Lessons taken by their teachers, never touching the statutory marks; an alert raised by the
    check; the form tutor, subject teacher and head of year each find their day."""
    school = secondary["school"]
    assert school.urn == SECONDARY_URN and school.phase == "secondary"
    assert secondary["lessons"] == 125  # five years, five lessons a day, five days
    # Monday's 25 lessons, and Tuesday's P1 to P3 (started by noon): 15
    assert LessonRegister.objects.filter(school=school).count() == 40
    assert not LessonRegister.objects.filter(school=school, date=TUESDAY, lesson__period__name="P4").exists()
    assert set(LessonRegister.objects.filter(school=school).values_list("state", flat=True)) == {"taken"}
    taken = LessonRegister.objects.filter(school=school).select_related("lesson", "taken_by").first()
    assert taken.taken_by == taken.lesson.teacher.user
    # every lesson mark has its history row; statutory marks are the tutors' only
    assert LessonMark.history.filter(school=school).count() == LessonMark.objects.filter(school=school).count()
    assert set(Mark.objects.filter(school=school).values_list("source", flat=True)) == {"teacher"}
    assert set(Mark.objects.filter(school=school).values_list("recorded_by_position", flat=True)) == {"Form tutor"}
    # today's morning registers were taken at 08:40, this afternoon's are still to come
    assert Register.objects.filter(school=school, date=TUESDAY, session="AM", state="taken").count() == 5
    assert not Register.objects.filter(school=school, date=TUESDAY, session="PM").exists()

    # An internal-truancy alert is open today; yesterday's was cleared.
    today = TruancyAlert.objects.get(school=school, date=TUESDAY)
    assert today.state == TruancyAlert.State.OPEN and today.pupil.year == 10
    assert Mark.objects.get(pupil=today.pupil, date=TUESDAY, session="AM").code.code == "/"
    assert LessonMark.objects.get(pupil=today.pupil, register=today.register).code.code == "N"
    assert today.register.lesson.period.name == "P3"
    yesterday = TruancyAlert.objects.get(school=school, date=TUESDAY - dt.timedelta(days=1))
    # the pupil turned up in a later lesson, which cleared it with where they were
    assert yesterday.state == TruancyAlert.State.RESOLVED and yesterday.where_they_were.startswith("marked present in")

    # Each secondary role finds their day on first sign-in.
    alert = today
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["subject", "hoy", "tutor"])}

    client.force_login(users["subject"])
    page = client.get(reverse("lessons:today")).content.decode()
    assert "Mathematics" in page and "10G/Ma" in page

    client.force_login(users["hoy"])
    page = client.get(reverse("lessons:truancy")).content.decode()
    assert alert.pupil.name in page and "P3" in page

    client.force_login(users["tutor"])
    page = client.get("/", follow=True).content.decode()
    assert "10G" in page and "Taken" in page  # this morning's register, taken at 08:40
