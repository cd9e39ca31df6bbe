"""Celery tasks: thin, take ids, idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="letters.render_batch")
def render_batch(batch_id: int) -> dict:
    """Produce a batch's letters (see services.run_batch); a finished batch is left as it is."""
    from .models import Batch
    from .services import run_batch

    batch = run_batch(batch=Batch.objects.get(pk=batch_id))
    return {"batch_id": batch.pk, "status": batch.status, "done": batch.done, "failed": batch.failed}


@shared_task(name="letters.produce_leave_letter")
def produce_leave_letter(leave_request_id: int) -> int | None:
    """The decision letter of a decided leave request, once; returns the letter's id."""
    from absences.models import LeaveRequest

    from .services import LetterError, produce_leave_decision_letter

    try:
        letter = produce_leave_decision_letter(leave_request=LeaveRequest.objects.get(pk=leave_request_id))
    except LetterError:
        return None  # no address, no data: the request stays in pending_letters for the office
    return letter.pk if letter else None
