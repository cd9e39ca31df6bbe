"""A secondary school with a Tuesday timetable, for the internal-truancy and missing lesson register
tests: Hillside Academy on the same real calendar as the other test schools, Tuesday 8 December
2026, Year 10 (10X) and Year 9 (9A).

`take` makes lesson registers and marks as rows (inserts: the rule's edge cases, such as a pupil
left unmarked in a register recorded as taken); `teach` takes a lesson's register through the
lesson register service (`lessons.taking`), as the page does. Statutory marks go through the
register service, as everywhere."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.test import TestCase

from lessons.models import Lesson, LessonMark, LessonRegister, Membership, Period, Room, TeachingGroup
from lessons.services import open_lesson_register
from lessons.signals import lesson_marks_written
from lessons.taking import lesson_roll, lesson_taker, take_lesson_register
from registers.models import AttendanceCode, Pupil, Staff
from registers.services import Actor, MarkEntry, record_marks
from registers.taking import MarkWish
from registers.timing import at
from tests.factories import PupilFactory, make_school, make_staff

DAY = dt.date(2026, 12, 8)  # a Tuesday in the autumn term
TERM_START = dt.date(2026, 9, 3)
P = Staff.Position

SECONDARY = {
    "urn": "100020",
    "name": "Hillside Academy",
    "establishment_number": "4001",
    "phase": "secondary",
    "register_times": {
        "secondary": {
            "am": {"opens": "08:35", "late_after": "08:45", "closes": "09:05"},
            "pm": {"opens": "13:20", "late_after": "13:25", "closes": "13:50"},
        }
    },
    "groups": [
        {"name": "9A", "year": 9, "phase": "secondary"},
        {"name": "10X", "year": 10, "phase": "secondary"},
    ],
}

PERIODS = [
    ("P1", "08:50", "09:50", "AM"),
    ("P2", "10:00", "11:00", ""),
    ("P3", "11:20", "12:20", ""),
    ("P4", "12:20", "13:20", ""),
    ("P5", "13:30", "14:30", "PM"),
]


def moment(hhmm: str) -> dt.datetime:
    return at(DAY, dt.time.fromisoformat(hhmm))


@dataclass
class Secondary:
    school: object
    teachers: dict[str, Staff]
    periods: dict[str, Period]
    lessons: dict[str, Lesson]
    pupils: dict[str, Pupil]
    groups: dict[str, TeachingGroup] = field(default_factory=dict)

    # --- statutory marks, through the register service ---------------------------------------

    def statutory(self, pupil: str, session: str, code: str, *, at_time="08:45", minutes=None, source="teacher"):
        actor = Actor(self.teachers["tutor"].user, "Ms Patel", "Form tutor")
        entry = MarkEntry(pupil_id=self.pupils[pupil].pk, date=DAY, session=session, code=code, minutes_late=minutes)
        return record_marks(school=self.school, entries=[entry], actor=actor, source=source, now=moment(at_time))

    # --- lesson registers, as rows --------------------------------------------------------------

    def take(self, lesson: str, marks: dict, *, at_time: str, teacher="khan", state="taken") -> LessonRegister:
        """A lesson register taken at `at_time` with `marks` ({pupil: code}); others unmarked."""
        the_lesson = self.lessons[lesson]
        staff = self.teachers[teacher]
        taken = {"state": "taken", "taken_by": staff.user, "taken_at": moment(at_time)} if state == "taken" else {}
        register, _ = LessonRegister.objects.get_or_create(
            lesson=the_lesson,
            date=DAY,
            defaults={"school": self.school, "session": "PM" if the_lesson.period.name == "P5" else "AM", **taken},
        )
        for pupil, code in marks.items():
            LessonMark.objects.create(
                school=self.school,
                pupil=self.pupils[pupil],
                register=register,
                date=DAY,
                code=AttendanceCode.objects.get(code=code, valid_to=None),
                source=LessonMark.Source.TEACHER,
                recorded_by=staff.user,
                recorded_by_name=staff.display_name,
                recorded_by_position=staff.get_position_display(),
                recorded_at=moment(at_time),
            )
        return register

    def teach(self, lesson: str, marks: dict, *, at_time: str, teacher="khan", reason="") -> LessonRegister:
        """The lesson's register taken through the lesson register service, as its page does, and
        what the service leaves for after the commit run (the truancy check)."""
        staff = self.teachers[teacher]
        register = open_lesson_register(lesson=self.lessons[lesson], day=DAY, user=staff.user)
        wishes = [MarkWish(self.pupils[pupil].pk, code) for pupil, code in marks.items()]
        with TestCase.captureOnCommitCallbacks(execute=True):
            result = take_lesson_register(
                register=register,
                taker=lesson_taker(staff.user, staff, register),
                roll=lesson_roll(register),
                wishes=wishes,
                now=moment(at_time),
                reason=reason,
            )
        assert result.ok, [r.message for r in result.refusals]
        return result.register

    def written(self, register: LessonRegister, *, at_time: str):
        """What the lesson register service does after its commit: say the marks were written."""
        pupil_ids = list(register.marks.values_list("pupil_id", flat=True))
        lesson_marks_written.send(sender=LessonRegister, register=register, pupil_ids=pupil_ids, now=moment(at_time))

    def take_and_check(self, lesson: str, marks: dict[str, str], *, at_time: str, **kwargs) -> LessonRegister:
        register = self.take(lesson, marks, at_time=at_time, **kwargs)
        self.written(register, at_time=at_time)
        return register


def make_secondary(*, urn="100020", name="Hillside Academy", establishment="4001", extra_pupils=0) -> Secondary:
    school = make_school(SECONDARY, urn=urn, name=name, establishment_number=establishment)
    teachers = {
        "khan": make_staff(school, P.SUBJECT_TEACHER, f"khan{urn}", "Imran", "Khan", title="Mr"),
        "jones": make_staff(school, P.SUBJECT_TEACHER, f"jones{urn}", "Rhian", "Jones", title="Ms"),
        "reed": make_staff(school, P.SUBJECT_TEACHER, f"reed{urn}", "Ann", "Reed", title="Ms"),
        "tutor": make_staff(school, P.FORM_TUTOR, f"tutor{urn}", "Meera", "Patel", title="Ms"),
    }
    periods = {
        name: Period.objects.create(
            school=school,
            phase="secondary",
            name=name,
            starts=dt.time.fromisoformat(starts),
            ends=dt.time.fromisoformat(ends),
            holds_session=holds,
            valid_from=TERM_START,
        )
        for name, starts, ends, holds in PERIODS
    }
    s4 = Room.objects.create(school=school, code="S4", name="Science 4")
    l3 = Room.objects.create(school=school, code="L3", name="Lab 3")
    e1 = Room.objects.create(school=school, code="E1", name="English 1")
    groups = {
        "10X/Ma1": TeachingGroup.objects.create(school=school, name="10X/Ma1", subject="Maths", year=10),
        "10X/Sc2": TeachingGroup.objects.create(school=school, name="10X/Sc2", subject="Science", year=10),
        "9A/En1": TeachingGroup.objects.create(school=school, name="9A/En1", subject="English", year=9),
    }

    def lesson(group, period, room, teacher):
        return Lesson.objects.create(
            school=school,
            group=groups[group],
            period=periods[period],
            weekday=DAY.isoweekday(),
            room=room,
            teacher=teachers[teacher],
            valid_from=TERM_START,
        )

    lessons = {
        "P1 Sc": lesson("10X/Sc2", "P1", l3, "jones"),
        "P2 Ma": lesson("10X/Ma1", "P2", s4, "khan"),
        "P4 Sc": lesson("10X/Sc2", "P4", l3, "jones"),
        "P5 Ma": lesson("10X/Ma1", "P5", s4, "khan"),
        "P2 En": lesson("9A/En1", "P2", e1, "reed"),
    }
    pupils = {}
    names = ["Ada", "Ben", "Cy", "Dee"] + [f"Extra{i}" for i in range(extra_pupils)]
    for forename in names:
        pupils[forename] = PupilFactory(school=school, legal_forename=forename, legal_surname="Year10", year=10)
        for group in ("10X/Ma1", "10X/Sc2"):
            Membership.objects.create(group=groups[group], pupil=pupils[forename], starts=TERM_START)
    pupils["Eve"] = PupilFactory(school=school, legal_forename="Eve", legal_surname="Year9", year=9)
    Membership.objects.create(group=groups["9A/En1"], pupil=pupils["Eve"], starts=TERM_START)
    return Secondary(school, teachers, periods, lessons, pupils, groups)
