"""A school's attendance policy as data, and what the attendance officer does with it.

Policy (audited, edited by the school): `Policy` → `LadderStage`, `Band`, `Rule`. A rule has a
trigger, parameters (JSON, validated per trigger in `interventions.policy.triggers`) and what it
proposes (a ladder stage, a letter template key, a task for a role, a monitoring period).

Work: the checks (`interventions.evaluation`) turn rules into `Alert`s with their evidence; the
officer accepts an alert (creating a `Case` step, an `Action` or a letter action) or dismisses
it with a reason. Cases hold actions, monitoring periods, notices to improve, penalty notices
and other legal steps. Nothing punitive happens automatically."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from registers.models import Contact, Mark, Pupil, School, Staff

ROLE_CHOICES = Staff.Position.choices


class Policy(models.Model):
    """A school's attendance policy. A school may keep several; one is active."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="attendance_policies")
    name = models.CharField(max_length=200)
    preset = models.CharField(max_length=10, blank=True, help_text="The preset it was loaded from, if any")
    active = models.BooleanField(default=True)
    target_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["school"], condition=Q(active=True), name="one_active_policy_per_school")
        ]

    def __str__(self):
        return self.name


class LadderStage(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "order"]
        constraints = [models.UniqueConstraint(fields=["policy", "order"], name="one_stage_per_order")]

    def __str__(self):
        return f"Stage {self.order}: {self.name}"


