"""The record of every file imported from the MIS: who uploaded it, when, which file (its name
and SHA-256), what the preview showed and what was written."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from common.storage import private_storage

from .school import School


def import_file_path(run: ImportRun, filename: str) -> str:
    """Kept privately between preview and confirm, named by its content's SHA-256."""
    return f"imports/{run.school_id}/{run.sha256}"


class ImportRun(models.Model):
    class Kind(models.TextChoices):
        PUPILS = "pupils", "Pupils (CSV)"
        CONTACTS = "contacts", "Contacts (CSV)"
        MARKS = "marks", "Marks (CSV)"
        CALENDAR = "calendar", "School calendar (JSON)"
        CTF = "ctf", "Common Transfer File (XML)"
        TIMETABLE = "timetable", "Timetable (CSV)"  # imported by lessons (registered in its apps.py)

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Waiting to be confirmed"
        REFUSED = "refused", "Refused: nothing imported"
        NO_CHANGES = "no_changes", "No changes"
        IMPORTED = "imported", "Imported"
        EXPIRED = "expired", "Not imported (discarded or not confirmed)"

    class Via(models.TextChoices):
        BROWSER = "browser", "Imports page"
        COMMAND_LINE = "command_line", "Command line"
        API = "api", "API (MIS sync)"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="import_runs")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.PositiveIntegerField(help_text="bytes")
    options = models.JSONField(default=dict, blank=True, help_text="e.g. the admission or leaving date given")
    file = models.FileField(storage=private_storage, upload_to=import_file_path, max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    counts = models.JSONField(default=dict, blank=True, help_text="what was (or would be) created, changed …")
    problem_count = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True, help_text="the report the office saw, or the problems")
    via = models.CharField(max_length=12, choices=Via.choices, default=Via.BROWSER)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_name = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["school", "-uploaded_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()}, {self.uploaded_at:%d %b %Y})"
