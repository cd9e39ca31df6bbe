"""Taking a lesson register through the one register rule (registers/taking.py with the lesson's
book, lessons/taking.py): the same cases through the statutory register and a lesson register
give the same refusals; the lesson rules (open at the start, late after the school's minutes,
closed at the end); cover; the office's amendments; and a lesson mark never touches a statutory
mark."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from lessons.models import Cover, LessonMark, LessonRegister
from lessons.services import open_lesson_register
from lessons.signals import lesson_marks_written
from lessons.taking import lesson_taker
from registers.models import Mark, Register, RegistrationGroup
from registers.register_selectors import register_queryset, register_times, roll_with_marks
from registers.services import Actor
from registers.taking import MarkWish, TakenBy, Taker, Why, take_register
from tests.factories import PupilFactory, write
from tests.lessons.lesson_helpers import SATURDAY, TUESDAY, at, clock, lesson_register_of, take_lesson

pytestmark = pytest.mark.django_db


@dataclass
class Statutory:
    """10X's AM register (opens 08:40, late after 08:50, closes 09:10), taken by its form tutor."""

    school: object
    teacher: object
    office: object
    opens = dt.time(8, 40)
    closes = dt.time(9, 10)

    def take(self, who, wishes, moment, *, day=TUESDAY, reason=""):
        group = RegistrationGroup.objects.get(school=self.school, name="10X")
        staff = self.teacher if who == "teacher" else self.office
        if day == TUESDAY:
            saved, _ = Register.objects.get_or_create(school=self.school, group=group, date=day, session="AM")
            register = register_queryset(staff).get(pk=saved.pk)
        else:
            register = Register(school=self.school, group=group, date=day, session="AM")
        kind = Taker.TEACHER if who == "teacher" else Taker.OFFICE
        return take_register(
            register=register,
            times=register_times(school_id=self.school.pk, phase="secondary", session="AM"),
            roll=roll_with_marks(register),
            wishes=wishes,
            taken_by=TakenBy(kind, Actor.for_staff(staff.user, staff)),
            now=moment,
            reason=reason,
        )

    def marks(self):
        return {m.pupil_id: (m.code.code, m.version) for m in Mark.objects.filter(date=TUESDAY, session="AM")}


@dataclass
class LessonFlavour:
    """10X/Ma1's P3 lesson (11:00–12:00, late after 11:05), taken by its subject teacher."""

    lesson: object
    teacher: object
    office: object
    opens = dt.time(11, 0)
    closes = dt.time(12, 0)

    def take(self, who, wishes, moment, *, day=TUESDAY, reason=""):
        staff = self.teacher if who == "teacher" else self.office
        return take_lesson(self.lesson, staff, wishes, moment, day=day, reason=reason)

    def marks(self):
        return {m.pupil_id: (m.code.code, m.version) for m in LessonMark.objects.filter(date=TUESDAY)}


def moment(flavour, when, minutes=0):
    base = flavour.opens if when == "opens" else flavour.closes
    return at(base.hour, base.minute) + dt.timedelta(minutes=minutes)


def summary(result, pupils):
    index = {p.pk: i for i, p in enumerate(pupils)}
    return sorted((r.kind.value, index.get(r.pupil_id, r.pupil_id)) for r in result.refusals)


@pytest.fixture
def flavours(school, p3, maths_teacher, form_tutor, office):
    return {"statutory": Statutory(school, form_tutor, office), "lesson": LessonFlavour(p3, maths_teacher, office)}


def _nothing(f, pupils):
    pass


def _before_open(f, pupils):
    return f.take("teacher", [MarkWish(pupils[0].pk, "/")], moment(f, "opens", -5))


def _not_a_school_day(f, pupils):
    return f.take("office", [MarkWish(pupils[0].pk, "/")], moment(f, "opens", 5) + dt.timedelta(days=4), day=SATURDAY)


def _unknown_code(f, pupils):
    return f.take("teacher", [MarkWish(pupils[0].pk, "/"), MarkWish(pupils[1].pk, "ZZ")], moment(f, "opens", 2))


def _office_marks_n(f, pupils):
    f.take("office", [MarkWish(pupils[0].pk, "N")], moment(f, "opens", 1))


def _teacher_marks_n(f, pupils):
    f.take("teacher", [MarkWish(pupils[0].pk, "N")], moment(f, "opens", 1))


def _conflict(f, pupils):
    # the teacher's page was loaded before the office wrote: it showed no mark (version 0)
    return f.take("teacher", [MarkWish(pupils[0].pk, "/", expected_version=0)], moment(f, "opens", 2))


def _teacher_changes_after_close(f, pupils):
    return f.take("teacher", [MarkWish(pupils[0].pk, "/"), MarkWish(pupils[1].pk, "N")], moment(f, "closes", 5))


def _office_changes_after_close_without_reason(f, pupils):
    return f.take("office", [MarkWish(pupils[0].pk, "I")], moment(f, "closes", 5))


def _not_on_roll(f, pupils):
    stranger = PupilFactory(school=pupils[0].school, year=9)
    return f.take("teacher", [MarkWish(pupils[0].pk, "/"), MarkWish(stranger.pk, "/")], moment(f, "opens", 2))


