"""Pre-filling the statutory register from the lesson that holds it: where the school's timetable
says a period holds the AM or PM register (`Period.holds_session`) and the school pre-fills
(`TimetableSettings.prefill_statutory`), the statutory register page shows that lesson's marks as
the suggested marks of its unmarked pupils. Nothing is written here: the teacher still submits
the register, through the register rule, and a lesson mark never changes a statutory mark."""

from __future__ import annotations

import datetime as dt

from django.dispatch import receiver

from registers.signals import Suggestion, register_suggestions

from .models import LessonMark


@receiver(register_suggestions, dispatch_uid="lessons.prefill")
def lesson_suggestions(sender, register, pupil_ids, **kwargs) -> dict[int, Suggestion]:
    """The marks of the lesson holding `register`'s session, for `pupil_ids` — one query. A late
    pupil's arrival is the lesson's late time plus their minutes, so the statutory register's own
    times decide between present, L and U."""
    rows = LessonMark.objects.filter(
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
    found = {}
    for pupil_id, code, minutes, starts, period, group, late_after in rows:
        arrived = None
        if minutes is not None:
            late = dt.datetime.combine(register.date, starts) + dt.timedelta(minutes=late_after + minutes)
            arrived = late.time()
        found[pupil_id] = Suggestion(code=code, arrived=arrived, source=f"{group} {period}")
    return found
