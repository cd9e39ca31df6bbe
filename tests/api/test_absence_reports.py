"""Absence reports through the API: parents create theirs; the office reads and acts."""

import pytest

from absences.models import AbsenceReport
from registers.models import Mark
from tests.api.conftest import MONDAY, clock, session_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/absence-reports/"
BODY = {"start_date": "2026-11-24", "end_date": "2026-11-24", "reason": "illness", "description": "a cold"}


def test_parent_reports_for_their_own_child_only(pupils, parent_of, writer):
    client = session_client(parent_of(pupils[0]))
    with clock(8, 0):
        response = client.post(URL, {**BODY, "pupils": [pupils[0].pk]}, format="json")
        refused = client.post(URL, {**BODY, "pupils": [pupils[1].pk]}, format="json")
        assert writer.post(URL, {**BODY, "pupils": [pupils[0].pk]}, format="json").status_code == 403
    assert response.status_code == 201, response.json()
    assert [r["pupil"] for r in response.json()] == [pupils[0].pk]
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "children"
    assert [r["pupil"] for r in client.get(URL).json()["results"]] == [pupils[0].pk]
    assert [r["id"] for r in writer.get(URL).json()["results"]] == [response.json()[0]["id"]]


def test_office_accepts_through_the_register_service(school, pupils, parent_of, office, writer):
    parent = session_client(parent_of(pupils[0]))
    with clock(8, 0):
        report_id = parent.post(URL, {**BODY, "pupils": [pupils[0].pk]}, format="json").json()[0]["id"]
        assert writer.post(f"{URL}{report_id}/accept/", {}, format="json").status_code == 403
        assert parent.post(f"{URL}{report_id}/accept/", {}, format="json").status_code == 403
        response = session_client(office.user).post(f"{URL}{report_id}/accept/", {"code": "I"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    marks = Mark.objects.filter(pupil=pupils[0], date=MONDAY.replace(day=24))
    assert {(m.code.code, m.source) for m in marks} == {("I", "parent_report")}
    assert AbsenceReport.objects.get().status == "accepted"
