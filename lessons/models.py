"""Secondary schools' lessons: the timetable (periods, rooms, teaching groups and the lessons they
meet for, in a one- or two-week cycle), the lesson registers taken in those lessons and their
audited marks, cover, and the internal-truancy alerts the marks raise.

Lesson marks are a record of their own: they never change a pupil's statutory AM/PM mark (the
register service owns those); a statutory register may be pre-filled from the lesson that holds
it. Everything in the timetable is dated (`valid_from`/`valid_to`, memberships' `starts`/`ends`),
so a change of timetable in February leaves September's lessons as they were."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from simple_history.models import HistoricalRecords

from registers.models import (
    REGISTER_PHASES,
    SECONDARY,
    SESSION_CHOICES,
    AttendanceCode,
    ProtectedQuerySet,
    Pupil,
    School,
    Staff,
)

CREATED_AT_HELP = "When the entry was made: set by the database, never changed; the retention period runs from it"

WEEKDAYS = [(1, "Monday"), (2, "Tuesday"), (3, "Wednesday"), (4, "Thursday"), (5, "Friday")]


class Dated(models.Model):
    """A timetable entry that holds from `valid_from` to `valid_to` (inclusive; open-ended when
    empty): changes are new rows from a date, so history stays right."""

    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True

    def holds_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def clean(self):
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValidationError(
                f"'valid to' ({self.valid_to:%d %b %Y}) must not be before 'valid from' ({self.valid_from:%d %b %Y})."
            )

    @staticmethod
    def on(day: dt.date) -> Q:
        """Entries that hold on `day`."""
        return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class TimetableSettings(models.Model):
    """A school's lesson rules: its timetable cycle and the minutes that decide late and missing."""

    class Cycle(models.IntegerChoices):
        ONE_WEEK = 1, "One week"
        TWO_WEEKS = 2, "Two weeks (week A and week B)"

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="timetable_settings")
    cycle_weeks = models.PositiveSmallIntegerField(choices=Cycle.choices, default=Cycle.ONE_WEEK)
    week_a_starts = models.DateField(
        null=True, blank=True, help_text="A Monday in week A (two-week timetables): the weeks alternate from it"
    )
    late_after_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="A pupil arriving more than this many minutes after the lesson starts is late"
    )
    missing_after_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="A lesson with no register this many minutes after it starts is reported missing"
    )
    prefill_statutory = models.BooleanField(
        default=False,
        help_text="Pre-fill the AM/PM register from the lesson that holds it (the teacher still takes it)",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "timetable settings"
        constraints = [
            models.CheckConstraint(condition=Q(late_after_minutes__lte=60), name="lesson_late_after_at_most_60"),
            models.CheckConstraint(
                condition=Q(missing_after_minutes__gte=1) & Q(missing_after_minutes__lte=60),
                name="lesson_missing_after_1_to_60",
            ),
        ]

    def __str__(self):
        return f"{self.school}: {self.get_cycle_weeks_display()}"

    def clean(self):
        if self.cycle_weeks == self.Cycle.TWO_WEEKS:
            if self.week_a_starts is None:
                raise ValidationError("A two-week timetable needs the date of a Monday in week A.")
            if self.week_a_starts.isoweekday() != 1:
                raise ValidationError(f"Week A must start on a Monday; {self.week_a_starts:%A %d %B %Y} is not.")

    def week_of(self, day: dt.date) -> str:
        """ "A" or "B" for a two-week timetable, "" for a one-week one."""
        if self.cycle_weeks != self.Cycle.TWO_WEEKS or self.week_a_starts is None:
            return ""
        monday = day - dt.timedelta(days=day.isoweekday() - 1)
        return "A" if ((monday - self.week_a_starts).days // 7) % 2 == 0 else "B"


class Period(Dated):
    """One period of a phase's school day (P1, P2 …, or a registration period), with its times and,
    where the school's timetable says so, the statutory register (AM or PM) it holds."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="periods")
    phase = models.CharField(max_length=20, choices=REGISTER_PHASES, default=SECONDARY)
    name = models.CharField(max_length=20, help_text="As the timetable names it, e.g. P1, Reg, P5")
    starts = models.TimeField()
    ends = models.TimeField()
    holds_session = models.CharField(
        max_length=2,
        choices=SESSION_CHOICES,
        blank=True,
        help_text="The statutory register taken in this period; empty when registration is separate",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["phase", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(starts__lt=models.F("ends")), name="period_starts_before_it_ends"),
            models.UniqueConstraint(fields=["school", "phase", "name", "valid_from"], name="one_period_name_per_date"),
        ]

    def __str__(self):
        return f"{self.name} {self.starts:%H:%M}–{self.ends:%H:%M}"

    def clean(self):
        super().clean()
        if self.starts is not None and self.ends is not None and self.starts >= self.ends:
            raise ValidationError(f"{self.name}: a period must start before it ends.")


class Room(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="rooms")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["school", "code"], name="one_room_code_per_school")]

    def __str__(self):
        return self.code


class TeachingGroup(models.Model):
    """A class that meets for lessons (10X/Ma1): a subject, a year group, its pupils (dated) and
    its teachers."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="teaching_groups")
    name = models.CharField(max_length=40)
    subject = models.CharField(max_length=60)
    year = models.SmallIntegerField(help_text="National curriculum year")
    teachers = models.ManyToManyField(Staff, blank=True, related_name="teaching_groups")
    history = HistoricalRecords(m2m_fields=[teachers])

    class Meta:
        ordering = ["year", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="one_teaching_group_name_per_school")]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A pupil in a teaching group from `starts` to `ends` (inclusive; open-ended when empty)."""

    group = models.ForeignKey(TeachingGroup, on_delete=models.CASCADE, related_name="memberships")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="lesson_memberships")
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["group", "pupil"]
        constraints = [
            models.UniqueConstraint(fields=["group", "pupil", "starts"], name="one_membership_per_start"),
            models.CheckConstraint(
                condition=Q(ends__isnull=True) | Q(ends__gte=models.F("starts")), name="membership_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.pupil} in {self.group}"

    @staticmethod
    def on(day: dt.date) -> Q:
        return Q(starts__lte=day) & (Q(ends__isnull=True) | Q(ends__gte=day))


class Lesson(Dated):
    """A timetabled lesson: a teaching group meets in a period on a weekday (in week A, week B, or
    every week), in a room, with a teacher."""

    class Week(models.TextChoices):
        EVERY = "", "Every week"
        A = "A", "Week A"
        B = "B", "Week B"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="lessons")
    group = models.ForeignKey(TeachingGroup, on_delete=models.PROTECT, related_name="lessons")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="lessons")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    week = models.CharField(max_length=1, choices=Week.choices, blank=True, default=Week.EVERY)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="lessons")
    teacher = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="lessons")
    history = HistoricalRecords()

    class Meta:
        ordering = ["weekday", "period__starts", "group__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "period", "weekday", "week", "valid_from"], name="one_lesson_per_group_slot_and_date"
            ),
            models.CheckConstraint(condition=Q(weekday__gte=1) & Q(weekday__lte=5), name="lesson_on_a_weekday"),
        ]

    def __str__(self):
        week = f" (week {self.week})" if self.week else ""
        return f"{self.group} {self.get_weekday_display()} {self.period.name}{week}"


class Cover(models.Model):
    """Another teacher covering one lesson on one date, arranged ahead (the cover teacher then sees
    the lesson among their own)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="covers")
    date = models.DateField()
    teacher = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="covers")
    arranged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    arranged_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["lesson", "date"], name="one_cover_per_lesson_date")]

    def __str__(self):
        return f"{self.teacher} covers {self.lesson} on {self.date:%d %b %Y}"


