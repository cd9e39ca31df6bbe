"""Tokens and permissions: the same rules as the pages, a token sees only its own school."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from registers.models import ApiToken, Staff, hash_token
from tests.api.conftest import MONDAY, register_url, session_client, year_group
from tests.factories import PupilFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_token_sees_only_its_school(writer, pupils, other_school):
    stranger = PupilFactory(school=other_school, year=3)
    listed = writer.get("/api/v1/pupils/").json()
    assert {p["id"] for p in listed["results"]} == {p.pk for p in pupils}
    response = writer.get(f"/api/v1/pupils/{stranger.pk}/")
    assert response.status_code == 404
    assert response.json()["message"]
    assert writer.get(f"/api/v1/schools/{other_school.pk}/").status_code == 404
    other_group = year_group(other_school)
    assert writer.get(register_url(other_group)).status_code == 404
    assert writer.get("/api/v1/marks/", {"school": other_school.pk}).json()["results"] == []


def test_read_token_cannot_write(reader, group, pupils):
    response = reader.put(register_url(group), {"marks": []}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 403
    assert "read" in response.json()["message"]


def test_revoked_and_unknown_tokens_are_401(writer):
    assert writer.get("/api/v1/pupils/").status_code == 200
    writer.token.revoke()
    response = writer.get("/api/v1/pupils/")
    assert response.status_code == 401
    assert response.json()["message"] == "The API token has been revoked."
    assert response["WWW-Authenticate"].startswith("Bearer")
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Bearer att_not-a-token")
    assert stranger.get("/api/v1/pupils/").status_code == 401
    assert APIClient().get("/api/v1/pupils/").status_code == 401


def test_last_used_time_is_recorded(writer):
    assert writer.token.last_used_at is None
    writer.get("/api/v1/schools/")
    writer.token.refresh_from_db()
    assert writer.token.last_used_at is not None


def test_teacher_session_sees_only_their_groups(school, teacher, group, pupils):
    other = PupilFactory(school=school, year=4)
    client = session_client(teacher.user)
    assert [g["id"] for g in client.get("/api/v1/groups/").json()["results"]] == [group.pk]
    assert {p["id"] for p in client.get("/api/v1/pupils/").json()["results"]} == {p.pk for p in pupils}
    assert client.get(f"/api/v1/pupils/{other.pk}/").status_code == 404
    assert client.get(register_url(year_group(school, 4))).status_code == 404
    assert client.get(register_url(group)).status_code == 200
    # a teacher may not amend marks (the office does, with a reason)
    from tests.factories import write

    write(school, pupils[0], {(MONDAY, "AM"): "N"})
    mark = pupils[0].marks.get()
    response = client.patch(f"/api/v1/marks/{mark.pk}/", {"code": "C", "reason": "ill"}, format="json")
    assert response.status_code == 403


def test_parent_sees_only_their_children(school, pupils, parent_of):
    from tests.factories import write

    user = parent_of(pupils[0])
    write(school, pupils[0], {(MONDAY, "AM"): "/"})
    write(school, pupils[1], {(MONDAY, "AM"): "/"})
    client = session_client(user)
    assert [p["id"] for p in client.get("/api/v1/pupils/").json()["results"]] == [pupils[0].pk]
    assert client.get(f"/api/v1/pupils/{pupils[1].pk}/").status_code == 404
    marks = client.get("/api/v1/marks/").json()["results"]
    assert [m["pupil"] for m in marks] == [pupils[0].pk]
    assert client.get("/api/v1/groups/").json()["results"] == []
    stats = client.get(
        f"/api/v1/pupils/{pupils[0].pk}/statistics/", {"date_from": "2026-09-01", "date_to": "2026-12-31"}
    )
    assert stats.status_code == 200
    assert (
        client.get("/api/v1/statistics/cohort/", {"date_from": "2026-09-01", "date_to": "2026-12-31"}).status_code
        == 403
    )


def test_governor_reads_only_the_reports_tables(school, pupils):
    governor = StaffFactory(school=school, position=Staff.Position.GOVERNOR, user__username="governor")
    client = session_client(governor.user)
    assert client.get("/api/v1/pupils/").json()["results"] == []
    period = {"date_from": "2026-09-01", "date_to": "2026-12-31"}
    assert client.get("/api/v1/statistics/pupils/", period).status_code == 403
    # A cohort or dates of the governor's choosing would allow subtraction: only the report's tables.
    cohort = client.get("/api/v1/statistics/cohort/", period)
    assert cohort.status_code == 403 and "/statistics/report/" in cohort.json()["message"]


def test_create_api_token_command_shows_the_token_once(school):
    out = io.StringIO()
    call_command(
        "create_api_token", "--school", school.urn, "--name", "Reception kiosk", "--scope", "write", stdout=out
    )
    raw = out.getvalue().strip().splitlines()[-1].strip()
    token = ApiToken.objects.get(name="Reception kiosk")
    assert raw.startswith("att_") and token.key_hash == hash_token(raw)
    assert raw not in (token.key_hash, token.key_prefix)
    assert token.scope == "write" and token.school == school
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/schools/").json()["results"][0]["urn"] == school.urn
