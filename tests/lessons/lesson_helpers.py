"""Shared set-up for the lesson register tests: the secondary school's data, its clock, and
classes and lessons made to measure (tests/lessons/conftest.py makes the usual ones)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from lessons.models import Lesson, LessonRegister, Membership, Room, TeachingGroup
from lessons.services import open_lesson_register
from lessons.taking import lesson_roll, lesson_taker, take_lesson_register
from registers.models import RegistrationGroup, Staff
from tests.factories import PupilFactory

P = Staff.Position
LONDON = ZoneInfo("Europe/London")
TUESDAY = dt.date(2026, 12, 8)  # a Tuesday in the autumn term 2026
SATURDAY = dt.date(2026, 12, 12)
TERM_START = dt.date(2026, 9, 3)
PERIODS = [
    ("P1", dt.time(8, 40), dt.time(9, 40), "AM"),
    ("P2", dt.time(9, 40), dt.time(10, 40), ""),
    ("P3", dt.time(11, 0), dt.time(12, 0), ""),
    ("P4", dt.time(12, 0), dt.time(13, 0), ""),
    ("P5", dt.time(13, 50), dt.time(14, 50), ""),
]
SECONDARY_SCHOOL = {
    "urn": "100031",
    "name": "Oakfield Academy",
    "establishment_number": "4031",
    "phase": "secondary",
    "register_times": {
        "secondary": {
            "am": {"opens": "08:40", "late_after": "08:50", "closes": "09:10"},
            "pm": {"opens": "13:40", "late_after": "13:50", "closes": "14:10"},
        }
    },
    "groups": [
        {"name": "10X", "year": 10, "phase": "secondary"},
        {"name": "10Y", "year": 10, "phase": "secondary"},
        {"name": "9X", "year": 9, "phase": "secondary"},
    ],
}


def clock(hour, minute, second=0, day=TUESDAY):
    """The server's clock at `hour:minute` (school time) on `day`."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON), tick=False
    )


def at(hour, minute, day=TUESDAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def make_class(school, name, n, teacher, *, subject="Maths", form="10X"):
    """A teaching group of `n` Year 10 pupils (all in form group `form`) taught by `teacher`."""
    group = TeachingGroup.objects.create(school=school, name=name, subject=subject, year=10)
    group.teachers.add(teacher)
    form_group = RegistrationGroup.objects.get(school=school, name=form)
    pupils = [
        PupilFactory(school=school, year=10, group=form_group, legal_surname=f"{name[-3:]}{i:02d}") for i in range(n)
    ]
    Membership.objects.bulk_create([Membership(group=group, pupil=p, starts=TERM_START) for p in pupils])
    return group, pupils


def make_lesson(school, group, period, teacher, weekday=2):
    room, _ = Room.objects.get_or_create(school=school, code="M4", defaults={"name": "Maths 4"})
    return Lesson.objects.create(
        school=school, group=group, period=period, weekday=weekday, teacher=teacher, room=room, valid_from=TERM_START
    )


def lesson_register_of(lesson, day=TUESDAY):
    register = open_lesson_register(lesson=lesson, day=day) if day == TUESDAY else None
    if register is None:  # a day with no register: an unsaved one, as the rule may be handed
        return LessonRegister(school=lesson.school, lesson=lesson, date=day, session="AM")
    return LessonRegister.objects.select_related("lesson__period", "lesson__group", "school").get(pk=register.pk)


def take_lesson(lesson, staff, wishes, moment, *, day=TUESDAY, reason="", all_present=False):
    register = lesson_register_of(lesson, day)
    taker = lesson_taker(staff.user, staff, register)
    assert taker is not None, f"{staff} may not take {register}"
    return take_lesson_register(
        register=register,
        taker=taker,
        roll=lesson_roll(register),
        wishes=wishes,
        now=moment,
        reason=reason,
        all_present=all_present,
    )
