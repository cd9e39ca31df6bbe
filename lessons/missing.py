"""Missing lesson registers, live: today's lessons with no taken register `missing_after_minutes`
(the school's timetable settings; 15 unless it says otherwise) after they start — for the office,
and for a head of year their years' lessons. Like the statutory missing-registers page, in a fixed
number of queries whatever the size of the timetable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from registers.models import Staff
from registers.timing import at

from .models import Cover, Lesson, LessonRegister, Membership, TimetableSettings
from .timetable import lessons_on

DEFAULT_MISSING_AFTER = TimetableSettings._meta.get_field("missing_after_minutes").default


@dataclass
class MissingLesson:
    lesson: Lesson
    teacher: Staff | None  # whoever should take it: the cover teacher when there is one
    covered: bool
    overdue: int  # minutes since the lesson started
    ended: bool


def missing_after(school) -> int:
    settings = TimetableSettings.objects.filter(school=school).first()
    return settings.missing_after_minutes if settings else DEFAULT_MISSING_AFTER


def missing_lesson_registers(school, now: dt.datetime, *, years: set[int] | None = None) -> list[MissingLesson]:
    """Today's lessons (with pupils in them) not registered `missing_after` minutes after they
    started, longest overdue first. Four queries."""
    local = timezone.localtime(now)
    today = local.date()
    cutoff = local - dt.timedelta(minutes=missing_after(school))
    if cutoff.date() != today:
        return []  # too early in the day for any lesson to be overdue
    taken = LessonRegister.objects.filter(lesson=OuterRef("pk"), date=today, state=LessonRegister.State.TAKEN)
    members = Membership.objects.filter(group_id=OuterRef("group_id")).filter(Membership.on(today))
    lessons = (
        lessons_on(school, today)
        .filter(period__starts__lte=cutoff.time())
        .filter(~Exists(taken), Exists(members))
        .prefetch_related(
            Prefetch(
                "covers",
                queryset=Cover.objects.filter(date=today).select_related("teacher__user"),
                to_attr="todays_covers",
            )
        )
    )
    if years is not None:
        lessons = lessons.filter(group__year__in=years)
    result = []
    for lesson in lessons:
        cover = lesson.todays_covers[0] if lesson.todays_covers else None
        starts = at(today, lesson.period.starts)
        result.append(
            MissingLesson(
                lesson=lesson,
                teacher=cover.teacher if cover else lesson.teacher,
                covered=cover is not None,
                overdue=int((now - starts).total_seconds() // 60),
                ended=now >= at(today, lesson.period.ends),
            )
        )
    result.sort(key=lambda m: (-m.overdue, m.lesson.group.year, m.lesson.group.name))
    return result
