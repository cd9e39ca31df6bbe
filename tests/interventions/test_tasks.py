"""The Celery tasks, run in-process (the demo's mode): thin wrappers, idempotent, past dates."""

import datetime as dt

import pytest
from django.conf import settings

from attendance_site.celery import app
from interventions import tasks
from interventions.models import Alert
from interventions.services import load_policy_preset
from registers.models import SchoolDay
from tests.factories import PupilFactory, write

D = dt.date


@pytest.fixture
def eager():
    """Run tasks in-process even when a broker is configured (the worker test covers Redis)."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def absent_pupil(school):
    load_policy_preset(school=school, preset="B")
    pupil = PupilFactory(school=school)
    dates = SchoolDay.objects.filter(school=school, date__range=(D(2026, 3, 9), D(2026, 3, 13))).values_list(
        "date", flat=True
    )
    write(school, pupil, {(d, s): "O" for d in dates for s in ("AM", "PM")})
    return pupil


def test_run_checks_for_a_school_and_a_past_date_is_idempotent(school, absent_pupil, eager):
    result = tasks.run_checks_for_school.delay(school.pk, "2026-03-13").get()
    assert result["created"] == 4  # 10 sessions in 10 weeks, 5 consecutive days, persistent and severe absence
    assert tasks.run_checks_for_school.delay(school.pk, "2026-03-13").get()["created"] == 0
    assert Alert.objects.count() == 4


def test_nightly_runs_every_school(school, absent_pupil, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.run_checks_all_schools.delay("2026-03-13").get() == 1
    assert Alert.objects.count() == 4


def test_after_registers_close_runs_the_schools_whose_register_just_closed(
    school, absent_pupil, eager, django_capture_on_commit_callbacks
):
    # the PM register closes at 13:30 (GMT in March)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.checks_after_registers_close.delay("2026-03-13T13:35:00+00:00").get() == [school.pk]
    assert Alert.objects.filter(found_on=D(2026, 3, 13)).count() == 4
    assert tasks.checks_after_registers_close.delay("2026-03-13T14:35:00+00:00").get() == []
    assert tasks.checks_after_registers_close.delay("2026-03-14T13:35:00+00:00").get() == []  # Saturday


def test_beat_schedule():
    beat = settings.CELERY_BEAT_SCHEDULE
    assert beat["interventions-nightly-checks"]["task"] == "interventions.run_checks_all_schools"
    assert beat["interventions-checks-after-registers-close"]["task"] == "interventions.checks_after_registers_close"
    app.loader.import_default_modules()  # what a worker does at start: every app's tasks.py
    assert {beat[k]["task"] for k in beat} <= set(app.tasks)
