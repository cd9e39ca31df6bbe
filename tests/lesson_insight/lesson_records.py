"""A small secondary timetable on the real 2026/27 calendar, and lesson registers, lesson marks
and internal-truancy alerts written as rows (the tests of triggers, analysis, the pupil page and
the API read them; the taking service has tests of its own)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from lessons.models import Lesson, LessonMark, LessonRegister, Period, Room, TeachingGroup, TruancyAlert
from registers.models import AttendanceCode
from tests.factories import PupilFactory

D = dt.date
TERM_START = D(2026, 9, 1)
# (name, starts, ends, statutory register held): registration is taken in P1 and P4
PERIODS = [
    ("P1", dt.time(8, 50), dt.time(9, 50), "AM"),
    ("P2", dt.time(9, 50), dt.time(10, 50), ""),
    ("P3", dt.time(11, 10), dt.time(12, 10), ""),
    ("P4", dt.time(13, 0), dt.time(14, 0), "PM"),
    ("P5", dt.time(14, 0), dt.time(15, 0), ""),
]


def periods(school) -> dict[str, Period]:
    """The school's five periods (made once)."""
    made = {p.name: p for p in Period.objects.filter(school=school)}
    for name, starts, ends, holds in PERIODS:
        if name not in made:
            made[name] = Period.objects.create(
                school=school, name=name, starts=starts, ends=ends, holds_session=holds, valid_from=TERM_START
            )
    return made


def teaching_group(school, name, subject, year, pupils=(), teacher=None, starts=TERM_START) -> TeachingGroup:
    group = TeachingGroup.objects.create(school=school, name=name, subject=subject, year=year)
    if teacher is not None:
        group.teachers.add(teacher)
    for pupil in pupils:
        group.memberships.create(pupil=pupil, starts=starts)
    return group


def lesson(group, period_name, weekday, teacher=None, room=None) -> Lesson:
    period = periods(group.school)[period_name]
    if room is not None:
        room, _ = Room.objects.get_or_create(school=group.school, code=room)
    return Lesson.objects.create(
        school=group.school,
        group=group,
        period=period,
        weekday=weekday,
        teacher=teacher,
        room=room,
        valid_from=TERM_START,
    )


def register(lesson_, day) -> LessonRegister:
    """The lesson's register on `day`, taken (made once)."""
    session = "AM" if lesson_.period.starts < dt.time(12, 30) else "PM"
    found, _ = LessonRegister.objects.get_or_create(
        lesson=lesson_,
        date=day,
        defaults={"school_id": lesson_.school_id, "session": session, "state": LessonRegister.State.TAKEN},
    )
    return found


def code(symbol) -> AttendanceCode:
    return AttendanceCode.objects.filter(code=symbol, valid_to__isnull=True).order_by("-valid_from").first()


def mark(lesson_, day, pupil, symbol, minutes=None) -> LessonMark:
    """One lesson mark for `pupil` on `day` ('/' or '\\' present, 'L' late, 'O' absent …)."""
    reg = register(lesson_, day)
    return LessonMark.objects.create(
        school_id=lesson_.school_id,
        pupil=pupil,
        register=reg,
        date=day,
        code=code(symbol),
        minutes_late=minutes,
        source=LessonMark.Source.TEACHER,
        recorded_by_name="Test suite",
        recorded_by_position="Subject teacher",
        recorded_at=timezone.make_aware(dt.datetime.combine(day, lesson_.period.starts)),
    )


def alert(lesson_, day, pupil, *, resolved=False) -> TruancyAlert:
    reg = register(lesson_, day)
    at = timezone.make_aware(dt.datetime.combine(day, lesson_.period.starts)) + dt.timedelta(minutes=10)
    return TruancyAlert.objects.create(
        school_id=lesson_.school_id,
        pupil=pupil,
        register=reg,
        date=day,
        raised_at=at,
        last_seen="P1 registration",
        state=TruancyAlert.State.RESOLVED if resolved else TruancyAlert.State.OPEN,
        resolved_at=at + dt.timedelta(minutes=20) if resolved else None,
        where_they_were="With the school nurse" if resolved else "",
    )


def secondary_pupil(school, forename="Sam", surname="Okoro", year=8, **extra):
    return PupilFactory(
        school=school,
        legal_forename=forename,
        legal_surname=surname,
        year=year,
        date_of_birth=D(2026 - 5 - year, 3, 14),
        **extra,
    )
