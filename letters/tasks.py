"""Celery tasks: thin, take ids, idempotent. Each imports the service it wraps inside the task (the
services import these at module level to enqueue them)."""

from __future__ import annotations

from celery import shared_task

from absences.models import LeaveRequest

from .errors import LetterError
from .models import Batch


@shared_task(name="letters.render_batch")
def render_batch(batch_id: int) -> dict:
    """Produce a batch's letters (see services.batches.run_batch); a finished batch is left as it is."""
    from .services.batches import run_batch

    batch = run_batch(batch=Batch.objects.get(pk=batch_id))
    return {"batch_id": batch.pk, "status": batch.status, "done": batch.done, "failed": batch.failed}


@shared_task(name="letters.produce_leave_letter")
def produce_leave_letter(leave_request_id: int) -> int | None:
    """The decision letter of a decided leave request, once; returns the letter's id."""
    from .services.one_letter import produce_leave_decision_letter

    try:
        letter = produce_leave_decision_letter(leave_request=LeaveRequest.objects.get(pk=leave_request_id))
    except LetterError:
        return None  # no address, no data: the request stays in pending_letters for the office
    return letter.pk if letter else None
