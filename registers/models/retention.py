"""The record of each retention run: what the school no longer may keep, removed or anonymised."""

from django.db import models
from simple_history.models import HistoricalRecords


class RetentionRun(models.Model):
    """One run of the retention task: the day it ran, the cut-off for each record type and how many
    records of each type it removed or anonymised. Kept (and audited) for as long as the school."""

    ran_at = models.DateTimeField(auto_now_add=True)
    today = models.DateField(help_text="The date the retention periods were counted back from")
    cutoffs = models.JSONField(default=dict, help_text="Record type → the oldest date still kept")
    counts = models.JSONField(default=dict, help_text="Record type → how many records went")
    details = models.JSONField(default=dict, help_text="Record type → what went, in words")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self):
        total = sum(self.counts.values())
        return f"Retention run {self.ran_at:%d %b %Y %H:%M}: {total} record{'s' if total != 1 else ''}"
