"""Registers through the API: the register service, its timing, validation and audit."""

import pytest
from django.utils.http import http_date

from registers.models import Mark, Register
from registers.timing import TEACHER_CORRECTION_REASON
from tests.api.conftest import MONDAY, clock, register_url, session_client
from tests.factories import write

pytestmark = pytest.mark.django_db


def etag_of(client, group):
    response = client.get(register_url(group))
    assert response.status_code == 200, response.content
    return response["ETag"]


def test_get_register_lists_the_roll_with_marks(school, writer, group, pupils):
    write(school, pupils[0], {(MONDAY, "AM"): "/"})
    with clock(9, 5):
        response = writer.get(register_url(group))
    data = response.json()
    assert response.status_code == 200
    assert response["ETag"] == data["etag"]
    assert data["state"] == "not_taken" and data["id"] is None and data["is_open"] is True
    rows = {r["pupil"]: r for r in data["pupils"]}
    assert set(rows) == {p.pk for p in pupils}
    assert rows[pupils[0].pk]["mark"]["code"] == "/"
    assert rows[pupils[1].pk]["mark"] is None


def test_non_school_day_is_404(writer, group):
    response = writer.get(f"/api/v1/groups/{group.pk}/registers/2026-11-21/AM/")
    assert response.status_code == 404
    assert "weekend" in response.json()["message"]


