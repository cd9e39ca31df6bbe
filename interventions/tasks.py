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


@shared_task(name="interventions.run_checks_all_schools", bind=True)
def run_checks_all_schools(self, on: str | None = None) -> int:
    """Nightly: fan out, one task per school, so every worker takes schools
    from the queue and N workers share the night's run. On the queue this task came from (the
    default queue in production). Idempotent like each school's run: asking twice, or a task
    delivered twice, creates nothing twice."""
    day = on or timezone.localdate().isoformat()
    ids = list(School.objects.order_by("pk").values_list("pk", flat=True))
    queue = (self.request.delivery_info or {}).get("routing_key")
    options = {"queue": queue} if queue and not self.request.is_eager else {}
    for school_id in ids:  # through the outbox (common.outbox): kept if the broker is down
        run_checks_for_school.apply_async_on_commit((school_id, day), **options)
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
