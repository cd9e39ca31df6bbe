"""Celery tasks: thin, take ids, idempotent. Each imports the service it wraps inside the task (the
services import these at module level to enqueue them)."""

from __future__ import annotations

from celery import shared_task

from absences.models import LeaveRequest

from .errors import LetterError
from .models import Batch, BatchPart


def _queue(task) -> str | None:
    """The queue a task came from, so the tasks it starts go to the same workers (the default
    queue in production; a test's or the bench's own queue there)."""
    if task.request.is_eager:
        return None
    return (task.request.delivery_info or {}).get("routing_key")


@shared_task(name="letters.render_batch", bind=True)
def render_batch(self, batch_id: int) -> dict:
    """Start a batch: its parts queued, one task each (see services.batches.run_batch); a batch
    that is finished, or being produced, is left as it is. A redelivery (the worker running it was
    killed: acks_late) takes the batch over."""
    from .services.batches import run_batch

    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    batch = run_batch(batch=Batch.objects.get(pk=batch_id), queue=_queue(self), redelivered=redelivered)
    return {"batch_id": batch.pk, "status": batch.status, "parts": batch.parts.count()}


PART_RETRIES = 3


@shared_task(name="letters.render_batch_part", bind=True, max_retries=PART_RETRIES)
def render_batch_part(self, part_id: int) -> dict | None:
    """Produce one part of a batch (services.batch_parts.run_part). A part that fails is retried
    on its own (the other parts stand); a problem with the batch itself (a LetterError: the same
    on every try) or a part still failing after PART_RETRIES retries fails it, and the batch says
    why. The last part to finish queues the join."""
    from .services.batch_parts import fail_part, run_part
    from .services.batches import part_finished

    part = BatchPart.objects.filter(pk=part_id).first()
    if part is None:
        return None  # the batch was planned again since (its workers had died)
    queue = _queue(self)
    try:
        part = run_part(part=part)
    except LetterError as error:
        part = fail_part(part=part, error=error)
    except Exception as error:
        if self.request.retries < self.max_retries:
            if self.request.is_eager:  # in-process (the demo, the tests): Celery would raise Retry out
                return self.apply((part_id,), retries=self.request.retries + 1).result
            raise self.retry(exc=error, countdown=1 + self.request.retries, **({"queue": queue} if queue else {}))
        part = fail_part(part=part, error=error)
    part_finished(part=part, queue=queue)
    return {"part_id": part.pk, "status": part.status, "attempts": part.attempts, "letters": len(part.letters)}


@shared_task(name="letters.join_batch_parts")
def join_batch_parts(batch_id: int) -> dict:
    """Join a batch's parts in order and keep its letters on record (services.batches.join_batch)."""
    from .services.batches import join_batch

    batch = join_batch(batch=Batch.objects.get(pk=batch_id))
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
