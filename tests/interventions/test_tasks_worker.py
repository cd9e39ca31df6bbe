"""The checks on a real Celery worker (see tests/celery_worker.py)."""

import datetime as dt
import time

import pytest

from interventions import tasks
from interventions.models import Alert, CheckRun, PupilSnapshot
from interventions.services import load_policy_preset
from registers.models import SchoolDay
from tests.celery_worker import needs_real_worker, wait_for
from tests.factories import PupilFactory, make_school, write

D = dt.date

pytestmark = needs_real_worker


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


@pytest.mark.django_db(transaction=True)
def test_the_nightly_run_fans_out_one_task_per_school_and_is_idempotent(worker_queue):
    """Issue 15: the nightly task queues one task per school (the worker takes them one by one);
    asking for the night's run twice creates no alert, snapshot or run twice."""
    schools = [make_school(urn=f"10010{i}", name=f"School {i}") for i in range(3)]
    for school in schools:
        load_policy_preset(school=school, preset="B")
        pupil = PupilFactory(school=school)
        dates = SchoolDay.objects.filter(school=school, date__range=(D(2026, 3, 9), D(2026, 3, 13))).values_list(
            "date", flat=True
        )
        write(school, pupil, {(d, s): "O" for d in dates for s in ("AM", "PM")})

    def runs():
        return CheckRun.objects.filter(date=D(2026, 3, 13)).count()

    tasks.run_checks_all_schools.apply_async(("2026-03-13",), queue=worker_queue)
    assert wait_for(lambda: runs() == 3)  # the nightly task ran on the worker and queued the three
    assert {s.pk for s in schools} == set(CheckRun.objects.values_list("school_id", flat=True))
    assert Alert.objects.count() == 12  # 4 per school, as for one school
    snapshots = PupilSnapshot.objects.count()

    first = max(CheckRun.objects.values_list("computed_at", flat=True))
    tasks.run_checks_all_schools.apply_async(("2026-03-13",), queue=worker_queue)
    assert wait_for(lambda: CheckRun.objects.filter(computed_at__gt=first).count() == 3)  # all three ran again
    assert Alert.objects.count() == 12 and runs() == 3 and PupilSnapshot.objects.count() == snapshots
