"""A school on the real 2025/26 and 2026/27 calendars with its letters installed, and pupils with
parents (the attendance officer is tests/conftest.py's); letters are stored under a temporary
PRIVATE_ROOT."""

import datetime as dt

import pytest

from letters.services.letterhead import save_letterhead
from letters.services.templates import install_starter_templates
from registers.models import Contact, SchoolDay
from tests.factories import PupilFactory, write

D = dt.date
ON = D(2026, 11, 23)  # Monday, autumn term 2026/27


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings.PRIVATE_ROOT


@pytest.fixture
def letters_school(school):
    install_starter_templates(school=school)
    save_letterhead(
        school=school,
        user=None,
        address="Oakfield Road\nMiddleton\nMD1 4AB",
        telephone="01632 960 001",
        email="office@oakfield.example.sch.uk",
        signatory_name="Mrs H Whitfield",
        signatory_position="Headteacher",
        footer="Oakfield Primary School · Headteacher: Mrs H Whitfield",
    )
    return school


def add_contact(
    pupil,
    *,
    title="Mrs",
    forename="Grace",
    surname=None,
    address="14 Mill Lane\nMiddleton",
    postcode="MD1 2QT",
    email="grace@example.com",
    lives_with_pupil=True,
    priority=1,
):
    return Contact.objects.create(
        pupil=pupil,
        priority=priority,
        title=title,
        forename=forename,
        surname=surname or pupil.legal_surname,
        relationship="Mother" if title in ("Mrs", "Ms") else "Father",
        address=address,
        postcode=postcode,
        email=email,
        lives_with_pupil=lives_with_pupil,
    )


def school_days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def present_every_day(school, pupil, start, end, exceptions=None):
    """Marks for every session from start to end: present, except {(date, session): code}."""
    exceptions = exceptions or {}
    marks = {}
    for day in school_days(school, start, end):
        for session in ("AM", "PM"):
            marks[(day, session)] = exceptions.get((day, session), "/" if session == "AM" else "\\")
    write(school, pupil, marks)
    return marks


@pytest.fixture
def pupil(letters_school):
    pupil = PupilFactory(
        school=letters_school,
        legal_forename="Samuel",
        preferred_forename="Sam",
        legal_surname="Okafor",
        pronoun="he/him",
    )
    add_contact(pupil, title="Mrs", forename="Grace")
    add_contact(pupil, title="Mr", forename="David", email="david@example.com", priority=2)
    return pupil
