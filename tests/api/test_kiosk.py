"""Late sign-ins from a kiosk, by UPN: L before the register closes, U with minutes after."""

import pytest

from registers.models import Mark
from tests.api.conftest import clock

pytestmark = pytest.mark.django_db
URL = "/api/v1/kiosk/late-arrivals/"


def test_before_close_is_l(writer, pupils):
    with clock(9, 7, 30):
        response = writer.post(URL, {"upn": pupils[0].upn, "session": "AM"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["late"] is True
    assert (data["mark"]["code"], data["mark"]["minutes_late"]) == ("L", 8)
    mark = Mark.objects.get(pupil=pupils[0])
    assert mark.recorded_by_position == "Integration: Reception kiosk" and mark.register is not None


def test_after_close_is_u_with_minutes_and_replaces_n(school, writer, pupils):
    from tests.api.conftest import MONDAY
    from tests.factories import write

    write(school, pupils[1], {(MONDAY, "AM"): "N"})
    with clock(9, 45):
        response = writer.post(URL, {"upn": pupils[1].upn.lower()}, format="json")
    assert response.status_code == 201, response.json()
    mark = Mark.objects.get(pupil=pupils[1])
    assert (mark.code.code, mark.minutes_late, mark.version) == ("U", 45, 2)
    assert mark.reason.startswith("late arrival signed in at 09:45")


def test_unknown_upn_and_read_token(writer, reader, pupils):
    with clock(9, 10):
        unknown = writer.post(URL, {"upn": "A999999999999"}, format="json")
        assert reader.post(URL, {"upn": pupils[0].upn}, format="json").status_code == 403
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == [{"field": "upn", "reason": "unknown UPN"}]


def test_the_answer_never_says_whether_a_upn_exists(school, other_school, teacher, parent_of, pupils):
    """Everyone who may not sign a pupil in gets one answer, for a real UPN and an unknown one alike."""
    from tests.api.conftest import session_client, token_client

    callers = {
        "teacher": session_client(teacher.user),
        "parent of another pupil": session_client(parent_of(pupils[1])),
        "another school's write token": token_client(other_school, "Their kiosk", "write"),
        "a read token": token_client(school, "MIS sync", "read"),
    }
    with clock(9, 10):
        for who, client in callers.items():
            real = client.post(URL, {"upn": pupils[0].upn}, format="json")
            unknown = client.post(URL, {"upn": "A999999999999"}, format="json")
            assert (real.status_code, real.json()) == (unknown.status_code, unknown.json()), who
    assert not Mark.objects.filter(pupil=pupils[0]).exists()
