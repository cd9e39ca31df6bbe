import datetime as dt

import pytest

from tests.factories import StaffFactory, make_school

D = dt.date
ON = D(2026, 3, 20)  # a Friday in the spring term of the real 2025/26 calendar


@pytest.fixture
def school(db):
    return make_school()


@pytest.fixture
def officer(school):
    return StaffFactory(school=school, position="attendance_officer", user__username="officer")


@pytest.fixture
def head(school):
    return StaffFactory(school=school, position="headteacher", user__username="head")
