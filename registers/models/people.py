"""The people: registration groups and their staff (with positions), pupils and their
characteristics, enrolments (periods on roll, dual registration) and contacts."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from ..upn import validate_upn
from .school import PRIMARY, REGISTER_PHASES, School, Trust


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
        SUBJECT_TEACHER = "subject_teacher", "Subject teacher"
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
    telephone = models.CharField(max_length=40, blank=True, help_text="The number to ring first")
    other_telephones = models.CharField(
        max_length=200,
        blank=True,
        help_text="Other numbers from the MIS, e.g. 'Home: 01632 960123 · Work: 0117 496 0000'",
    )
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
