"""Leaving the roll on the record: deletions from the admission register (with their ground and
the local authority's notification) and the year rollovers that moved the school on a year."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .people import Enrolment, Pupil
from .school import School


class Ground(models.TextChoices):
    """The grounds for deleting a pupil's name from the admission register (the School
    Attendance (Pupil Registration) (England) Regulations 2024, regulation 9)."""

    OTHER_SCHOOL = "other_school", "Registered at another school (not dual registration)"
    DUAL_ENDED = "dual_ended", "Dual registration ended at this school"
    HOME_EDUCATION = "home_education", "Parent has told the school in writing of education otherwise than at school"
    MOVED_AWAY = "moved_away", "Stopped attending and no longer lives within reach of the school"
    LEAVE_NOT_RETURNED = (
        "leave_not_returned",
        "Did not return within 10 school days after granted leave ended, whereabouts unknown after joint enquiries",
    )
    CONTINUOUS_ABSENCE = (
        "continuous_absence",
        "Continuously absent for at least 20 school days, whereabouts unknown after joint enquiries",
    )
    MEDICAL = "medical", "Certified as unlikely to be fit to attend before the end of compulsory school age"
    CUSTODY = "custody", "In custody for four months or more and not expected to return"
    DIED = "died", "Has died"
    SCHOOL_ATTENDANCE_ORDER = "school_attendance_order", "School attendance order revoked or another school named"
    PERMANENT_EXCLUSION = "permanent_exclusion", "Permanently excluded"
    NURSERY = "nursery", "Nursery class pupil not moving up to Reception"
    FINAL_YEAR = "final_year", "Completed the school's final year (a standard transition)"
    COMPULSORY_AGE_ENDED = "compulsory_age_ended", "No longer of compulsory school age and not staying on"


# Grounds where the child's whereabouts are unknown: a children missing education (CME) referral.
CME_GROUNDS = frozenset({Ground.LEAVE_NOT_RETURNED, Ground.CONTINUOUS_ABSENCE})
# The school tells the LA of every deletion except at a standard transition point (the LA may
# ask for those too, and the office can still print one).
UNNOTIFIED_GROUNDS = frozenset({Ground.FINAL_YEAR})


class RegisterDeletion(models.Model):
    """A pupil's name deleted from the admission register: the ground, the date (never
    backdated), who recorded it, and the notification to the local authority as it was sent."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="register_deletions")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="register_deletions")
    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="deletion")
    ground = models.CharField(max_length=30, choices=Ground.choices)
    deleted_on = models.DateField(help_text="The last day on roll")
    destination = models.CharField(max_length=200, blank=True, help_text="The new school or where the pupil went")
    enquiries = models.TextField(blank=True, help_text="The enquiries the school and the LA made together")
    notify_la = models.BooleanField(default=True)
    notification = models.JSONField(default=dict, blank=True, help_text="What the LA is told, as it was recorded")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=200)
    recorded_by_position = models.CharField(max_length=100, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-deleted_on", "-recorded_at"]

    def __str__(self):
        return f"{self.pupil} deleted {self.deleted_on:%d %b %Y}: {self.get_ground_display()}"

    @property
    def is_cme(self) -> bool:
        return self.ground in CME_GROUNDS


class YearRollover(models.Model):
    """One school's move into a new academic year, applied once: what moved, who left, the groups
    and the intake, kept as counts and lists so the office can see what was done."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="rollovers")
    from_year = models.CharField(max_length=9)
    to_year = models.CharField(max_length=9)
    leaving_date = models.DateField()
    summary = models.JSONField(default=dict)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_by_name = models.CharField(max_length=200)
    applied_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-applied_at"]
        constraints = [models.UniqueConstraint(fields=["school", "from_year"], name="one_rollover_per_year")]

    def __str__(self):
        return f"{self.school}: {self.from_year} → {self.to_year}"
