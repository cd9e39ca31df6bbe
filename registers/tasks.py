"""Thin Celery tasks for the registers app: the nightly retention run (registers.retention)."""

from celery import shared_task


@shared_task(name="registers.apply_retention", ignore_result=True)
def apply_retention() -> int:
    from .retention import run_retention

    return run_retention().pk
