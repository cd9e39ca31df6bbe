"""Schemathesis against the OpenAPI schema, in-process (WSGI), with a seeded school and a token:
no server errors, and every response conforms to the schema (status codes, content types, bodies)."""

import datetime as dt

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registers.models import ApiToken, RegistrationGroup
from tests.api.test_schema import COMMITTED
from tests.factories import PupilFactory, make_school, write

MONDAY = dt.date(2026, 11, 23)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def seeded(db):
    school = make_school()
    group = RegistrationGroup.objects.get(school=school, year=3)
    pupils = [PupilFactory(school=school, year=3) for _ in range(3)]
    for pupil in pupils:
        write(school, pupil, {(MONDAY, "AM"): "/", (MONDAY, "PM"): "N"})
    _, raw = ApiToken.issue(school=school, name="Schemathesis", scope="write", throttle_rate="100000/minute")
    return {"token": raw, "group": group, "pupils": pupils}


@pytest.fixture
def in_one_transaction():
    """Each example runs inside the test's transaction: keep Django from closing the connection
    after each request (as its own test client does)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


# The committed schema (tests/api/test_schema.py keeps it equal to the code's), called in-process.
schema = schemathesis.openapi.from_path(COMMITTED)
schema.app = WSGIHandler()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, seeded, in_one_transaction):
    case.call_and_validate(headers={"Authorization": f"Bearer {seeded['token']}"}, checks=CHECKS)
