"""Shared fixtures for the register domain tests: a school on the 2023/24 and 2024/25
calendars (so codes withdrawn or introduced on 19 August 2024 can be tested), the teacher and
the officer (tests/conftest.py) as actors, and small helpers for counting what a write left
behind."""

import datetime as dt

import pytest

from registers.models import Mark
from registers.services import Actor, MarkEntry
from tests.factories import make_school

D = dt.date

OLD_SCHOOL_DATA = {
    "urn": "100002",
    "name": "Elmwood Primary School",
    "la_number": "801",
    "establishment_number": "2001",
    "terms": [
        {"name": "Autumn", "start": "2023-09-04", "end": "2023-12-20"},
        {"name": "Spring", "start": "2024-01-03", "end": "2024-03-28"},
        {"name": "Summer", "start": "2024-04-15", "end": "2024-07-23"},
        {"name": "Autumn", "start": "2024-09-03", "end": "2024-12-20"},
        {"name": "Spring", "start": "2025-01-06", "end": "2025-04-04"},
        {"name": "Summer", "start": "2025-04-22", "end": "2025-07-22"},
    ],
    "half_term_breaks": [
        {"start": "2023-10-30", "end": "2023-11-03"},
        {"start": "2024-02-12", "end": "2024-02-16"},
        {"start": "2024-05-27", "end": "2024-05-31"},
        {"start": "2024-10-28", "end": "2024-11-01"},
        {"start": "2025-02-17", "end": "2025-02-21"},
        {"start": "2025-05-26", "end": "2025-05-30"},
    ],
    "closures": [],
}


@pytest.fixture
def old_school(db):
    """A school whose calendar spans the 2024 regulations coming into force (19 Aug 2024)."""
    return make_school(OLD_SCHOOL_DATA)


@pytest.fixture
def teacher_actor(teacher):
    return Actor.for_user(teacher.user)


@pytest.fixture
def officer_actor(officer):
    return Actor.for_user(officer.user)


def entry(pupil, day, session, code, **kwargs) -> MarkEntry:
    return MarkEntry(pupil_id=pupil.id, date=day, session=session, code=code, **kwargs)


def audit_counts() -> tuple[int, int]:
    """(marks, history rows): what a refused write must leave unchanged."""
    return Mark.objects.count(), Mark.history.count()


# --- imports from the MIS ---------------------------------------------------------------------

DATA = __import__("pathlib").Path(__file__).parent / "data"
SECONDARY_TIMES = {
    "secondary": {
        "am": {"opens": "08:35", "late_after": "08:45", "closes": "09:05"},
        "pm": {"opens": "13:20", "late_after": "13:30", "closes": "13:50"},
    }
}


def sample(name: str) -> bytes:
    """A file from tests/registers/data, as uploaded (bytes: BOM, CRLF and all)."""
    return (DATA / name).read_bytes()


@pytest.fixture
def ashcombe(db):
    return make_ashcombe()


def make_ashcombe():
    """The secondary school whose own MIS wrote ctf_sims_secondary.xml (LA 936, estab 4321)."""
    return make_school(
        urn="138456",
        name="Ashcombe Park Academy",
        la_number="936",
        establishment_number="4321",
        phase="secondary",
        register_times=SECONDARY_TIMES,
        closures=[],
        groups=[{"name": "7A", "year": 7}, {"name": "10C", "year": 10}],
    )


@pytest.fixture
def hillside(db):
    """Another secondary school, which pupils from Ashcombe (the CTF) join."""
    return make_school(
        urn="140999",
        name="Hillside School",
        la_number="936",
        establishment_number="5402",
        phase="secondary",
        register_times=SECONDARY_TIMES,
        closures=[],
        groups=[],
    )
