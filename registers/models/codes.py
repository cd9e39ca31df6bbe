"""The national attendance codes (what each counts as, for the dates it was valid) and a school's
own finer reasons under them."""

from __future__ import annotations

import datetime as dt

from django.db import models
from simple_history.models import HistoricalRecords

from .school import School


class AttendanceCode(models.Model):
    """A national attendance code and what it counts as, for the dates it was valid.

    Loaded from the reference table by a migration; schools cannot change these rows."""

    class Category(models.TextChoices):
        PRESENT = "present", "Present"
        APPROVED = "approved_educational_activity", "Approved educational activity"
        AUTHORISED = "authorised_absence", "Authorised absence"
        UNAUTHORISED = "unauthorised_absence", "Unauthorised absence"
        NOT_COUNTED = "not_counted", "Not a possible session"

    code = models.CharField(max_length=2)
    meaning = models.CharField(max_length=200)
    category = models.CharField(max_length=40, choices=Category.choices)
    possible = models.BooleanField(help_text="Counts as a possible session")
    penalty_threshold = models.BooleanField(help_text="Counts towards the penalty-notice threshold")
    deletion_ground = models.BooleanField(help_text="Counts towards the 20-day deletion ground")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    replaced_by = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["code", "valid_from"], name="one_code_per_validity")]

    def __str__(self):
        return self.code

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def is_absence(self) -> bool:
        return self.category in (self.Category.AUTHORISED, self.Category.UNAUTHORISED)

    @property
    def is_attendance(self) -> bool:
        return self.category in (self.Category.PRESENT, self.Category.APPROVED)

    @property
    def plannable(self) -> bool:
        """Whether the code may be entered before its session begins: authorised absence known
        ahead (leave of absence, a parent's report of illness or an appointment, religious
        observance, a suspension) and sessions that do not count (a planned closure `#`, dual
        registration, not required to attend, unavoidable causes). Presence, lateness, approved
        activity and unauthorised absence say what happened, so only once it has begun."""
        return self.category in (self.Category.AUTHORISED, self.Category.NOT_COUNTED)


class SubReason(models.Model):
    """A school's own finer reason under a national code (e.g. `C` for bereavement)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="sub_reasons")
    code = models.CharField(max_length=2)
    label = models.CharField(max_length=100)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "code", "label"], name="one_sub_reason_label")]

    def __str__(self):
        return f"{self.code}: {self.label}"