class Band(models.Model):
    """An attendance band. Published bands leave gaps (96.9 then 95.5); a value belongs to the
    band whose lower attendance bound it reaches, so only `attendance_from` decides."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="bands")
    name = models.CharField(max_length=40)
    attendance_from = models.DecimalField(max_digits=5, decimal_places=2, help_text="Lower bound, inclusive")
    attendance_to = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, help_text="As published")
    absence_from = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    absence_to = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    action = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "-attendance_from"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "name"], name="one_band_name_per_policy"),
            models.UniqueConstraint(fields=["policy", "attendance_from"], name="one_band_per_lower_bound"),
        ]

    def __str__(self):
        return self.name


def band_for(bands, attendance_percent) -> Band | None:
    """The band whose lower bound `attendance_percent` reaches (bands in any order)."""
    if attendance_percent is None:
        return None
    chosen = None
    for band in bands:
        if float(band.attendance_from) <= float(attendance_percent) and (
            chosen is None or band.attendance_from > chosen.attendance_from
        ):
            chosen = band
    return chosen


class TaskKind(models.TextChoices):
    CALL = "call", "Phone call"
    MEETING = "meeting", "Meeting"
    HOME_VISIT = "home_visit", "Home visit"
    REFERRAL = "referral", "Referral"
    SUPPORT_PLAN = "support_plan", "Support plan"
    EARLY_HELP = "early_help", "Early help"
    CONVERSATION = "conversation", "Conversation with the pupil"
    DECISION = "decision", "Decision"
    REVIEW = "review", "Review"
    DETENTION = "detention", "Detention"
    LETTER = "letter", "Letter"
    NOTE = "note", "Note"


class Rule(models.Model):
    class Trigger(models.TextChoices):
        ATTENDANCE_BELOW = "attendance_below", "Attendance below a value"
        BAND = "band", "Attendance band"
        PERSISTENT = "persistent_absence", "Persistent absence"
        SEVERE = "severe_absence", "Severe absence"
        SESSIONS_OVER = "absence_sessions_over", "Sessions of absence over a count"
        PENALTY_THRESHOLD = "penalty_threshold", "National penalty-notice threshold"
        LATES_HALF_TERM = "lates_in_half_term", "Late marks in a half-term"
        LATES_WEEK = "lates_in_week", "Late marks in a school week"
        CONSECUTIVE = "consecutive_absence", "Consecutive days of absence"
        ILLNESS_PERIODS = "illness_periods_in_half_term", "Separate periods of illness in a half-term"
        ILLNESS_DAYS = "illness_days", "Days of illness"
        MONITORING = "monitoring_review", "End of a monitoring period"
        LESSON_LATES_WEEK = "lesson_lates_in_week", "Late to lessons in a school week"
        LESSON_LATES_HALF_TERM = "lesson_lates_in_half_term", "Late to lessons in a half-term"
        TRUANCY_WEEK = "truancy_alerts_in_week", "Internal truancy alerts in a school week"
        TRUANCY_HALF_TERM = "truancy_alerts_in_half_term", "Internal truancy alerts in a half-term"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="rules")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    trigger = models.CharField(max_length=40, choices=Trigger.choices)
    parameters = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    # what it proposes
    stage = models.ForeignKey(LadderStage, null=True, blank=True, on_delete=models.PROTECT, related_name="rules")
    letter_template = models.CharField(max_length=80, blank=True, help_text="A letter template key")
    task_kind = models.CharField(max_length=20, choices=TaskKind.choices, blank=True)
    task_role = models.CharField(max_length=40, choices=ROLE_CHOICES, blank=True)
    task_description = models.CharField(max_length=300, blank=True)
    monitoring_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "order", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        from .policy.triggers import validate_parameters

        errors = validate_parameters(self.trigger, self.parameters or {}, policy=self.policy_id and self.policy)
        if self.task_kind and not self.task_role:
            errors.append("A task needs the role that will carry it out.")
        if self.monitoring_weeks is not None and not 1 <= self.monitoring_weeks <= 12:
            errors.append("A monitoring period is between 1 and 12 weeks.")
        if self.stage_id and self.policy_id and self.stage.policy_id != self.policy_id:
            errors.append("The stage must belong to the same policy.")
        if errors:
            raise ValidationError({"parameters": errors})

    def save(self, *args, **kwargs):
        self.full_clean()
        super().save(*args, **kwargs)

    @property
    def proposals(self) -> list[dict]:
        """What accepting an alert from this rule would do, as data (stored on the alert)."""
        out = []
        if self.stage_id:
            out.append({"type": "stage", "stage_id": self.stage_id, "label": str(self.stage)})
        if self.letter_template:
            out.append({"type": "letter", "template": self.letter_template, "label": f"Letter: {self.letter_template}"})
        if self.task_kind:
            label = self.task_description or self.get_task_kind_display()
            out.append(
                {
                    "type": "task",
                    "kind": self.task_kind,
                    "role": self.task_role,
                    "description": label,
                    "label": f"{label} ({self.get_task_role_display()})",
                }
            )
        if self.monitoring_weeks:
            out.append(
                {
                    "type": "monitoring",
                    "weeks": self.monitoring_weeks,
                    "label": f"{self.monitoring_weeks}-week monitoring period",
                }
            )
        return out


class Family(models.Model):
    """Siblings worked as one case."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="families")
    name = models.CharField(max_length=200)
    pupils = models.ManyToManyField(Pupil, related_name="families")
    history = HistoricalRecords(m2m_fields=[pupils])

    class Meta:
        verbose_name_plural = "families"

    def __str__(self):
        return self.name


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="cases")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="cases")
    family = models.ForeignKey(Family, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    stage = models.ForeignKey(LadderStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pupil"], condition=Q(status="open"), name="one_open_case_per_pupil")
        ]

    def __str__(self):
        return f"Case for {self.pupil.name}"


class Alert(models.Model):
    """A finding of the checks: one per school, pupil, rule and period (so re-running a check,
    or running it for a past date, never duplicates it)."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="alerts")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="alerts")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="alerts")
    period_key = models.CharField(max_length=60)
    found_on = models.DateField(help_text="The date the check was run for")
    created_at = models.DateTimeField(auto_now_add=True)
    evidence = models.JSONField(default=dict)
    proposals = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.CharField(max_length=500, blank=True)
    snoozed_until = models.DateField(
        null=True, blank=True, help_text="Left off the officer's worklist until this date (still new)"
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    monitoring_period = models.ForeignKey(
        "MonitoringPeriod", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-found_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "pupil", "rule", "period_key"], name="one_alert_per_rule_period")
        ]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self):
        return f"{self.rule} — {self.pupil.name}"


class CaseStep(models.Model):
    """A step on the case: opened, stage changed, alert accepted, closed — with the pupil's
    figures at that moment, so the effect of support can be seen."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Case opened"
        STAGE = "stage", "Stage changed"
        ALERT = "alert", "Alert accepted"
        CLOSED = "closed", "Case closed"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    date = models.DateField()
    stage = models.ForeignKey(LadderStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.PROTECT, related_name="steps")
    note = models.TextField(blank=True)
    figures = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "kind"], condition=Q(alert__isnull=False), name="one_step_per_alert_kind"
            )
        ]


