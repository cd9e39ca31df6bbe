"""API test set-up: a school, another school and their people (tests/conftest.py), tokens and clients."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from registers.models import ApiToken, Contact
from tests.factories import PupilFactory, year_group

LONDON = ZoneInfo("Europe/London")
MONDAY = dt.date(2026, 11, 23)  # a school day; AM register 08:50, late after 09:00, closes 09:20


def clock(hour, minute, second=0, day=MONDAY):
    moment = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON)
    return time_machine.travel(moment, tick=False)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def token_client(school, name="Reception kiosk", scope="write", **kwargs):
    token, raw = ApiToken.issue(school=school, name=name, scope=scope, **kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.token = token
    return client


@pytest.fixture
def writer(school):
    return token_client(school, "Reception kiosk", "write")


@pytest.fixture
def reader(school):
    return token_client(school, "MIS sync", "read")


@pytest.fixture
def group(school):
    return year_group(school, 3)


@pytest.fixture
def pupils(school):
    return [PupilFactory(school=school, year=3) for _ in range(3)]


def session_client(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def parent_of(db):
    def make(pupil, username="parent"):
        from tests.factories import UserFactory

        user = UserFactory(username=username)
        Contact.objects.create(pupil=pupil, forename="Pat", surname="Parent", relationship="Mother", user=user)
        return user

    return make


def register_url(group, day=MONDAY, session="AM"):
    return f"/api/v1/groups/{group.pk}/registers/{day.isoformat()}/{session}/"
