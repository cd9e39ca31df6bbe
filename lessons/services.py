"""The lesson register's book: the only code that writes lesson marks.

A lesson mark is kept like a statutory mark — the national code valid on the day (the same code
table), a new version with a reason for every change, a history row written before the change
(the database refuses one without it: `registers.audit_triggers`), who recorded it, their
position, when and from where — but it is a record of its own: nothing here touches
`registers.Mark`, so a lesson never changes a pupil's AM/PM mark.

`lessons.taking` decides what may be written (the one register rule, `registers.taking`); this
module validates and writes it, all or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from registers.calendar import describe_non_school_day
from registers.models import PM, RegisterTime, SchoolDay
from registers.services import (
    CLOSURE_CODE,
    LATE_CODES,
    MAX_MINUTES_LATE,
    Actor,
    MarkEntry,
    MarkProblem,
    MarkValidationError,
    codes_by_symbol,
    normalise_symbol,
    resolve_code,
)

from .models import Lesson, LessonMark, LessonRegister
from .timetable import pupils_in

NOON = dt.time(12, 0)


@dataclass
class LessonWriteResult:
    created: list[LessonMark] = field(default_factory=list)
    amended: list[LessonMark] = field(default_factory=list)
    unchanged: list[LessonMark] = field(default_factory=list)


def session_of(lesson: Lesson) -> str:
    """The statutory session a lesson falls in (it decides the present symbol): the one its period
    holds, else AM before the phase's afternoon register opens (noon when no times are set), PM after."""
    period = lesson.period
    if period.holds_session:
        return period.holds_session
    pm = RegisterTime.objects.filter(school_id=lesson.school_id, phase=period.phase, session=PM).first()
    return PM if period.starts >= (pm.opens if pm else NOON) else "AM"


def open_lesson_register(*, lesson: Lesson, day: dt.date, user=None, cover_teacher=None) -> LessonRegister:
    """The lesson's register on `day`, created ("opened") if nobody has opened it yet; a cover
    teacher opening it is recorded on it."""
    found = LessonRegister.objects.filter(lesson=lesson, date=day).first()
    if found is not None:
        return found
    register = LessonRegister(
        school_id=lesson.school_id, lesson=lesson, date=day, session=session_of(lesson), cover_teacher=cover_teacher
    )
    person = user if user is not None and getattr(user, "pk", None) is not None and user.is_authenticated else None
    register._history_user = person
    register._change_reason = "register opened"
    try:
        with transaction.atomic():
            register.save()
    except IntegrityError:  # opened by someone else at the same moment
        register = LessonRegister.objects.get(lesson=lesson, date=day)
    return register


