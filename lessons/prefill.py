"""Pre-filling the statutory register from the lesson that holds it: where the school's timetable
says a period holds the AM or PM register (`Period.holds_session`) and the school pre-fills
(`TimetableSettings.prefill_statutory`), the statutory register page shows that lesson's marks as
the suggested marks of its unmarked pupils. Nothing is written here: the teacher still submits
the register, through the register rule, and a lesson mark never changes a statutory mark."""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.db import connection
from django.dispatch import receiver

from registers.models import AttendanceCode
from registers.signals import Suggestion, register_suggestions

from .models import Lesson, LessonMark, LessonRegister, Period, TeachingGroup, TimetableSettings


@receiver(register_suggestions, dispatch_uid="lessons.prefill")
def lesson_suggestions(sender, register, pupil_ids, **kwargs) -> dict[int, Suggestion]:
    """The marks of the lesson holding `register`'s session, for `pupil_ids` — one query. A late
    pupil's arrival is the lesson's late time plus their minutes, so the statutory register's own
    times decide between present, L and U."""
    if not pupil_ids:
        return {}  # as the queryset, which asks nothing for an empty list
    if connection.vendor == "postgresql":
        # Every GET of a statutory register asks, and most schools have no lesson holding it: the
        # same query as below, written once, rather than a queryset of six joins compiled every time.
        with connection.cursor() as cursor:
            cursor.execute(_suggestions_sql(), [register.school_id, register.date, list(pupil_ids), register.session])
            rows = cursor.fetchall()
    else:
        rows = _suggestions_queryset(register, pupil_ids)
    found = {}
    for pupil_id, code, minutes, starts, period, group, late_after in rows:
        arrived = None
        if minutes is not None:
            late = dt.datetime.combine(register.date, starts) + dt.timedelta(minutes=late_after + minutes)
            arrived = late.time()
        found[pupil_id] = Suggestion(code=code, arrived=arrived, source=f"{group} {period}")
    return found


def _suggestions_queryset(register, pupil_ids):
    """What `lesson_suggestions` reads, in the order the last lesson of the session wins."""
    return LessonMark.objects.filter(
        school_id=register.school_id,
        date=register.date,
        pupil_id__in=pupil_ids,
        register__lesson__period__holds_session=register.session,
        school__timetable_settings__prefill_statutory=True,
    ).values_list(
        "pupil_id",
        "code__code",
        "minutes_late",
        "register__lesson__period__starts",
        "register__lesson__period__name",
        "register__lesson__group__name",
        "school__timetable_settings__late_after_minutes",
    )


@cache
def _suggestions_sql() -> str:
    """`_suggestions_queryset`'s SQL (the school, the date, the pupils as an array, the session)."""
    mark, register, lesson, period, settings, code, group = (
        m._meta.db_table
        for m in (LessonMark, LessonRegister, Lesson, Period, TimetableSettings, AttendanceCode, TeachingGroup)
    )
    return (
        'SELECT m."pupil_id", c."code", m."minutes_late", p."starts", p."name", g."name", s."late_after_minutes" '
        f'FROM "{mark}" m JOIN "{register}" r ON r."id" = m."register_id" JOIN "{lesson}" l ON l."id" = r."lesson_id" '
        f'JOIN "{period}" p ON p."id" = l."period_id" JOIN "{settings}" s ON s."school_id" = m."school_id" '
        f'JOIN "{code}" c ON c."id" = m."code_id" JOIN "{group}" g ON g."id" = l."group_id" '
        'WHERE m."school_id" = %s AND m."date" = %s AND m."pupil_id" = ANY(%s::bigint[]) AND p."holds_session" = %s '
        'AND s."prefill_statutory" ORDER BY m."date", r."date", p."starts"'
    )
