"""A small seeded school for the report tests: pupils with characteristics chosen so that
cohorts have 4, 5 and 6 pupils, and marks through the register service."""

import datetime as dt

import pytest

from registers.models import Staff
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

D = dt.date
# Two weeks of the autumn term 2025/26 (Mon 8 – Fri 19 Sept 2025).
DAYS = [D(2025, 9, 8) + dt.timedelta(days=i) for i in range(12) if (D(2025, 9, 8) + dt.timedelta(days=i)).weekday() < 5]
PERIOD = "term:2025/26:Autumn"
TODAY = D(2025, 9, 19)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def absent_days(pupil_index: int) -> int:
    """Pupil i misses i % 7 days of ten: 0 … 6 days (0 %–60 % absence)."""
    return pupil_index % 7


@pytest.fixture
def seeded(school):
    """15 pupils: 6 in Year 3 (FSM), 5 in Year 4, 4 in Year 5 (EAL); SEN: 6 K, 4 E, 5 N."""
    pupils = []
    spec = [(3, True, False, "K")] * 6 + [(4, False, False, "N")] * 5 + [(5, False, True, "E")] * 4
    for i, (year, fsm, eal, sen) in enumerate(spec):
        pupil = PupilFactory(
            school=school,
            year=year,
            fsm=fsm,
            eal=eal,
            sen=sen,
            sex="F" if i % 2 else "M",
            ethnicity="WBRI" if i < 10 else "APKN",
            date_of_birth=D(2025 - 5 - year, 12, 1),
        )
        marks = {}
        missed = absent_days(i)
        for n, day in enumerate(DAYS):
            if n < missed:
                code = "O" if n % 3 == 0 else "I"
                marks[(day, "AM")] = code
                marks[(day, "PM")] = code
            else:
                marks[(day, "AM")] = ("L", 5) if (n == 9 and i % 4 == 0) else "/"
                marks[(day, "PM")] = "\\"
        write(school, pupil, marks)
        pupils.append(pupil)
    return pupils


def make_staff(school, position, username, **extra):
    user = UserFactory(username=username, first_name="Pat", last_name=username.title())
    return StaffFactory(user=user, school=school, position=position, **extra)


@pytest.fixture
def governor(school):
    return make_staff(school, Staff.Position.GOVERNOR, "governor")


@pytest.fixture
def head(school):
    return make_staff(school, Staff.Position.HEADTEACHER, "head")


@pytest.fixture
def teacher(school):
    return make_staff(school, Staff.Position.CLASS_TEACHER, "teacher")