class Action(models.Model):
    """Something done or to do on a case: a call, meeting, home visit, support plan, early help,
    referral, letter … A task is an action with a due date and no completion yet."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=20, choices=TaskKind.choices)
    description = models.CharField(max_length=300, blank=True)
    role = models.CharField(max_length=40, choices=ROLE_CHOICES, blank=True)
    assigned_to = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    letter_template = models.CharField(max_length=80, blank=True)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.PROTECT, related_name="actions")
    figures = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "kind", "letter_template"],
                condition=Q(alert__isnull=False),
                name="one_action_per_alert_proposal",
            )
        ]

    def __str__(self):
        return self.description or self.get_kind_display()


class SupportTarget(models.Model):
    """A SMART target of a support plan (an action of kind support_plan)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="targets")
    specific = models.CharField(max_length=300)
    measure = models.CharField(max_length=300)
    achievable = models.CharField(max_length=300, blank=True)
    relevant = models.CharField(max_length=300, blank=True)
    due_on = models.DateField()
    met = models.BooleanField(null=True, blank=True)
    history = HistoricalRecords()


class MonitoringPeriod(models.Model):
    class Outcome(models.TextChoices):
        IMPROVED = "improved", "Improved"
        NOT_IMPROVED = "not_improved", "Not improved"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="monitoring_periods")
    start = models.DateField()
    weeks = models.PositiveSmallIntegerField()
    review_on = models.DateField()
    baseline = models.JSONField(default=dict, help_text="The pupil's figures when the period started")
    result = models.JSONField(default=dict, blank=True, help_text="Figures over the period, at review")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    reviewed_on = models.DateField(null=True, blank=True)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["review_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert"], condition=Q(alert__isnull=False), name="one_monitoring_period_per_alert"
            )
        ]

    def __str__(self):
        return f"{self.weeks}-week monitoring from {self.start:%d %b %Y}"


class NoticeToImprove(models.Model):
    MIN_WEEKS, MAX_WEEKS = 3, 6

    class Outcome(models.TextChoices):
        IMPROVED = "improved", "Sufficient improvement"
        NOT_IMPROVED = "not_improved", "Not sufficient improvement"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices_to_improve")
    parent = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField()
    record_summary = models.TextField(help_text="The attendance record and offences")
    support_offered = models.TextField()
    further_support = models.TextField(blank=True)
    improvement_weeks = models.PositiveSmallIntegerField()
    sufficient_improvement = models.TextField(help_text="What sufficient improvement means")
    period_ends_on = models.DateField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_on = models.DateField(null=True, blank=True)
    outcome_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(improvement_weeks__gte=3) & Q(improvement_weeks__lte=6), name="improvement_period_3_to_6"
            )
        ]

    def clean(self):
        if not self.MIN_WEEKS <= (self.improvement_weeks or 0) <= self.MAX_WEEKS:
            raise ValidationError({"improvement_weeks": "The improvement period is 3 to 6 weeks."})


