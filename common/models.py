"""The transactional outbox (see `common.outbox`): work for the Celery workers, written in the
same transaction as the data it is about, so a broker that is down loses nothing."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    """One task to send to the broker. Its id is the Celery task id, so sending it twice is one
    task twice, which the task base (`common.tasking.HouseTask`) runs once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    options = models.JSONField(default=dict, help_text="apply_async options such as the queue")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="when the broker took it")
    done_at = models.DateTimeField(null=True, blank=True, help_text="when a worker finished it")
    attempts = models.PositiveIntegerField(default=0, help_text="times sending was tried")
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent")]

    def __str__(self):
        return f"{self.task}{tuple(self.args)} ({'sent' if self.sent_at else 'waiting'})"
