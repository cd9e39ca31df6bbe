"""What families tell the school, what the school decides, and how it follows up.

- `AbsenceReport`: a parent's report of an absence (one per child; siblings reported together
  share a `submission_key`), accepted / queried / declined by the office.
- `EvidenceFile`: a file a parent attached, stored privately under PRIVATE_ROOT.
- `LeaveRequest`: a request for leave of absence (2024 regulations) and the head's decision.
- `FollowUpPolicy` and `FollowUpStep`: the school's unexplained-absence follow-up as data.
- `ContactAttempt`: each call, letter, visit, referral or decision made while following up.
- `ParentInvite`, `EmailDelivery`: the one-time invitation link and every e-mail we try to send.

Records of what was said or decided keep their history (django-simple-history); the history
tables are append-only (registers/audit_triggers.py installs the triggers for every history table)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from common.storage import private_storage
from registers.models import AM, PM, SESSION_CHOICES, Contact, Pupil, School, Staff


def evidence_path(instance, filename):
    # The stored name never uses the parent's file name (it is kept only as a label).
    return f"evidence/{instance.school_id}/{dt.date.today():%Y/%m}/{uuid.uuid4().hex}{instance.extension}"


def session_index(day: dt.date, session: str) -> tuple[dt.date, int]:
    return (day, 0 if session == AM else 1)


def describe_period(start_date, start_session, end_date, end_session) -> str:
    """'Mon 23 Nov 2026 (all day)', 'Mon 23 Nov 2026 to Tue 24 Nov 2026 (morning only)'."""
    start = f"{start_date:%a} {start_date.day} {start_date:%b %Y}"
    end = f"{end_date:%a} {end_date.day} {end_date:%b %Y}"
    names = {AM: "morning", PM: "afternoon"}
    if start_date == end_date:
        if start_session == end_session:
            return f"{start} ({names[start_session]} only)"
        return f"{start} (all day)"
    first = "" if start_session == AM else " (from the afternoon)"
    last = "" if end_session == PM else " (morning only)"
    return f"{start}{first} to {end}{last}"


class SessionRange(models.Model):
    """From (date, session) to (date, session), inclusive."""

    start_date = models.DateField()
    start_session = models.CharField(max_length=2, choices=SESSION_CHOICES, default=AM)
    end_date = models.DateField()
    end_session = models.CharField(max_length=2, choices=SESSION_CHOICES, default=PM)

    class Meta:
        abstract = True

    def covers(self, day: dt.date, session: str) -> bool:
        return (
            session_index(self.start_date, self.start_session)
            <= session_index(day, session)
            <= session_index(self.end_date, self.end_session)
        )

    @property
    def period_text(self) -> str:
        return describe_period(self.start_date, self.start_session, self.end_date, self.end_session)


class AbsenceReport(SessionRange):
    class Reason(models.TextChoices):
        ILLNESS = "illness", "Illness"
        MEDICAL = "medical", "Medical or dental appointment"
        RELIGIOUS = "religious", "Religious observance"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for the school"
        QUERIED = "queried", "The school has a question"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Not accepted"
        WITHDRAWN = "withdrawn", "Withdrawn by the parent/carer"

    # The code the office is offered first for each reason (it may choose another).
    DEFAULT_CODES = {Reason.ILLNESS: "I", Reason.MEDICAL: "M", Reason.RELIGIOUS: "R", Reason.OTHER: ""}
    OPEN = (Status.SUBMITTED, Status.QUERIED)

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="absence_reports")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="absence_reports")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submission_key = models.UUIDField(help_text="Shared by siblings reported together; makes resubmission harmless")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    description = models.TextField(blank=True)
    expected_return = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    code = models.CharField(max_length=2, blank=True, help_text="The code the office wrote when accepting")
    office_message = models.TextField(
        blank=True, help_text="The question or the reason for declining (the parent sees it)"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["submission_key", "pupil"], name="one_report_per_submission_child"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="report_ends_after_start"),
        ]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self):
        return f"Absence report #{self.pk}: {self.pupil.name}, {self.period_text}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class LeaveRequest(SessionRange):
    class Circumstance(models.TextChoices):
        EXCEPTIONAL = "exceptional", "Exceptional circumstances"
        PERFORMANCE = "performance", "Regulated performance or employment abroad"
        INTERVIEW = "interview", "Interview (employment or another school, college or university)"
        STUDY = "study", "Study leave for a public examination"
        PART_TIME = "part_time", "Temporary part-time timetable"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for the headteacher"
        GRANTED = "granted", "Granted"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # The 2024 regulations' codes for granted leave.
    CODES = {
        Circumstance.EXCEPTIONAL: "C",
        Circumstance.PERFORMANCE: "C1",
        Circumstance.INTERVIEW: "J1",
        Circumstance.STUDY: "S",
        Circumstance.PART_TIME: "C2",
    }

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="leave_requests")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="leave_requests")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submission_key = models.UUIDField()
    circumstance = models.CharField(max_length=20, choices=Circumstance.choices)
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    # The decision: the authorised length may be shorter than the request.
    granted_start_date = models.DateField(null=True, blank=True)
    granted_start_session = models.CharField(max_length=2, choices=SESSION_CHOICES, blank=True)
    granted_end_date = models.DateField(null=True, blank=True)
    granted_end_session = models.CharField(max_length=2, choices=SESSION_CHOICES, blank=True)
    code = models.CharField(max_length=2, blank=True)
    decision_reason = models.TextField(blank=True, help_text="The parent sees this")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_name = models.CharField(max_length=200, blank=True)
    decided_by_position = models.CharField(max_length=100, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["submission_key", "pupil"], name="one_leave_request_per_submission_child"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="leave_ends_after_start"),
        ]

    def __str__(self):
        return f"Leave request #{self.pk}: {self.pupil.name}, {self.period_text}"

    @property
    def planned_code(self) -> str:
        return self.CODES[self.circumstance]

    @property
    def granted_period_text(self) -> str:
        if not self.granted_start_date:
            return ""
        return describe_period(
            self.granted_start_date, self.granted_start_session, self.granted_end_date, self.granted_end_session
        )


class EvidenceFile(models.Model):
    ALLOWED_TYPES = {
        "application/pdf": ".pdf",
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/heic": ".heic",
        "image/heif": ".heif",
    }

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(AbsenceReport, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence")
    leave_request = models.ForeignKey(
        LeaveRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(storage=private_storage, upload_to=evidence_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50, help_text="Found by reading the file, not from its name")
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(report__isnull=False) | Q(leave_request__isnull=False), name="evidence_belongs_somewhere"
            )
        ]

    def __str__(self):
        return self.original_name

    @property
    def extension(self) -> str:
        return self.ALLOWED_TYPES.get(self.content_type, ".bin")


class FollowUpPolicy(models.Model):
    """One school's follow-up and leave rules. Every number is the school's, not the code's."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="follow_up_policy")
    preset = models.CharField(max_length=40, blank=True)
    n_resolve_school_days = models.PositiveSmallIntegerField(
        default=5, help_text="An N must be replaced within this many school days (5 in the regulations)"
    )
    cme_referral_school_days = models.PositiveSmallIntegerField(
        default=10,
        help_text="Unexplained absence for this many school days prompts a children-missing-education referral",
    )
    deletion_ground_school_days = models.PositiveSmallIntegerField(
        default=20, help_text="Consecutive school days coded only G/N/O before the deletion ground is prompted"
    )
    illness_la_school_days = models.PositiveSmallIntegerField(
        default=15, help_text="Illness expected to reach this many school days prompts telling the LA"
    )
    leave_notice_days = models.PositiveSmallIntegerField(default=14, help_text="Notice the school asks for (days)")
    refuse_leave_in_assessment_periods = models.BooleanField(default=False)
    leave_authorised_limit_percent = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, help_text="e.g. 10.0: authorised absence above this"
    )
    leave_refuse_if_unauthorised = models.BooleanField(default=False)
    leave_guidance = models.TextField(blank=True, help_text="Shown to parents on the leave request form")
    leave_deciders = models.ManyToManyField(
        Staff, blank=True, related_name="+", help_text="Besides the headteacher, who may decide leave requests"
    )
    max_evidence_mb = models.PositiveSmallIntegerField(default=10)
    history = HistoricalRecords(m2m_fields=[leave_deciders])

    def __str__(self):
        return f"Follow-up policy for {self.school}"