def _late_after_close_without_a_time(f, pupils):
    return f.take("office", [MarkWish(pupils[0].pk, "L")], moment(f, "closes", 5))


# case: (what is there first, what is asked, the refusals: (why, which pupil))
CASES = {
    "before the register opens": (_nothing, _before_open, [("not_open", None)]),
    "not a school day": (_nothing, _not_a_school_day, [("not_school_day", None)]),
    "an unknown code": (_nothing, _unknown_code, [("invalid", 1)]),
    "someone else's change meanwhile": (_office_marks_n, _conflict, [("conflict", 0)]),
    "a teacher changing a mark after the close": (_teacher_marks_n, _teacher_changes_after_close, [("closed", 0)]),
    "the office changing a mark after the close with no reason": (
        _teacher_marks_n,
        _office_changes_after_close_without_reason,
        [("invalid", 0)],
    ),
    "a pupil not on the roll": (_nothing, _not_on_roll, [("not_on_roll", None)]),
    "a late arrival after the close with no time": (_nothing, _late_after_close_without_a_time, [("invalid", 0)]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_statutory_and_lesson_registers_refuse_the_same_things(flavours, pupils, case):
    setup, run, expected = CASES[case]
    found = {}
    for name, flavour in flavours.items():
        setup(flavour, pupils)
        before = flavour.marks()
        result = run(flavour, pupils)
        found[name] = [(kind, None if kind == "not_on_roll" else who) for kind, who in summary(result, pupils)]
        assert not result.created and not result.amended and flavour.marks() == before, f"{name} wrote something"
    assert found["statutory"] == found["lesson"] == expected


def test_the_same_messages_name_the_rule(flavours, pupils):
    """The refusals are the rule's own words, whichever register."""
    for flavour in flavours.values():
        _teacher_marks_n(flavour, pupils)
        result = _teacher_changes_after_close(flavour, pupils)
        assert f"closed at {flavour.closes:%H:%M}" in result.refusals[0].message
        assert "only the office can change it" in result.refusals[0].message


def test_a_whole_lesson_register_is_taken_and_never_touches_a_statutory_mark(p3, maths_teacher, pupils, school):
    with clock(9, 0):
        write(school, pupils[0], {(TUESDAY, "AM"): "/"})
        write(school, pupils[1], {(TUESDAY, "AM"): "N"})
    before = list(Mark._base_manager.order_by("pk").values())
    history_before = Mark.history.count()
    wishes = [MarkWish(p.pk, "/") for p in pupils[2:]] + [MarkWish(pupils[0].pk, "N"), MarkWish(pupils[1].pk, "/")]
    result = take_lesson(p3, maths_teacher, wishes, at(11, 2))
    assert result.ok and result.taken and len(result.created) == 30
    assert list(Mark._base_manager.order_by("pk").values()) == before
    assert Mark.history.count() == history_before
    register = LessonRegister.objects.get(lesson=p3, date=TUESDAY)
    assert (register.state, register.taken_by, register.cover_teacher) == ("taken", maths_teacher.user, None)
    mark = LessonMark.objects.get(register=register, pupil=pupils[0])
    assert (mark.code.code, mark.source, mark.recorded_by_name, mark.recorded_by_position, mark.version) == (
        "N",
        "teacher",
        "Mr Mo Khan",
        "Subject teacher",
        1,
    )
    assert LessonMark.history.filter(register=register).count() == 30


def test_late_is_decided_by_the_schools_minutes_after_the_lesson_starts(p3, maths_teacher, pupils, timetable_settings):
    wishes = [
        MarkWish(pupils[0].pk, "L", arrived=dt.time(11, 4)),  # within 5 minutes: present
        MarkWish(pupils[1].pk, "L", arrived=dt.time(11, 5)),  # at the late time: present
        MarkWish(pupils[2].pk, "L", arrived=dt.time(11, 7)),  # 2 minutes after 11:05
        MarkWish(pupils[3].pk, "L"),  # typed at 11:20, no time given: now
    ]
    assert take_lesson(p3, maths_teacher, wishes, at(11, 20)).ok
    marks = {m.pupil_id: (m.code.code, m.minutes_late) for m in LessonMark.objects.all()}
    assert [marks[p.pk] for p in pupils[:4]] == [("/", None), ("/", None), ("L", 2), ("L", 15)]
    # a school that allows 10 minutes
    timetable_settings.late_after_minutes = 10
    timetable_settings.save()
    wish = [MarkWish(pupils[4].pk, "L", arrived=dt.time(11, 9))]
    assert take_lesson(p3, maths_teacher, wish, at(11, 20)).ok
    assert LessonMark.objects.get(pupil=pupils[4]).code.code == "/"


def test_the_register_closes_when_the_lesson_ends(p3, maths_teacher, pupils):
    assert take_lesson(p3, maths_teacher, [MarkWish(pupils[0].pk, "/")], at(11, 59)).ok
    # after 12:00 the teacher may still give an unmarked pupil a first mark, never change one
    late = take_lesson(p3, maths_teacher, [MarkWish(pupils[1].pk, "L", arrived=dt.time(12, 5))], at(12, 10))
    assert late.ok and late.became_u == [(pupils[1].pk, 60)]
    changed = take_lesson(p3, maths_teacher, [MarkWish(pupils[0].pk, "N")], at(12, 1))
    assert [r.kind for r in changed.refusals] == [Why.CLOSED]
    assert LessonMark.objects.get(pupil=pupils[0]).code.code == "/"
    # and nothing on another day
    next_day = take_lesson(p3, maths_teacher, [MarkWish(pupils[2].pk, "N")], at(8, 0) + dt.timedelta(days=1))
    assert [r.kind for r in next_day.refusals] == [Why.CLOSED]


def test_the_office_amends_a_closed_register_only_with_a_reason(p3, maths_teacher, office, pupils):
    assert take_lesson(p3, maths_teacher, [MarkWish(pupils[0].pk, "N")], at(11, 2)).ok
    refused = take_lesson(p3, office, [MarkWish(pupils[0].pk, "M")], at(14, 0))
    assert "needs a reason" in refused.refusals[0].message
    assert take_lesson(p3, office, [MarkWish(pupils[0].pk, "M")], at(14, 0), reason="dentist: letter seen").ok
    mark = LessonMark.objects.get(pupil=pupils[0])
    assert (mark.code.code, mark.version, mark.reason, mark.source) == ("M", 2, "dentist: letter seen", "office")
    assert [h.code.code for h in mark.history.order_by("history_date", "history_id")] == ["N", "M"]


def test_a_subject_teacher_cannot_take_another_teachers_lesson(p3, science_teacher, pupils):
    register = lesson_register_of(p3)
    assert lesson_taker(science_teacher.user, science_teacher, register) is None


def test_a_cover_teacher_takes_the_register_and_is_recorded(p3, cover_teacher, office, pupils):
    register = lesson_register_of(p3)
    assert lesson_taker(cover_teacher.user, cover_teacher, register) is None  # not until cover is arranged
    Cover.objects.create(lesson=p3, date=TUESDAY, teacher=cover_teacher, arranged_by=office.user)
    result = take_lesson(p3, cover_teacher, [MarkWish(p.pk, "/") for p in pupils], at(11, 3))
    assert result.ok and result.taken
    register.refresh_from_db()
    assert register.cover_teacher == cover_teacher
    assert set(LessonMark.objects.values_list("source", flat=True)) == {"cover"}
    assert "covering for Mr Mo Khan" in register.history.get(state="taken").history_change_reason
    # cover arranged for another date gives no right to this one
    other = lesson_register_of(p3, TUESDAY + dt.timedelta(days=7))
    assert lesson_taker(cover_teacher.user, cover_teacher, other) is None


def test_a_teacher_recorded_as_covering_on_the_register_may_take_it(p3, cover_teacher, pupils):
    register = open_lesson_register(lesson=p3, day=TUESDAY, cover_teacher=cover_teacher)
    taker = lesson_taker(cover_teacher.user, cover_teacher, register)
    assert taker is not None and taker.cover == cover_teacher and taker.source == "cover"


def test_all_or_nothing(p3, maths_teacher, pupils):
    wishes = [MarkWish(p.pk, "/") for p in pupils[:5]] + [MarkWish(pupils[5].pk, "#")]
    result = take_lesson(p3, maths_teacher, wishes, at(11, 2))
    assert [r.pupil_id for r in result.refusals] == [pupils[5].pk]
    assert not LessonMark.objects.exists()


def test_the_signal_is_sent_once_the_marks_are_committed(p3, maths_teacher, pupils, django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, register, pupil_ids, now, **kwargs):
        heard.append(
            (sender, register.pk, sorted(pupil_ids), now, LessonMark.objects.filter(register=register).count())
        )

    lesson_marks_written.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            take_lesson(p3, maths_teacher, [MarkWish(p.pk, "/") for p in pupils[:3]], at(11, 2))
        assert heard == []  # not before the commit
        for callback in callbacks:
            callback()
        register = LessonRegister.objects.get(lesson=p3)
        assert heard == [(LessonRegister, register.pk, sorted(p.pk for p in pupils[:3]), at(11, 2), 3)]
        # nothing written, nothing sent
        with django_capture_on_commit_callbacks(execute=True):
            take_lesson(p3, maths_teacher, [MarkWish(p.pk, "/") for p in pupils[:3]], at(11, 3))
        assert len(heard) == 1
    finally:
        lesson_marks_written.disconnect(listener)


def test_the_roll_of_a_register_nobody_has_opened_lists_the_lessons_pupils_with_no_marks(p3):
    """`lesson_roll` of an unsaved register: every pupil in the lesson, none with a mark (a join
    on no register must not empty the roll)."""
    from lessons.models import LessonRegister
    from lessons.taking import lesson_roll

    register = LessonRegister(school=p3.school, lesson=p3, date=TUESDAY, session="AM")
    roll = lesson_roll(register)
    assert len(roll) == 30
    assert all(pupil.mark_id is None and pupil.mark_version is None for pupil in roll)
