"""Changes made on the timetable pages: a period or lesson changed from a date (dated, never
overwritten once a lesson has registers: `imports.dated`), a lesson ended, a pupil joining or
leaving a teaching group. Each is one transaction and refuses with a message the data manager
can act on (`TimetableError`), writing nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from registers.imports import save_if_changed
from registers.models import Enrolment, Pupil, School

from .imports.dated import DAY, TooLate, change_from, check_free, end_row, holding_from, lessons_of_period, move_lessons
from .imports.lessons import lesson_label
from .models import Dated, Lesson, Membership, Period, TeachingGroup


class TimetableError(ValueError):
    """The change was refused; nothing was written."""


@transaction.atomic
def save_period(*, school: School, period: Period | None, values: dict, day: dt.date) -> Period:
    """A new period from `day`, or a period's times changed from `day` (its lessons move with it)."""
    phase, name = values["phase"], values["name"]
    others = Period.objects.filter(school=school, phase=phase).filter(Dated.on(day))
    if period is not None:
        others = others.exclude(pk=period.pk)
    for other in others:
        if other.name == name:
            raise TimetableError(f"There is already a period {name} on {day:%d/%m/%Y}.")
        if values["starts"] < other.ends and other.starts < values["ends"]:
            raise TimetableError(
                f"{name} ({values['starts']:%H:%M}–{values['ends']:%H:%M}) overlaps {other.name} "
                f"({other.starts:%H:%M}–{other.ends:%H:%M}): periods of one day cannot overlap."
            )
        if values["holds_session"] and other.holds_session == values["holds_session"]:
            raise TimetableError(f"{other.name} already holds the {other.holds_session} register.")
    reason = "changed on the timetable pages"
    if period is None:
        period = Period(school=school, valid_from=day)
        save_if_changed(period, values, reason=reason)
        return period
    if day < period.valid_from:
        raise TimetableError(f"{period.name} begins on {period.valid_from:%d/%m/%Y}: change it from then or later.")
    if all(getattr(period, key) == value for key, value in values.items()):
        return period  # nothing to change: no new row, no history
    try:
        check_free(lessons_of_period(period, day), day, f"A lesson in {period.name}")
    except TooLate as exc:
        raise TimetableError(f"{exc}.") from None
    new = change_from(period, day, values, reason=reason)
    if new.pk != period.pk:
        move_lessons(period, new, day, reason=reason)
    return new


def clashes(*, school: School, values: dict, day: dt.date, exclude: Lesson | None) -> list[str]:
    """What the lesson would meet at the same time from `day`: the group, the teacher or the
    room in another lesson (weeks that meet: every week meets A and B)."""
    period: Period = values["period"]
    weeks = ["", "A", "B"] if not values["week"] else ["", values["week"]]
    same_time = (
        Lesson.objects.filter(school=school, weekday=values["weekday"], week__in=weeks)
        .filter(holding_from(day))
        .filter(period__starts__lt=period.ends, period__ends__gt=period.starts)
        .select_related("group", "period", "room", "teacher__user")
    )
    if exclude is not None:
        same_time = same_time.exclude(pk=exclude.pk)
    who = Q(group=values["group"])
    if values.get("teacher"):
        who |= Q(teacher=values["teacher"])
    if values.get("room"):
        who |= Q(room=values["room"])
    out = []
    for other in same_time.filter(who):
        label = lesson_label(other.group, other.weekday, other.period, other.week)
        if other.group_id == values["group"].pk:
            out.append(f"{other.group.name} already has {label} at that time.")
        if values.get("teacher") and other.teacher_id == values["teacher"].pk:
            out.append(f"{other.teacher.display_name} already teaches {label} at that time.")
        if values.get("room") and other.room_id == values["room"].pk:
            out.append(f"Room {other.room.code} already has {label} at that time.")
    return out


@transaction.atomic
def save_lesson(*, school: School, group: TeachingGroup, lesson: Lesson | None, values: dict, day: dt.date) -> Lesson:
    """A new lesson of `group` from `day`, or a lesson changed from `day` (the old one ends the
    day before, so its registers keep it)."""
    values = {**values, "group": group}
    period: Period = values["period"]
    if not period.holds_on(day):
        raise TimetableError(
            f"{period.name} ({period.starts:%H:%M}–{period.ends:%H:%M}) is not a period on {day:%d/%m/%Y}: "
            "choose one of that day's periods."
        )
    if lesson is not None and all(getattr(lesson, key) == value for key, value in values.items()):
        return lesson  # nothing to change: no new row, no history
    if problems := clashes(school=school, values=values, day=day, exclude=lesson):
        raise TimetableError(" ".join(problems))
    reason = "changed on the timetable pages"
    if lesson is None:
        lesson = Lesson(school=school, valid_from=day)
        save_if_changed(lesson, values, reason=reason)
        return lesson
    if day < lesson.valid_from:
        raise TimetableError(f"This lesson begins on {lesson.valid_from:%d/%m/%Y}: change it from then or later.")
    try:
        check_free([lesson], day, str(lesson))
    except TooLate as exc:
        raise TimetableError(f"{exc}.") from None
    return change_from(lesson, day, values, reason=reason)


@transaction.atomic
def end_lesson(*, lesson: Lesson, last_day: dt.date) -> str:
    """The lesson stops after `last_day` (removed if it had not begun; never if it has registers)."""
    try:
        check_free([lesson], last_day + DAY, str(lesson))
    except TooLate as exc:
        raise TimetableError(f"{exc}.") from None
    return end_row(lesson, last_day + DAY, reason="ended on the timetable pages")


@transaction.atomic
def join_group(*, group: TeachingGroup, pupil: Pupil, starts: dt.date) -> Membership:
    if pupil.school_id != group.school_id:
        raise TimetableError("That pupil is not at this school.")
    on_roll = Enrolment.objects.filter(pupil=pupil, admission_date__lte=starts).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=starts)
    )
    if not on_roll.exists():
        raise TimetableError(f"{pupil.legal_forename} {pupil.legal_surname} is not on roll on {starts:%d/%m/%Y}.")
    if Membership.objects.filter(group=group, pupil=pupil).filter(Q(ends__isnull=True) | Q(ends__gte=starts)).exists():
        raise TimetableError(f"{pupil.legal_forename} {pupil.legal_surname} is already in {group.name} then.")
    membership = Membership(group=group, pupil=pupil, starts=starts)
    membership._change_reason = "joined on the timetable pages"
    membership.save()
    return membership


@transaction.atomic
def leave_group(*, membership: Membership, last_day: dt.date) -> None:
    if last_day < membership.starts:
        raise TimetableError(f"The pupil joined on {membership.starts:%d/%m/%Y}: the last day cannot be before it.")
    membership.ends = last_day
    membership._change_reason = "left on the timetable pages"
    membership.save()
