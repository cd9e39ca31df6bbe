"""Celery tasks: thin, take ids, idempotent. Each imports the service it wraps inside the task (the
services import these at module level to enqueue them)."""

from __future__ import annotations

from celery import shared_task

from absences.models import LeaveRequest

from .errors import LetterError
from .models import Batch


@shared_task(name="letters.render_batch", bind=True)
def render_batch(self, batch_id: int) -> dict:
    """Produce a batch's letters (see services.batches.run_batch); a finished batch is left as it
    is. A redelivery (the worker running it was killed: acks_late) takes the batch over."""
    from .services.batches import run_batch

    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    batch = run_batch(batch=Batch.objects.get(pk=batch_id), redelivered=redelivered)
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
