"""A family with two children, another family, the office and the head (tests/conftest.py), on
the real 2026/27 calendar, with the clock at 09:30 on Monday 23 November 2026."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.cache import cache

from registers.models import Staff
from tests.factories import make_parent  # noqa: F401 (tests import it from here)

D = dt.date
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
P = Staff.Position


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def key():
    return uuid.uuid4()