class FollowUpStep(models.Model):
    class Action(models.TextChoices):
        CALL = "call", "Call contacts in priority order"
        FOLLOW_UP_CALL = "follow_up_call", "Follow-up call"
        LETTER = "letter", "Letter home"
        PREPARE_VISIT = "prepare_visit", "Prepare a safe-and-well home visit (DSL decision)"
        HOME_VISIT = "home_visit", "Safe-and-well home visit (DSL decision)"
        REFERRAL = "referral", "Referral (children's services / cluster attendance officer)"
        CME_REFERRAL = "cme_referral", "Children-missing-education referral"

    policy = models.ForeignKey(FollowUpPolicy, on_delete=models.CASCADE, related_name="steps")
    day = models.PositiveSmallIntegerField(help_text="School day of unexplained absence (1 = the first day)")
    action = models.CharField(max_length=20, choices=Action.choices)
    repeat_daily = models.BooleanField(default=False, help_text="Due again on every later day")
    description = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["day", "id"]

    def __str__(self):
        return f"Day {self.day}: {self.description or self.get_action_display()}"


class AssessmentPeriod(models.Model):
    """Statutory assessment weeks (e.g. KS2 SATs) during which a school may refuse leave."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="assessment_periods")
    name = models.CharField(max_length=100)
    start_date = models.DateField()
    end_date = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["start_date"]

    def __str__(self):
        return f"{self.name} ({self.start_date:%d %b}–{self.end_date:%d %b %Y})"


class ContactAttempt(models.Model):
    """One thing done while following up an unexplained absence: who, when, how, what happened."""

    class Action(models.TextChoices):
        CALL = "call", "Call"
        FOLLOW_UP_CALL = "follow_up_call", "Follow-up call"
        LETTER = "letter", "Letter"
        PREPARE_VISIT = "prepare_visit", "Home visit decision (DSL)"
        HOME_VISIT = "home_visit", "Safe-and-well home visit"
        REFERRAL = "referral", "Referral"
        CME_REFERRAL = "cme_referral", "Children-missing-education referral"
        SOCIAL_WORKER = "social_worker", "Social worker told"
        LA_ILLNESS = "la_illness", "LA told of long illness"
        DELETION_REVIEW = "deletion_review", "Deletion ground reviewed"

    class Channel(models.TextChoices):
        PHONE = "phone", "Phone"
        TEXT = "text", "Text message"
        EMAIL = "email", "E-mail"
        LETTER = "letter", "Letter"
        VISIT = "visit", "Home visit"
        IN_PERSON = "in_person", "In person"
        OTHER = "other", "Other"

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Left a message"
        REASON_GIVEN = "reason_given", "Spoke to them: reason given"
        NO_REASON = "no_reason", "Spoke to them: no reason given"
        WRONG_NUMBER = "wrong_number", "Number not working"
        SENT = "sent", "Sent"
        SEEN_SAFE = "seen_safe", "Child seen, safe and well"
        NOT_SEEN = "not_seen", "Child not seen"
        DECIDED = "decided", "Decision recorded"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="contact_attempts")
    absence_date = models.DateField(help_text="First school day of the absence being followed up")
    action = models.CharField(max_length=20, choices=Action.choices, default=Action.CALL)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PHONE)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    notes = models.TextField(blank=True)
    decision = models.CharField(max_length=200, blank=True, help_text="For DSL decisions and referrals")
    rationale = models.TextField(blank=True)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_by_name = models.CharField(max_length=200)
    made_by_position = models.CharField(max_length=100)
    made_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-made_at"]
        indexes = [models.Index(fields=["pupil", "absence_date"])]

    def __str__(self):
        return f"{self.get_action_display()} for {self.pupil.name} ({self.get_outcome_display()})"


class ParentInvite(models.Model):
    """A one-time link to set a password. The token is never stored: only its hash, and the
    nonce it is derived from under SECRET_KEY (`absences.invite_links`). Sending a newer
    invitation to the same account revokes the older ones."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    nonce = models.CharField(max_length=32, blank=True, help_text="The token is HMAC(SECRET_KEY, nonce)")
    link_base = models.CharField(max_length=200, blank=True, help_text="The site's address, before the path")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="When a newer invitation replaced it")

    def __str__(self):
        return f"Invitation for {self.contact}"


class EmailDelivery(models.Model):
    """Every e-mail we mean to send. Saved first; a failing mail server leaves it to retry."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed; will retry"
        CANCELLED = "cancelled", "Not sent: the invitation in it was replaced, used or expired"

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # An invitation e-mail: its body holds a placeholder where the link goes (absences.invite_links).
    invite = models.ForeignKey(ParentInvite, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.subject} → {self.to} ({self.status})"


def deciders_for(school: School):
    """Staff who may decide leave: the headteacher(s) and the school's named delegates."""
    policy = FollowUpPolicy.objects.filter(school=school).first()
    delegates = policy.leave_deciders.values("pk") if policy else Staff.objects.none().values("pk")
    return Staff.objects.filter(school=school).filter(Q(position=Staff.Position.HEADTEACHER) | Q(pk__in=delegates))
