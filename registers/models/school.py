"""The school and its calendar: trusts, schools, register times per phase, academic years, terms,
half-term breaks, closures and INSET days, and the school days (with school-week numbers) they make."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

AM, PM = "AM", "PM"
SESSION_CHOICES = [(AM, "Morning (AM)"), (PM, "Afternoon (PM)")]

PRIMARY, SECONDARY = "primary", "secondary"
REGISTER_PHASES = [(PRIMARY, "Primary"), (SECONDARY, "Secondary")]


class Trust(models.Model):
    name = models.CharField(max_length=200, unique=True)
    history = HistoricalRecords()

    def __str__(self):
        return self.name


class School(models.Model):
    class Phase(models.TextChoices):
        NURSERY = "nursery", "Nursery"
        PRIMARY = "primary", "Primary"
        MIDDLE = "middle", "Middle"
        SECONDARY = "secondary", "Secondary"
        ALL_THROUGH = "all_through", "All-through"
        SPECIAL = "special", "Special"
        AP = "alternative_provision", "Alternative provision"

    trust = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="schools")
    urn = models.CharField("URN", max_length=6, unique=True)
    name = models.CharField(max_length=200)
    la_number = models.CharField("LA number", max_length=3)
    establishment_number = models.CharField(max_length=4)
    phase = models.CharField(max_length=30, choices=Phase.choices)
    address = models.TextField(blank=True)
    telephone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def register_phases(self) -> list[str]:
        """The register timetables a school keeps: all-through schools keep two."""
        if self.phase == self.Phase.ALL_THROUGH:
            return [PRIMARY, SECONDARY]
        if self.phase in (self.Phase.SECONDARY, self.Phase.MIDDLE):
            return [SECONDARY]
        return [PRIMARY]


class RegisterTime(models.Model):
    """When a register opens, when an arrival becomes late, and when it closes."""

    MAX_OPEN_MINUTES = 30

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="register_times")
    phase = models.CharField(max_length=20, choices=REGISTER_PHASES)
    session = models.CharField(max_length=2, choices=SESSION_CHOICES)
    opens = models.TimeField()
    late_after = models.TimeField()
    closes = models.TimeField()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "phase", "session"], name="one_register_time_per_phase_session"),
            models.CheckConstraint(
                condition=Q(opens__lte=models.F("late_after")) & Q(late_after__lte=models.F("closes")),
                name="register_time_order",
            ),
        ]

    def __str__(self):
        return f"{self.get_phase_display()} {self.session}: {self.opens:%H:%M}–{self.closes:%H:%M}"

    @property
    def open_minutes(self) -> int:
        start = dt.datetime.combine(dt.date.min, self.opens)
        return int((dt.datetime.combine(dt.date.min, self.closes) - start).total_seconds() // 60)

    @staticmethod
    def unequal_lengths(times) -> str | None:
        """RULES.md: every register stays open "the same length for every session". Checked over the
        whole set a school will hold, since changing one row at a time would always look unequal."""
        lengths = {f"{rt.get_phase_display()} {rt.session}": rt.open_minutes for rt in times}
        if len(set(lengths.values())) <= 1:
            return None
        spans = ", ".join(f"{name} {minutes} minutes" for name, minutes in sorted(lengths.items()))
        return f"every register must stay open for the same length of time ({spans})"

    def clean(self):
        if not (self.opens <= self.late_after <= self.closes):
            raise ValidationError(
                f"{self.session} register: the times must run opens ≤ late after ≤ closes "
                f"(got {self.opens:%H:%M}, {self.late_after:%H:%M}, {self.closes:%H:%M})."
            )
        if self.open_minutes > self.MAX_OPEN_MINUTES:
            raise ValidationError(
                f"{self.session} register: a register may stay open for no more than "
                f"{self.MAX_OPEN_MINUTES} minutes (the 2024 regulations); {self.opens:%H:%M} to "
                f"{self.closes:%H:%M} is {self.open_minutes} minutes."
            )

    def save(self, *args, **kwargs):
        self.full_clean()
        super().save(*args, **kwargs)


class AcademicYear(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="academic_years")
    name = models.CharField(max_length=9, help_text="e.g. 2026/27")
    start_date = models.DateField()
    end_date = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["start_date"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="one_academic_year_name")]

    def __str__(self):
        return self.name

    @staticmethod
    def name_for(day: dt.date) -> str:
        """Academic years run September to August: 3 Sept 2026 is in 2026/27."""
        start = day.year if day.month >= 8 else day.year - 1
        return f"{start}/{(start + 1) % 100:02d}"


class Term(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField(max_length=60)
    start_date = models.DateField()
    end_date = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "start_date"], name="one_term_per_start"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="term_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.name} {self.academic_year}"


class Holiday(models.Model):
    """A break inside or between terms (half-term): no sessions."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="holidays")
    name = models.CharField(max_length=60, default="Half-term")
    start_date = models.DateField()
    end_date = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "start_date"], name="one_holiday_per_start"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="holiday_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.name} {self.start_date:%d %b %Y}–{self.end_date:%d %b %Y}"


class Closure(models.Model):
    """A planned closure (sessions coded `#`) or an INSET day (no sessions for pupils)."""

    class Kind(models.TextChoices):
        CLOSURE = "closure", "Planned closure (#)"
        INSET = "inset", "INSET day"

    class Session(models.TextChoices):
        AM = AM, "Morning"
        PM = PM, "Afternoon"
        BOTH = "both", "Whole day"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    session = models.CharField(max_length=4, choices=Session.choices, default=Session.BOTH)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CLOSURE)
    reason = models.CharField(max_length=200)
    year_groups = models.JSONField(default=list, blank=True, help_text="Empty for the whole school")
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "date", "session", "kind"], name="one_closure_per_session")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date:%d %b %Y} ({self.get_session_display()}): {self.reason}"

    def covers(self, session: str, year: int | None) -> bool:
        return self.session in (session, self.Session.BOTH) and (not self.year_groups or year in self.year_groups)


class SchoolDay(models.Model):
    """A day on which the school meets, derived from terms, holidays, INSET days and bank holidays.

    `week_number` counts school weeks (weeks with at least one session) from the school's
    first, across terms and years, so a rolling window of ten school weeks is the range
    `week_number - 9 .. week_number` whatever holidays fall between."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="school_days")
    date = models.DateField()
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="days")
    week_number = models.PositiveIntegerField()
    half_term = models.PositiveSmallIntegerField(help_text="1–6 within the academic year")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["school", "date"], name="one_school_day_per_date")]
        indexes = [models.Index(fields=["school", "week_number"])]

    def __str__(self):
        return f"{self.date:%a %d %b %Y} (school week {self.week_number})"
