"""A secondary school with a timetable, for the lesson register tests: Oakfield Academy (secondary
phase, AM register 08:40, late after 08:50, closed 09:10), Tuesday 8 December 2026 in the autumn
term, periods P1 (holding the AM register) to P5, and 10X/Ma1 — a maths class of 30 Year 10
pupils, all in form group 10X — taught by Mr Mo Khan, subject teacher, in P1 and P3 on Tuesdays.

`school` here is the secondary school, so the shared fixtures built on it (`office`) belong to
it; the teachers are this directory's own."""

from __future__ import annotations

import pytest

from lessons.models import Period, TimetableSettings
from registers.models import RegistrationGroup
from tests.factories import make_school, make_staff
from tests.lessons.lesson_helpers import PERIODS, SECONDARY_SCHOOL, TERM_START, P, make_class, make_lesson


@pytest.fixture
def school(db):
    return make_school(SECONDARY_SCHOOL)


@pytest.fixture
def timetable_settings(school):
    return TimetableSettings.objects.create(school=school, late_after_minutes=5, prefill_statutory=True)


@pytest.fixture
def periods(school):
    return {
        name: Period.objects.create(
            school=school, name=name, starts=starts, ends=ends, holds_session=holds, valid_from=TERM_START
        )
        for name, starts, ends, holds in PERIODS
    }


@pytest.fixture
def maths_teacher(school):
    return make_staff(school, P.SUBJECT_TEACHER, "maths", "Mo", "Khan", title="Mr")


@pytest.fixture
def science_teacher(school):
    return make_staff(school, P.SUBJECT_TEACHER, "science", "Sally", "Reid", title="Dr")


@pytest.fixture
def cover_teacher(school):
    return make_staff(school, P.SUBJECT_TEACHER, "cover", "Cass", "Over", title="Mrs")


@pytest.fixture
def office(school):
    return make_staff(school, P.OFFICE, "office", "Priya", "Shah", title="Mrs")


@pytest.fixture
def form_tutor(school):
    staff = make_staff(school, P.FORM_TUTOR, "tutor", "Tom", "Tutor", title="Mr")
    RegistrationGroup.objects.get(school=school, name="10X").teachers.add(staff)
    return staff


@pytest.fixture
def maths(school, maths_teacher):
    """10X/Ma1: 30 pupils."""
    return make_class(school, "10X/Ma1", 30, maths_teacher)


@pytest.fixture
def p3(school, timetable_settings, periods, maths, maths_teacher):
    """10X/Ma1's Tuesday P3 lesson (11:00–12:00, late after 11:05)."""
    return make_lesson(school, maths[0], periods["P3"], maths_teacher)


@pytest.fixture
def p1(school, timetable_settings, periods, maths, maths_teacher):
    """10X/Ma1's Tuesday P1 lesson, which holds the AM register."""
    return make_lesson(school, maths[0], periods["P1"], maths_teacher)


@pytest.fixture
def pupils(maths):
    return maths[1]
