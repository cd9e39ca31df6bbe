"""Marks: cursor pagination, filters, amendment with a required reason, history."""

import datetime as dt

import pytest

from registers.models import Mark
from tests.api.conftest import MONDAY, session_client
from tests.factories import write

pytestmark = pytest.mark.django_db
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def marked(school, pupils):
    write(school, pupils[0], {(MONDAY, "AM"): "/", (MONDAY, "PM"): "N", (TUESDAY, "AM"): ("U", 25)})
    write(school, pupils[1], {(MONDAY, "AM"): "/", (TUESDAY, "AM"): "N"})
    return pupils


def test_cursor_pagination_walks_every_mark_once(reader, marked):
    seen, url, pages = [], "/api/v1/marks/?page_size=2", 0
    while url:
        data = reader.get(url).json()
        assert "cursor=" in (data["next"] or "cursor=") and len(data["results"]) <= 2
        seen += [m["id"] for m in data["results"]]
        url, pages = data["next"], pages + 1
    assert pages == 3
    assert sorted(seen) == seen and len(seen) == len(set(seen)) == Mark.objects.count() == 5


def test_filters(reader, marked):
    def ids(**params):
        return {
            (m["pupil"], m["date"], m["session"], m["code"])
            for m in reader.get("/api/v1/marks/", params).json()["results"]
        }

    assert len(ids(pupil=marked[0].pk)) == 3
    assert ids(upn=marked[1].upn.lower(), code="n") == {(marked[1].pk, "2026-11-24", "AM", "N")}
    assert len(ids(date_from="2026-11-24", date_to="2026-11-24")) == 2
    assert len(ids(code="N", session="PM")) == 1
    bad = reader.get("/api/v1/marks/", {"date_from": "not-a-date"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "date_from"


def test_amend_requires_a_reason(writer, marked):
    mark = Mark.objects.get(pupil=marked[0], date=MONDAY, session="PM")
    response = writer.patch(f"/api/v1/marks/{mark.pk}/", {"code": "I"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "reason", "reason": "This field is required."}]
    blank = writer.patch(f"/api/v1/marks/{mark.pk}/", {"code": "I", "reason": "  "}, format="json")
    assert blank.status_code == 400 and blank.json()["errors"][0]["field"] == "reason"
    mark.refresh_from_db()
    assert (mark.code.code, mark.version) == ("N", 1)


def test_amend_through_the_service_keeps_history(writer, marked):
    mark = Mark.objects.get(pupil=marked[0], date=MONDAY, session="PM")
    etag = writer.get(f"/api/v1/marks/{mark.pk}/")["ETag"]
    response = writer.patch(
        f"/api/v1/marks/{mark.pk}/", {"code": "I", "reason": "mother phoned: ill"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["code"], data["version"], data["reason"]) == ("I", 2, "mother phoned: ill")
    assert data["recorded_by_position"] == "Integration: Reception kiosk" and data["source"] == "api"
    stale = writer.patch(f"/api/v1/marks/{mark.pk}/", {"code": "M", "reason": "x"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    history = writer.get(f"/api/v1/marks/{mark.pk}/history/").json()
    assert [(h["version"], h["code"], h["reason"]) for h in history] == [(1, "N", ""), (2, "I", "mother phoned: ill")]
    assert history[1]["recorded_by_position"] == "Integration: Reception kiosk"


def test_amend_without_if_match_is_refused_and_changes_nothing(writer, marked):
    """Like writing a register: no precondition, no write (two clients cannot overwrite each other)."""
    mark = Mark.objects.get(pupil=marked[0], date=MONDAY, session="PM")
    response = writer.patch(f"/api/v1/marks/{mark.pk}/", {"code": "I", "reason": "blind write"}, format="json")
    assert response.status_code == 428 and "If-Match" in response.json()["message"]
    mark.refresh_from_db()
    assert (mark.code.code, mark.version) == ("N", 1)


def test_office_session_amends_with_its_position(office, marked):
    mark = Mark.objects.get(pupil=marked[1], date=TUESDAY, session="AM")
    client = session_client(office.user)
    etag = client.get(f"/api/v1/marks/{mark.pk}/")["ETag"]
    response = client.patch(
        f"/api/v1/marks/{mark.pk}/", {"code": "M", "reason": "dentist"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    mark.refresh_from_db()
    assert (mark.recorded_by_position, mark.source, mark.recorded_by) == ("Office", "office", office.user)


def test_amend_refused_by_the_service_lists_the_reason(writer, marked):
    mark = Mark.objects.get(pupil=marked[0], date=MONDAY, session="AM")
    response = writer.patch(
        f"/api/v1/marks/{mark.pk}/", {"code": "Y", "reason": "old code"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "code" and "withdrawn" in error["reason"]