class PenaltyNotice(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        PAID = "paid", "Paid"
        UNPAID = "unpaid", "Unpaid"
        WITHDRAWN = "withdrawn", "Withdrawn"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="penalty_notices")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="penalty_notices")
    parent = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="penalty_notices")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="penalty_notices")
    sequence = models.PositiveSmallIntegerField(help_text="1st or 2nd notice to this parent for this pupil")
    issued_on = models.DateField()
    la_reference = models.CharField("LA reference", max_length=60, blank=True)
    amount_pence = models.PositiveIntegerField(help_text="Amount payable within 28 days")
    reduced_amount_pence = models.PositiveIntegerField(null=True, blank=True, help_text="If paid within 21 days")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    paid_on = models.DateField(null=True, blank=True)
    prosecution_referred_on = models.DateField(null=True, blank=True)
    marks = models.ManyToManyField(Mark, through="PenaltyNoticeMark", related_name="penalty_notices")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["issued_on", "id"]

    def __str__(self):
        return f"Penalty notice {self.sequence} for {self.pupil.name} ({self.issued_on:%d %b %Y})"

    @property
    def reduced_deadline(self) -> dt.date | None:
        return self.issued_on + dt.timedelta(days=21) if self.reduced_amount_pence else None

    @property
    def deadline(self) -> dt.date:
        return self.issued_on + dt.timedelta(days=28)


class PenaltyNoticeMark(models.Model):
    """A mark a notice relies on. A mark can support one notice only (unique)."""

    notice = models.ForeignKey(PenaltyNotice, on_delete=models.PROTECT, related_name="mark_links")
    mark = models.OneToOneField(Mark, on_delete=models.PROTECT, related_name="penalty_link")


class LegalStep(models.Model):
    class Kind(models.TextChoices):
        ATTENDANCE_CONTRACT = "attendance_contract", "Attendance contract"
        ESO = "education_supervision_order", "Education supervision order"
        PARENTING_ORDER = "parenting_order", "Parenting order"
        PROSECUTION_444_1 = "prosecution_444_1", "Prosecution, s444(1)"
        PROSECUTION_444_1A = "prosecution_444_1a", "Prosecution, s444(1A)"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="legal_steps")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    date = models.DateField()
    reference = models.CharField(max_length=60, blank=True)
    notes = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "id"]


class CheckRun(models.Model):
    """One run of the checks for a school and date: when it was computed (the dashboard says
    "figures as at …") and the windows its pupils' figures cover.

    Derived data, not audited: re-running the checks for a date replaces the run's figures,
    and old runs are pruned — the marks and their history remain the record."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="check_runs")
    date = models.DateField(help_text="The date the checks were run for")
    computed_at = models.DateTimeField()
    year_start = models.DateField(help_text="Start of the year-to-date figures")
    threshold_from = models.DateField(help_text="Start of the penalty-notice threshold's 10 school weeks")
    threshold_to = models.DateField()
    pupils = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["school", "date"], name="one_check_run_per_school_date")]

    def __str__(self):
        return f"Checks for {self.date:%d %b %Y}, computed {self.computed_at:%d %b %Y %H:%M}"


class PupilSnapshot(models.Model):
    """A pupil's figures as the checks computed them for a run's date (one row per pupil per
    run): year to date, year to date a week earlier (for "newly persistent"), and sessions
    towards the national penalty-notice threshold. Derived data: see `CheckRun`."""

    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="snapshots")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="+")
    possible = models.PositiveIntegerField()
    attended = models.PositiveIntegerField()
    authorised = models.PositiveIntegerField()
    unauthorised = models.PositiveIntegerField()
    possible_week_before = models.PositiveIntegerField()
    absent_week_before = models.PositiveIntegerField()
    national_age = models.BooleanField(help_text="Aged 5 to 15 at the start of the academic year")
    persistent = models.BooleanField(help_text="Absence of 10 % or more, year to date")
    severe = models.BooleanField(help_text="Absence of 50 % or more, year to date")
    threshold_sessions = models.PositiveSmallIntegerField(
        default=0, help_text="Unauthorised sessions of compulsory school age in the threshold's window"
    )
    threshold_unresolved = models.PositiveSmallIntegerField(default=0, help_text="Of which still coded N")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "pupil"], name="one_snapshot_per_pupil_per_run")]

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised
