"""Changing the timetable from a date, so history stays right: the row that held before the
date is ended the day before, a new row holds from it, and lesson registers already taken keep
pointing at the lesson they were taken in. A lesson (or a period whose lessons) has a register
or an arranged cover on or after the date cannot change from that date — the message says the
earliest date it can — and a lesson with registers is never deleted.

One place for the rule, used by the timetable import and by the timetable pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from registers.imports import save_if_changed

from ..models import Cover, Dated, Lesson, LessonRegister, Period

DAY = dt.timedelta(days=1)


class TooLate(ValueError):
    """The change would rewrite what registers (or cover) already on record were for."""


def holding_from(day: dt.date) -> Q:
    """Rows that hold on `day` or start after it: the ones a change from `day` touches."""
    return Q(valid_to__isnull=True) | Q(valid_to__gte=day)


def check_free(lessons: Iterable[Lesson], day: dt.date, what: str) -> None:
    """Refuse a change from `day` to lessons with a register or cover on or after it."""
    ids = [lesson.pk for lesson in lessons if lesson.pk]
    if not ids:
        return
    register = LessonRegister.objects.filter(lesson_id__in=ids, date__gte=day).order_by("-date").first()
    if register is not None:
        raise TooLate(
            f"{what} already has a lesson register on {register.date:%d/%m/%Y}, so it cannot change from "
            f"{day:%d/%m/%Y}: make the change from {register.date + DAY:%d/%m/%Y} or later"
        )
    cover = Cover.objects.filter(lesson_id__in=ids, date__gte=day).order_by("-date").first()
    if cover is not None:
        raise TooLate(
            f"{what} has cover arranged on {cover.date:%d/%m/%Y}, so it cannot change from {day:%d/%m/%Y}: "
            f"cancel the cover first, or make the change from {cover.date + DAY:%d/%m/%Y} or later"
        )


def lessons_of_period(period: Period, day: dt.date) -> list[Lesson]:
    return list(period.lessons.filter(holding_from(day)))


def end_row(row: Dated, day: dt.date, *, reason: str) -> str:
    """Stop a row holding from `day`: end it the day before, or delete it if it had not begun
    (the caller has checked it has no registers from `day`). Returns what happened, in words."""
    if row.valid_from >= day:
        row._change_reason = reason
        row.delete()
        return f"removed (it was to start on {row.valid_from:%d/%m/%Y})"
    save_if_changed(row, {"valid_to": day - DAY}, reason=reason)
    return f"ends on {day - DAY:%d/%m/%Y}"


def change_from(row: Dated, day: dt.date, values: dict, *, reason: str) -> Dated:
    """The row with `values` from `day`: changed in place when it starts on `day`, otherwise
    ended the day before and copied (the caller has checked nothing on record stands in the way).
    Returns the row that holds from `day`."""
    if row.valid_from == day:
        save_if_changed(row, values, reason=reason)
        return row
    new = type(row).objects.get(pk=row.pk)
    new.pk = new.id = None
    new.valid_from = day
    save_if_changed(row, {"valid_to": day - DAY}, reason=reason)
    save_if_changed(new, values, reason=reason)
    return new


def move_lessons(old: Period, new: Period, day: dt.date, *, reason: str) -> int:
    """A period replaced from `day` takes its lessons with it: each holds in the new period
    from `day` (checked free by the caller). Returns how many moved."""
    moved = 0
    for lesson in lessons_of_period(old, day):
        if lesson.valid_from >= day:
            save_if_changed(lesson, {"period": new}, reason=reason)
        else:
            copy = Lesson.objects.get(pk=lesson.pk)
            copy.pk = copy.id = None
            copy.valid_from = day
            save_if_changed(lesson, {"valid_to": day - DAY}, reason=reason)
            save_if_changed(copy, {"period": new}, reason=reason)
        moved += 1
    return moved
