"""A family with two children, another family, the office and the head, on the real 2026/27
calendar, with the clock at 09:30 on Monday 23 November 2026."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction

from registers.models import Contact, Staff
from tests.factories import PupilFactory, StaffFactory, UserFactory

D = dt.date
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
P = Staff.Position


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def locmem_email(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PRIVATE_ROOT = tmp_path / "private"
    cache.clear()


@pytest.fixture
def real_on_commit():
    """Use in a test to keep Django's on_commit (callbacks captured by the test transaction)."""


@pytest.fixture(autouse=True)
def on_commit_now(request, monkeypatch):
    """The test transaction never commits, so callbacks run at once (as after a commit)."""
    if "real_on_commit" not in request.fixturenames:
        monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def make_parent(school, username, children, *, email=None, responsibility=True):
    user = UserFactory(username=username, first_name="Jo", last_name="Parent", email=email or f"{username}@example.org")
    for i, child in enumerate(children):
        Contact.objects.create(
            pupil=child,
            priority=1,
            forename="Jo",
            surname="Parent",
            relationship="Mother",
            parental_responsibility=responsibility,
            email=user.email,
            telephone=f"0770090000{i}",
            user=user,
        )
    return user


@pytest.fixture
def family(school):
    ada = PupilFactory(school=school, legal_forename="Ada", legal_surname="Jones", year=3)
    ben = PupilFactory(school=school, legal_forename="Ben", legal_surname="Jones", year=5)
    parent = make_parent(school, "parent", [ada, ben])
    return {"parent": parent, "ada": ada, "ben": ben}


@pytest.fixture
def other_family(school):
    cy = PupilFactory(school=school, legal_forename="Cy", legal_surname="Smith", year=3)
    parent = make_parent(school, "otherparent", [cy])
    return {"parent": parent, "cy": cy}


@pytest.fixture
def office(school):
    user = UserFactory(username="office", first_name="Priya", last_name="Shah")
    return StaffFactory(user=user, school=school, position=P.OFFICE, title="Mrs")


@pytest.fixture
def head(school):
    user = UserFactory(username="head", first_name="Hugh", last_name="Grant")
    return StaffFactory(user=user, school=school, position=P.HEADTEACHER, title="Mr")


@pytest.fixture
def teacher(school):
    user = UserFactory(username="teacher", first_name="Tess", last_name="Lee")
    return StaffFactory(user=user, school=school, position=P.CLASS_TEACHER)


def key():
    return uuid.uuid4()
