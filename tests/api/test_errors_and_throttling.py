"""JSON errors everywhere; throttling per token."""

import pytest

from tests.api.conftest import register_url, token_client

pytestmark = pytest.mark.django_db


def test_errors_are_json_with_a_message(writer, group):
    not_found = writer.get("/api/v1/pupils/999999/")
    assert not_found.status_code == 404 and not_found.json() == {
        "message": "No Pupil matches the given query.",
        "errors": [],
    }
    bad_json = writer.put(register_url(group), "{not json", content_type="application/json", HTTP_IF_MATCH="*")
    assert bad_json.status_code == 400 and bad_json.json()["message"].startswith("JSON parse error")
    method = writer.delete("/api/v1/pupils/")
    assert method.status_code == 405 and method.json()["message"]


def test_throttled_per_token(school, pupils):
    slow = token_client(school, "Slow sync", "read", throttle_rate="2/minute")
    fast = token_client(school, "Fast sync", "read")
    assert [slow.get("/api/v1/schools/").status_code for _ in range(3)] == [200, 200, 429]
    body = slow.get("/api/v1/schools/").json()
    assert body["message"].startswith("Request was throttled")
    assert fast.get("/api/v1/schools/").status_code == 200
