"""The audited register: schools, their calendars, pupils, the national codes and marks.

Every record belongs to one school. Marks are written only by `registers.services`
(the register service); their history rows are append-only, enforced by database
triggers (see `registers.audit_triggers`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .upn import validate_upn

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


class RegistrationGroup(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=40)
    year = models.SmallIntegerField(help_text="National curriculum year; 0 for Reception")
    phase = models.CharField(max_length=20, choices=REGISTER_PHASES, default=PRIMARY)
    room = models.CharField(max_length=40, blank=True)
    teachers = models.ManyToManyField("Staff", blank=True, related_name="groups")
    history = HistoricalRecords(m2m_fields=[teachers])

    class Meta:
        ordering = ["year", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="one_group_name_per_school")]

    def __str__(self):
        return self.name


class Staff(models.Model):
    class Position(models.TextChoices):
        CLASS_TEACHER = "class_teacher", "Class teacher"
        FORM_TUTOR = "form_tutor", "Form tutor"
        HEAD_OF_YEAR = "head_of_year", "Head of year"
        ATTENDANCE_OFFICER = "attendance_officer", "Attendance officer"
        SENIOR_ATTENDANCE_CHAMPION = "senior_attendance_champion", "Senior attendance champion"
        HEADTEACHER = "headteacher", "Headteacher"
        DSL = "dsl", "Designated safeguarding lead"
        OFFICE = "office", "Office"
        DATA_MANAGER = "data_manager", "Data manager"
        GOVERNOR = "governor", "Governor"
        TRUST_LEADER = "trust_leader", "Trust leader"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff")
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    trust = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    position = models.CharField(max_length=40, choices=Position.choices)
    title = models.CharField(max_length=20, blank=True, help_text="Mr, Mrs, Ms, Dr …")
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "staff"
        constraints = [
            models.CheckConstraint(
                condition=Q(school__isnull=False) | Q(trust__isnull=False), name="staff_belongs_to_school_or_trust"
            )
        ]

    def __str__(self):
        return f"{self.display_name} ({self.get_position_display()})"

    @property
    def display_name(self) -> str:
        name = self.user.get_full_name() or self.user.get_username()
        return f"{self.title} {name}".strip()


class Pupil(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"

    class SEN(models.TextChoices):
        NONE = "N", "No special educational need"
        SUPPORT = "K", "SEN support"
        EHCP = "E", "Education, health and care plan"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pupils")
    upn = models.CharField("UPN", max_length=13, validators=[validate_upn])
    legal_surname = models.CharField(max_length=100)
    legal_forename = models.CharField(max_length=100)
    preferred_forename = models.CharField(max_length=100, blank=True)
    preferred_surname = models.CharField(max_length=100, blank=True)
    pronoun = models.CharField(max_length=20, blank=True, help_text="e.g. she/her, he/him, they/them")
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    year = models.SmallIntegerField(help_text="National curriculum year; 0 for Reception")
    group = models.ForeignKey(RegistrationGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="pupils")
    fsm = models.BooleanField("FSM eligible", default=False)
    sen = models.CharField("SEN provision", max_length=1, choices=SEN.choices, default=SEN.NONE)
    eal = models.BooleanField("EAL", default=False)
    looked_after = models.BooleanField(default=False)
    previously_looked_after = models.BooleanField(default=False)
    child_in_need = models.BooleanField("Child in need / has a social worker", default=False)
    young_carer = models.BooleanField(default=False)
    ethnicity = models.CharField(max_length=4, blank=True, help_text="DfE ethnicity code, e.g. WBRI")
    medical_note = models.CharField(max_length=200, blank=True, help_text="Shown to the teacher on the register")
    history = HistoricalRecords()

    class Meta:
        ordering = ["legal_surname", "legal_forename"]
        constraints = [models.UniqueConstraint(fields=["school", "upn"], name="one_upn_per_school")]

    def __str__(self):
        return f"{self.name} ({self.upn})"

    @property
    def forename(self) -> str:
        return self.preferred_forename or self.legal_forename

    @property
    def surname(self) -> str:
        return self.preferred_surname or self.legal_surname

    @property
    def name(self) -> str:
        return f"{self.forename} {self.surname}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_forename} {self.legal_surname}"


class Enrolment(models.Model):
    """A period on roll. A pupil may leave and return; dual registration is main or subsidiary."""

    class Registration(models.TextChoices):
        SINGLE = "single", "Single registration"
        MAIN = "main", "Dual registration (main)"
        SUBSIDIARY = "subsidiary", "Dual registration (subsidiary)"

    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="enrolments")
    admission_date = models.DateField()
    leaving_date = models.DateField(null=True, blank=True)
    registration = models.CharField(max_length=12, choices=Registration.choices, default=Registration.SINGLE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["admission_date"]
        constraints = [
            models.UniqueConstraint(fields=["pupil", "admission_date"], name="one_enrolment_per_admission"),
            models.CheckConstraint(
                condition=Q(leaving_date__isnull=True) | Q(leaving_date__gte=models.F("admission_date")),
                name="enrolment_leaves_after_admission",
            ),
        ]

    def __str__(self):
        end = f"{self.leaving_date:%d %b %Y}" if self.leaving_date else "on roll"
        return f"{self.admission_date:%d %b %Y} – {end} ({self.get_registration_display()})"

    def covers(self, day: dt.date) -> bool:
        return self.admission_date <= day and (self.leaving_date is None or day <= self.leaving_date)


class Contact(models.Model):
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="contacts")
    priority = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=20, blank=True)
    forename = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    relationship = models.CharField(max_length=40, help_text="Mother, father, carer, grandparent …")
    parental_responsibility = models.BooleanField(default=True)
    lives_with_pupil = models.BooleanField(default=True)
    telephone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["pupil", "priority"]

    def __str__(self):
        return f"{self.title} {self.forename} {self.surname} ({self.relationship})".strip()


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
    history = HistoricalRecords()
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
    history = HistoricalRecords(cascade_delete_history=False)
    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["date", "session"]
        constraints = [models.UniqueConstraint(fields=["pupil", "date", "session"], name="one_mark_per_pupil_session")]
        indexes = [models.Index(fields=["school", "date", "session"])]

    def __str__(self):
        return f"{self.pupil.upn} {self.date} {self.session}: {self.code.code}"

    def delete(self, *args, **kwargs):
        raise ValidationError("Register entries are kept for six years and cannot be deleted.")


from .models_api import ApiToken  # noqa: E402,F401
from .models_notifications import Notification  # noqa: E402,F401
