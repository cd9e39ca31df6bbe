"""Reports' own data: benchmarks (national figures by year and phase, and a school's or
local authority's own), the export audit log, and attendance history imported from a
previous school's Common Transfer File (that school's record, never our marks)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from registers.models import Pupil, School


class BenchmarkPhase(models.TextChoices):
    ALL = "all", "All state-funded schools"
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    SPECIAL = "special", "Special"


def phase_for_school(school: School) -> str:
    if school.phase in (School.Phase.SECONDARY, School.Phase.MIDDLE):
        return BenchmarkPhase.SECONDARY
    if school.phase == School.Phase.SPECIAL:
        return BenchmarkPhase.SPECIAL
    if school.phase in (School.Phase.PRIMARY, School.Phase.NURSERY):
        return BenchmarkPhase.PRIMARY
    return BenchmarkPhase.ALL


class BenchmarkFigures(models.Model):
    """Rates in per cent; blank where the published figure is not known."""

    academic_year = models.CharField(max_length=9, help_text="e.g. 2023/24")
    phase = models.CharField(max_length=20, choices=BenchmarkPhase.choices)
    overall_absence = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    authorised_absence = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    unauthorised_absence = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    persistent_absence = models.DecimalField(
        "persistently absent pupils (%)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    severe_absence = models.DecimalField(
        "severely absent pupils (%)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    approximate = models.BooleanField(default=False, help_text="The source gives an approximate figure ('about')")
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ["-academic_year", "phase"]

    @property
    def attendance(self):
        return None if self.overall_absence is None else 100 - self.overall_absence


class NationalBenchmark(BenchmarkFigures):
    history = HistoricalRecords()

    class Meta(BenchmarkFigures.Meta):
        constraints = [models.UniqueConstraint(fields=["academic_year", "phase"], name="one_national_benchmark")]

    def __str__(self):
        return f"National {self.get_phase_display().lower()} {self.academic_year}"


class LocalBenchmark(BenchmarkFigures):
    """A local comparison a school enters (its local authority's or its trust's figures)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="local_benchmarks")
    label = models.CharField(max_length=100, help_text="e.g. 'Local authority' or 'Trust average'")
    history = HistoricalRecords()

    class Meta(BenchmarkFigures.Meta):
        constraints = [
            models.UniqueConstraint(fields=["school", "label", "academic_year", "phase"], name="one_local_benchmark")
        ]

    def __str__(self):
        return f"{self.label} {self.academic_year}"


class ExportLog(models.Model):
    """Who exported what, when (append-only in practice: no view edits or deletes these)."""

    class Kind(models.TextChoices):
        PUPIL_CSV = "pupil_csv", "Per-pupil statistics (CSV)"
        TABLE_CSV = "table_csv", "Analysis table (CSV)"
        CENSUS = "census", "School census attendance (XML)"
        CTF = "ctf", "CTF attendance (XML)"
        CTF_IMPORT = "ctf_import", "CTF attendance import"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    user_name = models.CharField(max_length=200)
    position = models.CharField(max_length=100, blank=True)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=300)
    parameters = models.JSONField(default=dict, blank=True)
    pupils = models.PositiveIntegerField(default=0, help_text="How many pupils' data left the system")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.created_at:%d %b %Y %H:%M} {self.user_name}: {self.description}"


class PreviousSchoolAttendance(models.Model):
    """One academic year of a joining pupil's attendance at a previous school, from its CTF.

    Kept as that school's record: it never becomes marks in our register and never counts in
    our statistics."""

    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="previous_attendance")
    source_la = models.CharField("previous school's LA number", max_length=3, blank=True)
    source_establishment = models.CharField(max_length=4, blank=True)
    source_name = models.CharField("previous school", max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(help_text="The CTF's YearData/Year (the calendar year the year starts)")
    sessions_possible = models.PositiveIntegerField()
    sessions_authorised = models.PositiveIntegerField()
    sessions_attended = models.PositiveIntegerField()
    sessions_unauthorised = models.PositiveIntegerField()
    attendance_start_date = models.DateField(null=True, blank=True)
    attendance_marks = models.TextField(blank=True, help_text="One character per session from the start date")
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["pupil", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil", "source_la", "source_establishment", "year"], name="one_previous_year_per_school"
            )
        ]

    def __str__(self):
        return f"{self.pupil.upn} {self.year} at {self.source_name or self.source_la + self.source_establishment}"

    @property
    def attendance_percent(self):
        if not self.sessions_possible:
            return None
        return round(100 * self.sessions_attended / self.sessions_possible, 1)