class LessonRegister(models.Model):
    """One lesson's register on one date. Its `session` is the statutory session the lesson falls
    in (AM before the afternoon register, PM after), which decides the present symbol."""

    class State(models.TextChoices):
        NOT_TAKEN = "not_taken", "Not taken"
        TAKEN = "taken", "Taken"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="lesson_registers")
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="registers")
    date = models.DateField()
    session = models.CharField(max_length=2, choices=SESSION_CHOICES)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NOT_TAKEN)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    cover_teacher = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Set when the register was taken by a teacher covering the lesson",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False, help_text=CREATED_AT_HELP)
    history = HistoricalRecords(excluded_fields=["created_at"])
    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["date", "lesson__period__starts"]
        constraints = [models.UniqueConstraint(fields=["lesson", "date"], name="one_register_per_lesson_date")]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self):
        return f"{self.lesson.group} {self.lesson.period.name} {self.date:%a %d %b %Y}"

    @property
    def group(self) -> TeachingGroup:
        """The teaching group whose register this is (the register rule and page name it)."""
        return self.lesson.group

    def delete(self, *args, **kwargs):
        raise ValidationError("Lesson registers are kept for six years and cannot be deleted.")


class LessonMark(models.Model):
    """One pupil's mark in one lesson, kept and audited like a statutory mark (original, amendment,
    reason, who, position, when) but never changing the statutory AM/PM mark."""

    class Source(models.TextChoices):
        TEACHER = "teacher", "Teacher"
        COVER = "cover", "Cover teacher"
        OFFICE = "office", "Office"
        API = "api", "Integration"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="lesson_marks")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="lesson_marks")
    register = models.ForeignKey(LessonRegister, on_delete=models.PROTECT, related_name="marks")
    date = models.DateField()
    code = models.ForeignKey(AttendanceCode, on_delete=models.PROTECT, related_name="lesson_marks")
    minutes_late = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
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
        ordering = ["date", "register"]
        constraints = [models.UniqueConstraint(fields=["pupil", "register"], name="one_lesson_mark_per_pupil")]
        indexes = [models.Index(fields=["school", "date"]), models.Index(fields=["pupil", "date"])]

    def __str__(self):
        return f"{self.pupil.upn} {self.register}: {self.code.code}"

    def delete(self, *args, **kwargs):
        raise ValidationError("Register entries are kept for six years and cannot be deleted.")


class TruancyAlert(models.Model):
    """A pupil seen earlier today (at the AM/PM register or in an earlier lesson) who is absent or
    unmarked in this lesson with no known reason. Raised for the head of year and the office; a
    pupil who turns up clears it, with a record of where they were."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="truancy_alerts")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="truancy_alerts")
    register = models.ForeignKey(LessonRegister, on_delete=models.PROTECT, related_name="truancy_alerts")
    date = models.DateField()
    raised_at = models.DateTimeField()
    last_seen = models.CharField(max_length=200, help_text="Where the pupil was last marked present today")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    where_they_were = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at"]
        constraints = [models.UniqueConstraint(fields=["pupil", "register"], name="one_truancy_alert_per_lesson")]
        indexes = [models.Index(fields=["school", "date", "state"])]

    def __str__(self):
        return f"{self.pupil} missing from {self.register}"
