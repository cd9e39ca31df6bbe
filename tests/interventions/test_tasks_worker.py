"""The checks on a real Celery worker with Redis (CI: PostgreSQL + Redis).

The worker runs in a thread with its own database connection, so the tests are transactional
(data committed). A dedicated queue keeps other workers from taking the tasks."""

import datetime as dt
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from attendance_site.celery import app
from interventions import tasks
from interventions.models import Alert
from interventions.services import load_policy_preset
from registers.models import SchoolDay
from tests.factories import PupilFactory, make_school, write

D = dt.date

pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL or settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="needs CELERY_BROKER_URL (Redis) and PostgreSQL: the real worker shares committed data",
    ),
]


@pytest.fixture
def worker_queue():
    queue = f"interventions-test-{uuid.uuid4().hex[:8]}"
    assert not app.conf.task_always_eager
    with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
        yield queue


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_checks_once_however_often_it_is_asked(worker_queue):
    school = make_school()
    load_policy_preset(school=school, preset="B")
    pupil = PupilFactory(school=school)
    dates = SchoolDay.objects.filter(school=school, date__range=(D(2026, 3, 9), D(2026, 3, 13))).values_list(
        "date", flat=True
    )
    write(school, pupil, {(d, s): "O" for d in dates for s in ("AM", "PM")})

    for _ in range(3):
        tasks.run_checks_for_school.apply_async((school.pk, "2026-03-13"), queue=worker_queue)
    assert wait_for(lambda: Alert.objects.filter(school=school).count() == 4)
    time.sleep(2)  # let the other two runs finish: they must add nothing
    assert Alert.objects.filter(school=school).count() == 4
    assert set(Alert.objects.values_list("rule__trigger", flat=True)) == {
        "penalty_threshold",
        "consecutive_absence",
        "persistent_absence",
        "severe_absence",
    }
