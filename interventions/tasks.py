"""Celery tasks: thin, take ids, idempotent (the checks never duplicate an alert)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from registers.models import RegisterTime, School, SchoolDay

from .evaluation.run import run_checks
from .schedule import AFTER_CLOSE_INTERVAL_MINUTES  # a register that closed within it has its checks run


@shared_task(name="interventions.run_checks_for_school")
def run_checks_for_school(school_id: int, on: str | None = None) -> dict:
    """Run the school's checks for `on` (ISO date, default today; a past date is fine)."""
    school = School.objects.get(pk=school_id)
    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    result = run_checks(school=school, on=day)
    return {"school_id": school_id, "on": day.isoformat(), "found": result.found, "created": result.created}


@shared_task(name="interventions.run_checks_all_schools")
def run_checks_all_schools(on: str | None = None) -> int:
    """Nightly: one task per school."""
    day = on or timezone.localdate().isoformat()
    ids = list(School.objects.values_list("pk", flat=True))
    for school_id in ids:
        run_checks_for_school.delay_on_commit(school_id, day)
    return len(ids)


@shared_task(name="interventions.checks_after_registers_close")
def checks_after_registers_close(now: str | None = None) -> list[int]:
    """Every few minutes in the school day: the schools with a register that closed in the last
    interval (and a school day today) have their checks run."""
    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    local = timezone.localtime(moment)
    since = (local - dt.timedelta(minutes=AFTER_CLOSE_INTERVAL_MINUTES)).time()
    if since > local.time():  # crossed midnight
        return []
    school_ids = set(
        RegisterTime.objects.filter(closes__gt=since, closes__lte=local.time()).values_list("school_id", flat=True)
    )
    school_ids &= set(
        SchoolDay.objects.filter(school_id__in=school_ids, date=local.date()).values_list("school_id", flat=True)
    )
    for school_id in sorted(school_ids):
        run_checks_for_school.delay_on_commit(school_id, local.date().isoformat())
    return sorted(school_ids)
