"""A small seeded school for the report tests: pupils with characteristics chosen so that
cohorts have 4, 5 and 6 pupils, and marks through the register service; the governor, the head
and the teacher are tests/conftest.py's."""

import datetime as dt

import pytest

from tests.factories import PupilFactory, make_staff, write  # noqa: F401 (tests import make_staff from here)

D = dt.date
# Two weeks of the autumn term 2025/26 (Mon 8 – Fri 19 Sept 2025).
DAYS = [D(2025, 9, 8) + dt.timedelta(days=i) for i in range(12) if (D(2025, 9, 8) + dt.timedelta(days=i)).weekday() < 5]
PERIOD = "term:2025/26:Autumn"
TODAY = D(2025, 9, 19)


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
