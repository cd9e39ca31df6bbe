"""Taking a lesson's register: the one register rule (`registers.taking.take_register`) with the
lesson's times and the lesson register's own book.

Lesson rules: the register opens when the lesson starts (`Period.starts`), an arrival more than
the school's minutes later (`TimetableSettings.late_after_minutes`, 5 unless set) is late, and
the register closes when the lesson ends. Everything else is the statutory rule: refusals, late
decided by the arrival time, a closed register changed only by the office with a reason,
conflicts against the version the taker saw, all or nothing.

Who takes it: the lesson's teacher; a teacher covering it (arranged as a `Cover` for the date, or
already recorded on the register as its cover teacher) — their marks' source is "cover" and the
register records them; the office (any lesson of its school, with a reason for any change). A
teacher who neither teaches nor covers the lesson is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, FilteredRelation, IntegerField, Q, Value

from registers.models import Staff
from registers.permissions import OFFICE_TEAM
from registers.register_selectors import Times
from registers.services import Actor
from registers.taking import MarkWish, TakenBy, Taker, TakeResult, take_register

from .models import Cover, LessonMark, LessonRegister, TimetableSettings
from .services import mark_lesson_register_taken, open_lesson_register, record_lesson_marks
from .signals import lesson_marks_written
from .timetable import pupils_in

DEFAULT_LATE_AFTER_MINUTES = TimetableSettings._meta.get_field("late_after_minutes").default
SOURCES = {Taker.TEACHER: LessonMark.Source.TEACHER, Taker.OFFICE: LessonMark.Source.OFFICE}


def lesson_times(register: LessonRegister, late_after_minutes: int | None = None) -> Times:
    """When the lesson's register opens (the lesson starts), after which an arrival is late and when
    it closes (the lesson ends). `late_after_minutes`: the school's, read here when not given."""
    if late_after_minutes is None:
        settings = TimetableSettings.objects.filter(school_id=register.school_id).first()
        late_after_minutes = settings.late_after_minutes if settings else DEFAULT_LATE_AFTER_MINUTES
    period = register.lesson.period
    late = dt.datetime.combine(register.date, period.starts) + dt.timedelta(minutes=late_after_minutes)
    return Times(opens=period.starts, late_after=min(late.time(), period.ends), closes=period.ends)


@dataclass(frozen=True)
class LessonTaker:
    """Who is taking a lesson's register: as the rule tells them apart, and the cover teacher (the
    taker themselves, when they take it covering the lesson)."""

    taken_by: TakenBy
    cover: Staff | None = None

    @property
    def source(self) -> str:
        if self.taken_by.kind == Taker.TEACHER and self.cover is not None:
            return LessonMark.Source.COVER
        return SOURCES.get(self.taken_by.kind, LessonMark.Source.API)


def covering(staff: Staff | None, register: LessonRegister) -> bool:
    """Whether `staff` covers the lesson on the register's date (one query unless recorded on it)."""
    if staff is None:
        return False
    if register.cover_teacher_id == staff.pk:
        return True
    return Cover.objects.filter(lesson_id=register.lesson_id, date=register.date, teacher=staff).exists()


def lesson_taker(user, staff: Staff | None, register: LessonRegister) -> LessonTaker | None:
    """Who `user` is to this lesson's register, or None when they may not take it."""
    actor = Actor.for_staff(user, staff)
    if staff is not None and staff.school_id == register.school_id:
        if register.lesson.teacher_id == staff.pk:
            return LessonTaker(TakenBy(Taker.TEACHER, actor))
        if covering(staff, register):
            return LessonTaker(TakenBy(Taker.TEACHER, actor), cover=staff)
        if staff.position in OFFICE_TEAM:
            return LessonTaker(TakenBy(Taker.OFFICE, actor))
        return None
    if user.is_superuser:
        return LessonTaker(TakenBy(Taker.OFFICE, actor))
    return None


class LessonBook:
    """The lesson register's book for `registers.taking`: lesson marks, written by
    `lessons.services` (never a statutory mark), and the lesson register marked taken."""

    def __init__(self, taker: LessonTaker):
        self.taker = taker

    def no_times(self, register) -> str:
        return f"the lesson {register} has no period times. Ask the office to set them."

    def open(self, register, taken_by):
        return open_lesson_register(
            lesson=register.lesson, day=register.date, user=taken_by.actor.user, cover_teacher=self.taker.cover
        )

    def record(self, *, register, entries, taken_by, reason, now, check_only):
        return record_lesson_marks(
            register=register,
            entries=entries,
            actor=taken_by.actor,
            source=self.taker.source,
            reason=reason,
            now=now,
            check_only=check_only,
        )

    def take_if_complete(self, *, register, roll, marked, taken_by, now):
        if register.state != LessonRegister.State.NOT_TAKEN or any(pupil_id not in marked for pupil_id in roll):
            return False
        return mark_lesson_register_taken(
            register=register, actor=taken_by.actor, now=now, cover_teacher=self.taker.cover
        )


def lesson_roll(register: LessonRegister) -> list:
    """Pupils in the lesson on the register's date, in register order, each with this lesson's mark
    as the `mark_*` attributes `registers.taking` reads — one query."""
    # A register nobody has opened has no marks: a condition no mark meets (an empty `__in` would
    # make the whole query empty, pupils too).
    marks = Q(lesson_marks__register_id=register.pk) if register.pk is not None else Q(lesson_marks__isnull=True)
    return list(
        pupils_in(register.lesson, register.date)
        .annotate(this_mark=FilteredRelation("lesson_marks", condition=marks))
        .annotate(
            mark_id=F("this_mark__id"),
            mark_code=F("this_mark__code__code"),
            mark_category=F("this_mark__code__category"),
            mark_minutes=F("this_mark__minutes_late"),
            mark_comment=F("this_mark__comment"),
            mark_sub_reason_id=Value(None, output_field=IntegerField()),
            mark_version=F("this_mark__version"),
            mark_source=F("this_mark__source"),
            mark_by=F("this_mark__recorded_by_name"),
            mark_position=F("this_mark__recorded_by_position"),
            mark_at=F("this_mark__recorded_at"),
        )
        .order_by("legal_surname", "legal_forename", "pk")
    )


def take_lesson_register(
    *,
    register: LessonRegister,
    taker: LessonTaker,
    roll: Sequence,
    wishes: Sequence[MarkWish],
    now: dt.datetime,
    times: Times | None = None,
    reason: str = "",
    all_present: bool = False,
) -> TakeResult:
    """Take (or amend) a lesson's register through the one register rule; all or nothing. Once
    the marks are committed, `lessons.signals.lesson_marks_written` tells the rest of the app
    (the internal-truancy check) which pupils' marks were written."""
    result = take_register(
        register=register,
        times=times or lesson_times(register),
        roll=roll,
        wishes=wishes,
        taken_by=taker.taken_by,
        now=now,
        reason=reason,
        all_present=all_present,
        book=LessonBook(taker),
    )
    written = result.created + result.amended
    if result.ok and written:
        saved = result.register
        transaction.on_commit(
            lambda: lesson_marks_written.send(sender=LessonRegister, register=saved, pupil_ids=written, now=now)
        )
    return result
