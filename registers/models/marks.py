"""The audited register: a group's register for a session and each pupil's mark in it. Written
only by the register service; never deleted, never bulk-updated. The database enforces it too:
`registers.audit_triggers` refuses any update that does not come with its history row, and any
delete inside the retention period, which runs from `created_at` (set by the database, never
changed)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now
from simple_history.models import HistoricalRecords

from .codes import AttendanceCode, SubReason
from .people import Pupil, RegistrationGroup
from .school import SESSION_CHOICES, School

CREATED_AT_HELP = "When the entry was made: set by the database, never changed; the retention period runs from it"


class ProtectedQuerySet(models.QuerySet):
    """Register records are corrected by new entries, never deleted or bulk-updated."""

    def delete(self):
        raise ValidationError("Register entries are kept for six years and cannot be deleted.")

    def update(self, **kwargs):
        raise ValidationError("Register entries change only through the register service, which keeps history.")


class Register(models.Model):
    class State(models.TextChoices):
        NOT_TAKEN = "not_taken", "Not taken"
        TAKEN = "taken", "Taken"
        CLOSED = "closed", "Closed"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="registers")
    group = models.ForeignKey(RegistrationGroup, on_delete=models.PROTECT, related_name="registers")
    date = models.DateField()
    session = models.CharField(max_length=2, choices=SESSION_CHOICES)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NOT_TAKEN)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_on_behalf_of = models.ForeignKey(
        "Staff",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Set when the office takes a register for a teacher",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False, help_text=CREATED_AT_HELP)
    history = HistoricalRecords(excluded_fields=["created_at"])
    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["date", "session", "group"]
        constraints = [models.UniqueConstraint(fields=["group", "date", "session"], name="one_register_per_session")]
        indexes = [models.Index(fields=["school", "date", "session"])]

    def __str__(self):
        return f"{self.group} {self.date:%a %d %b %Y} {self.session}"

    def delete(self, *args, **kwargs):
        raise ValidationError("Registers are kept for six years and cannot be deleted.")


class Mark(models.Model):
    """One pupil's entry for one session. Written only by the register service."""

    class Source(models.TextChoices):
        TEACHER = "teacher", "Teacher"
        OFFICE = "office", "Office"
        PARENT_REPORT = "parent_report", "Parent report"
        LEAVE_DECISION = "leave_decision", "Leave decision"
        IMPORT = "import", "Import"
        CLOSURE = "closure", "Planned closure"
        API = "api", "Integration"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="marks")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="marks")
    date = models.DateField()
    session = models.CharField(max_length=2, choices=SESSION_CHOICES)
    code = models.ForeignKey(AttendanceCode, on_delete=models.PROTECT, related_name="marks")
    minutes_late = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    sub_reason = models.ForeignKey(SubReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    register = models.ForeignKey(Register, null=True, blank=True, on_delete=models.PROTECT, related_name="marks")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=200)
    recorded_by_position = models.CharField(max_length=100)
    recorded_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True, help_text="Why this entry replaced the previous one")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(db_default=Now(), editable=False, help_text=CREATED_AT_HELP)
    history = HistoricalRecords(cascade_delete_history=False, excluded_fields=["created_at"])
    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["date", "session"]
        constraints = [models.UniqueConstraint(fields=["pupil", "date", "session"], name="one_mark_per_pupil_session")]
        indexes = [models.Index(fields=["school", "date", "session"])]

    def __str__(self):
        return f"{self.pupil.upn} {self.date} {self.session}: {self.code.code}"

    def delete(self, *args, **kwargs):
        raise ValidationError("Register entries are kept for six years and cannot be deleted.")
