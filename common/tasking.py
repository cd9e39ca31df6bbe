"""The house's Celery task base (the app's `task_cls`, so every `@shared_task` has it).

- `acks_late` and `reject_on_worker_lost`: a task is acknowledged when it has finished, so a
  worker killed in the middle (out of memory, a deploy) gives the task back to the broker and
  another worker runs it again. Tasks are therefore idempotent (they take ids and check what is
  already done).
- `delay_on_commit` / `apply_async_on_commit` go through the transactional outbox
  (`common.outbox`): the work is recorded with the data and sent when the broker can take it.
- A task sent from the outbox runs once however often it is delivered: its id is the row's
  id, and a row a worker has finished is not run again."""

from __future__ import annotations

import logging

from celery.contrib.django.task import DjangoTask

log = logging.getLogger(__name__)


class HouseTask(DjangoTask):
    acks_late = True
    reject_on_worker_lost = True

    def delay_on_commit(self, *args, **kwargs):
        from . import outbox

        return outbox.enqueue(self, args, kwargs)

    def apply_async_on_commit(self, args=None, kwargs=None, **options):
        from . import outbox

        return outbox.enqueue(self, args or (), kwargs, **options)

    def __call__(self, *args, **kwargs):
        if self.request.is_eager or self.request.id is None:
            return super().__call__(*args, **kwargs)
        from . import outbox

        if outbox.already_done(self.request.id):
            log.info("task %s %s was done already: not run again", self.name, self.request.id)
            return None
        result = super().__call__(*args, **kwargs)
        outbox.mark_done(self.request.id)
        return result