def record_lesson_marks(
    *,
    register: LessonRegister,
    entries: list[MarkEntry],
    actor: Actor,
    source: str,
    reason: str = "",
    now: dt.datetime | None = None,
    check_only: bool = False,
) -> LessonWriteResult:
    """Validate and write a batch of one lesson register's marks; all or nothing (raises
    `MarkValidationError` listing every problem, writing nothing). `reason` applies to every
    changed entry without its own; a change with no reason is refused. `check_only`: validate,
    write nothing (the register may be unsaved then)."""
    now = now or timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _record(register, entries, actor, source, reason, now, check_only)
        except IntegrityError:
            # Two writers inserted the same pupil's mark at once: go again, the second time as an
            # amendment of what the first wrote (or a conflict it reports).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record(register, entries, actor, source, reason, now, check_only) -> LessonWriteResult:
    problems: list[MarkProblem] = []
    school, day, lesson = register.school, register.date, register.lesson
    codes = codes_by_symbol()
    pupils = {p.pk: p for p in pupils_in(lesson, day).filter(pk__in={e.pupil_id for e in entries})}
    school_day = SchoolDay.objects.filter(school_id=register.school_id, date=day).exists()
    begun = now >= timezone.make_aware(dt.datetime.combine(day, lesson.period.starts))
    existing = {}
    if register.pk is not None:
        existing = {
            m.pupil_id: m
            for m in LessonMark.objects.select_for_update(of=("self",))
            .filter(register=register, pupil_id__in=pupils)
            .select_related("code")
        }
    where = f"{lesson.group.name} {lesson.period.name} on {day:%a %d %b %Y}"
    seen: set[int] = set()
    to_create: list[LessonMark] = []
    to_amend: list[LessonMark] = []
    result = LessonWriteResult()
    for entry in entries:
        pupil = pupils.get(entry.pupil_id)
        who = pupil.name if pupil else f"pupil #{entry.pupil_id}"
        symbol = normalise_symbol(entry.code, register.session)

        def refuse(message: str, conflict: bool = False, _entry=entry):
            problems.append(MarkProblem(_entry, message, conflict))

        if entry.date != day:
            refuse(f"{who}: a mark for {entry.date:%a %d %b %Y} does not belong in the {where} register.")
            continue
        if not school_day:
            refuse(f"{day:%a %d %b %Y} is not a school day: {describe_non_school_day(school, day)}.")
            continue
        if pupil is None:
            refuse(f"{who} is not in {where}.")
            continue
        if entry.pupil_id in seen:
            refuse(f"{who} appears more than once in the {where} register.")
            continue
        seen.add(entry.pupil_id)
        code = resolve_code(codes, symbol, day)
        if isinstance(code, str):
            refuse(f"{who}, {where}: {code}")
            continue
        if symbol == CLOSURE_CODE:
            refuse(f"{who}, {where}: # is for the statutory register of a planned closure, not a lesson.")
            continue
        if entry.sub_reason_id is not None:
            refuse(f"{who}, {where}: sub-reasons belong to the statutory register's marks.")
            continue
        if not code.plannable and not begun:
            refuse(
                f"{who}, {where}: {symbol} can't be recorded before the lesson starts at "
                f"{lesson.period.starts:%H:%M}. Only planned absence may be entered ahead."
            )
            continue
        minutes = entry.minutes_late if symbol in LATE_CODES else None  # minutes late belong only to L and U
        if minutes is not None and not 0 <= minutes <= MAX_MINUTES_LATE:
            refuse(f"{who}, {where}: minutes late must be between 0 and {MAX_MINUTES_LATE}.")
            continue
        current = existing.get(pupil.pk)
        if entry.expected_version is not None and (current.version if current else 0) != entry.expected_version:
            if current is None:
                refuse(f"{who}, {where}: the mark you saw has gone; reload the register.", conflict=True)
            else:
                refuse(
                    f"{who}, {where}: {current.recorded_by_name} recorded {current.code.code} at "
                    f"{timezone.localtime(current.recorded_at):%H:%M} after you loaded the page.",
                    conflict=True,
                )
            continue
        if current is not None:
            if (current.code_id, current.minutes_late, current.comment) == (code.id, minutes, entry.comment):
                result.unchanged.append(current)
                continue
            why = (entry.reason or reason).strip()
            if not why:
                refuse(
                    f"{who}, {where}: changing {current.code.code} to {code.code} needs a reason "
                    "(the register keeps the original entry and why it changed)."
                )
                continue
            current.code, current.minutes_late, current.comment = code, minutes, entry.comment
            current.version += 1
            current.reason = why
            _stamp(current, actor, source, now)
            to_amend.append(current)
        else:
            mark = LessonMark(
                school_id=register.school_id,
                pupil=pupil,
                register=register,
                date=day,
                code=code,
                minutes_late=minutes,
                comment=entry.comment,
                reason=entry.reason,
            )
            _stamp(mark, actor, source, now)
            to_create.append(mark)

    if problems:
        raise MarkValidationError(problems)
    if check_only:
        return result
    if to_create:
        LessonMark._base_manager.bulk_create(to_create)
        LessonMark.history.bulk_history_create(to_create, default_date=now)
    if to_amend:
        # History first: the database refuses a changed mark whose history row is not already there.
        LessonMark.history.bulk_history_create(to_amend, update=True, default_date=now)
        LessonMark._base_manager.bulk_update(
            to_amend,
            [
                "code",
                "minutes_late",
                "comment",
                "version",
                "reason",
                "source",
                "recorded_by",
                "recorded_by_name",
                "recorded_by_position",
                "recorded_at",
            ],
        )
    result.created, result.amended = to_create, to_amend
    return result


def _stamp(mark: LessonMark, actor: Actor, source: str, now) -> None:
    mark.source = source
    mark.recorded_by = actor.user
    mark.recorded_by_name = actor.name
    mark.recorded_by_position = actor.position
    mark.recorded_at = now
    mark._history_user = actor.user
    mark._change_reason = mark.reason


def mark_lesson_register_taken(*, register: LessonRegister, actor: Actor, now, cover_teacher=None) -> bool:
    """Record the lesson register taken (once; its history row first, as the database requires),
    with the cover teacher who took it. The row is locked first, so two devices finishing the same
    register at once record it taken once. Whether it became taken now."""
    current = LessonRegister.objects.select_for_update().get(pk=register.pk)
    if current.state != LessonRegister.State.NOT_TAKEN:
        register.state, register.taken_by_id, register.taken_at = current.state, current.taken_by_id, current.taken_at
        return False
    register.state = LessonRegister.State.TAKEN
    register.taken_by = actor.user
    register.taken_at = now
    if cover_teacher is not None:
        register.cover_teacher = cover_teacher
    register._history_user = actor.user
    cover = (
        f", covering for {register.lesson.teacher.display_name}" if cover_teacher and register.lesson.teacher else ""
    )
    register._change_reason = f"taken by {actor.name} ({actor.position}){cover}"
    LessonRegister.history.bulk_history_create([register], update=True, default_date=now)
    register.save_without_historical_record(update_fields=["state", "taken_by", "taken_at", "cover_teacher"])
    return True