def test_put_writes_through_the_service_with_the_integration_in_the_audit(writer, group, pupils):
    with clock(9, 5):
        etag = etag_of(writer, group)
        body = {"marks": [{"pupil": p.pk, "code": "/"} for p in pupils[:2]] + [{"pupil": pupils[2].pk, "code": "L"}]}
        response = writer.put(register_url(group), body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 3
    assert response["ETag"] != etag
    marks = Mark.objects.filter(pupil__in=pupils)
    assert {m.recorded_by_position for m in marks} == {"Integration: Reception kiosk"}
    assert {m.recorded_by_name for m in marks} == {"Reception kiosk"}
    assert {m.source for m in marks} == {Mark.Source.API}
    late = marks.get(pupil=pupils[2])
    assert (late.code.code, late.minutes_late) == ("L", 5)
    assert Mark.history.filter(id=late.pk).get().recorded_by_position == "Integration: Reception kiosk"
    register = Register.objects.get(group=group, date=MONDAY, session="AM")
    assert register.state == Register.State.TAKEN and late.register == register


def test_put_needs_a_precondition(writer, group, pupils):
    with clock(9, 5):
        response = writer.put(register_url(group), {"marks": [{"pupil": pupils[0].pk, "code": "/"}]}, format="json")
    assert response.status_code == 428
    assert Mark.objects.count() == 0


def test_stale_etag_is_412_and_nothing_is_overwritten(school, writer, group, pupils):
    with clock(9, 5):
        etag = etag_of(writer, group)
        write(school, pupils[0], {(MONDAY, "AM"): "N"})  # another client writes meanwhile
        body = {"marks": [{"pupil": pupils[0].pk, "code": "/"}], "reason": "typo"}
        response = writer.put(register_url(group), body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response.json()["message"].startswith("The register has changed")
    assert Mark.objects.get(pupil=pupils[0]).code.code == "N"


def test_if_unmodified_since(school, writer, group, pupils):
    with clock(9, 5):
        write(school, pupils[0], {(MONDAY, "AM"): "N"})
        before = http_date(Mark.objects.get().recorded_at.timestamp() - 60)
        body = {"marks": [{"pupil": pupils[0].pk, "code": "/"}], "reason": "typo"}
        stale = writer.put(register_url(group), body, format="json", HTTP_IF_UNMODIFIED_SINCE=before)
        assert stale.status_code == 412
        fresh = writer.get(register_url(group))["Last-Modified"]
        ok = writer.put(register_url(group), body, format="json", HTTP_IF_UNMODIFIED_SINCE=fresh)
    assert ok.status_code == 200, ok.json()
    assert Mark.objects.get(pupil=pupils[0]).code.code == "/"


def test_batch_with_bad_marks_writes_none_and_lists_each(school, other_school, writer, group, pupils):
    from tests.factories import PupilFactory

    stranger = PupilFactory(school=other_school, year=3)
    body = {
        "marks": [
            {"pupil": pupils[0].pk, "code": "/"},
            {"pupil": pupils[1].pk, "code": "QQ"},
            {"pupil": stranger.pk, "code": "/"},
            {"pupil": pupils[2].pk, "code": "/"},
        ]
    }
    with clock(9, 5):
        response = writer.put(register_url(group), body, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 400
    data = response.json()
    assert data["message"] == "Nothing was saved: 2 marks were refused."
    by_index = {e["index"]: e for e in data["errors"]}
    assert set(by_index) == {1, 2}
    assert by_index[1]["field"] == "marks[1].code" and "not a national attendance code" in by_index[1]["reason"]
    assert by_index[2]["field"] == "marks[2].pupil" and by_index[2]["pupil"] == stranger.pk
    assert Mark.objects.count() == 0
    assert not Register.objects.filter(group=group).exists()


def test_shape_errors_name_the_field(writer, group, pupils):
    body = {"marks": [{"pupil": pupils[0].pk, "code": "/", "minutes_late": -3}, {"code": "/"}]}
    response = writer.put(register_url(group), body, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"marks[0].minutes_late", "marks[1].pupil"}


def test_expected_version_conflict_is_409(school, writer, group, pupils):
    write(school, pupils[0], {(MONDAY, "AM"): "N"})
    body = {"marks": [{"pupil": pupils[0].pk, "code": "/", "expected_version": 0}], "reason": "arrived"}
    with clock(9, 5):
        response = writer.put(register_url(group), body, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 409
    assert response.json()["errors"][0]["conflict"] is True


def test_teacher_timing_rules(school, teacher, group, pupils):
    client = session_client(teacher.user)
    with clock(8, 40):
        early = client.put(register_url(group), {"marks": []}, format="json", HTTP_IF_MATCH="*")
    assert early.status_code == 403
    with clock(9, 4):
        body = {"marks": [{"pupil": pupils[0].pk, "code": "N"}, {"pupil": pupils[1].pk, "code": "L"}]}
        assert client.put(register_url(group), body, format="json", HTTP_IF_MATCH="*").status_code == 200
        # corrected while the register is open: the automatic reason
        fix = {"marks": [{"pupil": pupils[0].pk, "code": "/"}]}
        assert client.put(register_url(group), fix, format="json", HTTP_IF_MATCH="*").status_code == 200
    first = Mark.objects.get(pupil=pupils[0])
    assert (first.code.code, first.version, first.reason) == ("/", 2, TEACHER_CORRECTION_REASON)
    assert first.recorded_by_position == "Class teacher" and first.source == Mark.Source.TEACHER
    assert Mark.objects.get(pupil=pupils[1]).minutes_late == 4
    with clock(9, 35):
        # after the register closes a late arrival needs when the pupil arrived (issue 13): without
        # it the teacher is asked for it; with the minutes late it is a U for those minutes
        late = {"marks": [{"pupil": pupils[2].pk, "code": "L"}]}
        response = client.put(register_url(group), late, format="json", HTTP_IF_MATCH="*")
        assert response.status_code == 400 and "arrived" in response.content.decode()
        late = {"marks": [{"pupil": pupils[2].pk, "code": "L", "minutes_late": 35}]}
        response = client.put(register_url(group), late, format="json", HTTP_IF_MATCH="*")
        assert response.status_code == 200, response.content
        change = {"marks": [{"pupil": pupils[0].pk, "code": "N"}]}
        refused = client.put(register_url(group), change, format="json", HTTP_IF_MATCH="*")
    after_close = Mark.objects.get(pupil=pupils[2])
    assert (after_close.code.code, after_close.minutes_late) == ("U", 35)
    assert refused.status_code == 400
    assert "only the office" in refused.json()["errors"][0]["reason"]
    assert Register.objects.get(group=group).state == Register.State.TAKEN
