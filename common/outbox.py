"""The transactional outbox: a task is enqueued by writing a row in the caller's transaction;
after commit the row is sent to the broker and marked sent. If the broker is down the data is
saved all the same and the row waits: `resend_unsent` (the beat task `common.resend_outbox`
every minute, and `manage.py resend_outbox`) sends it when the broker is back.

Sending is idempotent: the Celery task id is the row's id, the house task base
(`common.tasking.HouseTask`) skips a task whose row a worker has already finished, and the
tasks themselves are idempotent. With no broker (`make run`, tasks in-process) nothing is
written here: the task runs in-process on commit, as Celery's `delay_on_commit` does.

Call sites do not use this module directly: `task.delay_on_commit(...)` and
`task.apply_async_on_commit(...)` on any task come here (the house task base)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)

# A row younger than this is still being sent by the request that wrote it.
RESEND_AFTER = dt.timedelta(seconds=30)
KEEP_SENT = dt.timedelta(days=7)
# After a commit, in the request: one quick retry (a pooled connection gone stale), then leave
# it to the re-send; a request must not wait seconds for a broker that is down. (Without
# `retry`, kombu's own reconnect loop takes about six seconds to give up.)
QUICK = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


def enqueue(task, args=(), kwargs=None, **options) -> OutboxMessage | None:
    """Run `task(*args, **kwargs)` on a worker once the current transaction commits (at once
    outside one). The row is part of the transaction: rolled back with the data, kept with it."""
    if task.app.conf.task_always_eager:
        transaction.on_commit(functools.partial(task.apply_async, tuple(args), kwargs, **options))
        return None
    message = OutboxMessage.objects.create(task=task.name, args=list(args), kwargs=dict(kwargs or {}), options=options)
    transaction.on_commit(functools.partial(send, message.pk, quick=True), robust=True)
    return message


def send(message_id, *, quick: bool = False) -> bool:
    """Send one row to the broker if it is not sent yet; True when the broker took it. A row
    being sent by another process is left to it (row lock, skipped)."""
    return _send(message_id, policy=QUICK if quick else None) == "sent"


def _send(message_id, *, policy: dict | None) -> str:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        if message is None or message.sent_at is not None:
            return "skipped"
        task = current_app.tasks.get(message.task)
        if task is None:  # renamed or removed: say so on the row, and let the others go
            log.error("outbox %s names no task %s", message.pk, message.task)
            OutboxMessage.objects.filter(pk=message.pk).update(last_error=f"No task called {message.task}.")
            return "skipped"
        try:
            options = {"retry": True, "retry_policy": policy, **message.options}
            task.apply_async(tuple(message.args), message.kwargs, task_id=str(message.pk), **options)
        except Exception as error:  # the broker is down: the row waits for the re-send
            log.warning("outbox %s (%s) not sent: %s", message.pk, message.task, error)
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:1000]
            )
            return "failed"
        OutboxMessage.objects.filter(pk=message.pk).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
        return "sent"


def resend_unsent(*, older_than: dt.timedelta = RESEND_AFTER, limit: int = 5000) -> int:
    """Send the rows still waiting (oldest first); stops at the first failure, since the broker
    is then still down. Returns how many were sent. Old sent rows are deleted."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for message_id in ids:
        outcome = _send(message_id, policy=None)
        if outcome == "failed":
            break
        sent += outcome == "sent"
    OutboxMessage.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    return sent


def _outbox_id(task_id) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(task_id))
    except ValueError:
        return None


def already_done(task_id) -> bool:
    """A worker has finished the task this outbox row asked for (a second delivery of it)."""
    pk = _outbox_id(task_id)
    return pk is not None and OutboxMessage.objects.filter(pk=pk, done_at__isnull=False).exists()


def mark_done(task_id) -> None:
    pk = _outbox_id(task_id)
    if pk is not None:
        OutboxMessage.objects.filter(pk=pk, done_at__isnull=True).update(done_at=timezone.now())


def waiting() -> int:
    """How many rows are waiting for the broker (for the admin and the tests)."""
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()
