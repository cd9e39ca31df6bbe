"""Lesson registers and lesson marks through the API: read and written with the session
endpoints' tokens, errors and preconditions (If-Match required), through the lesson taking
service; never another school's lessons, never for governors; a lesson mark never changes the
statutory AM/PM mark."""

import pytest

from lessons.models import LessonMark, LessonRegister
from registers.models import Mark, Staff
from tests.api.conftest import MONDAY, clock, session_client, token_client
from tests.factories import make_staff
from tests.lesson_insight.lesson_records import lesson, secondary_pupil, teaching_group

pytestmark = pytest.mark.django_db
P = Staff.Position


@pytest.fixture
def maths(school):
    """9X/Ma1 with Mr Ray Khan, P2 (09:50–10:50) on Mondays, three Year 9 pupils."""
    teacher = make_staff(school, P.SUBJECT_TEACHER, "mrkhan", "Ray", "Khan", title="Mr")
    pupils = [secondary_pupil(school, f"Pupil{i}", "Maths", year=9) for i in range(3)]
    group = teaching_group(school, "9X/Ma1", "Mathematics", 9, pupils, teacher)
    return {"lesson": lesson(group, "P2", 1, teacher=teacher), "pupils": pupils, "teacher": teacher}


def url(the_lesson, day=MONDAY):
    return f"/api/v1/lessons/{the_lesson.pk}/registers/{day.isoformat()}/"


def write_marks(client, maths, codes, **headers):
    body = {"marks": [{"pupil": p.pk, "code": c} for p, c in zip(maths["pupils"], codes, strict=False)]}
    return client.put(url(maths["lesson"]), body, format="json", **headers)


def test_read_a_lesson_register(reader, maths):
    with clock(9, 55):
        response = reader.get(url(maths["lesson"]))
    assert response.status_code == 200, response.content
    data = response.json()
    assert response["ETag"] == data["etag"]
    assert (data["id"], data["state"], data["subject"], data["period"]) == (None, "not_taken", "Mathematics", "P2")
    assert (data["opens"], data["closes"], data["is_open"]) == ("09:50:00", "10:50:00", True)
    assert {r["pupil"] for r in data["pupils"]} == {p.pk for p in maths["pupils"]}
    assert all(r["mark"] is None for r in data["pupils"])


def test_writing_needs_if_match_and_goes_through_the_taking_service(writer, maths):
    with clock(9, 55):
        missing = write_marks(writer, maths, ["/", "/", "O"])
        assert missing.status_code == 428 and "If-Match" in missing.json()["message"]
        assert not LessonMark.objects.exists()
        etag = writer.get(url(maths["lesson"]))["ETag"]
        response = write_marks(writer, maths, ["/", "/", "O"], HTTP_IF_MATCH=etag)
        assert response.status_code == 200, response.json()
        assert response.json()["created"] == 3 and response["ETag"] != etag
        stale = write_marks(writer, maths, ["/", "/", "/"], HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and "nothing was saved" in stale.json()["message"]
    marks = LessonMark.objects.filter(register__lesson=maths["lesson"])
    assert sorted(m.code.code for m in marks) == ["/", "/", "O"]
    assert {m.source for m in marks} == {LessonMark.Source.API}
    assert {m.recorded_by_name for m in marks} == {"Reception kiosk"}
    assert LessonRegister.objects.get().state == LessonRegister.State.TAKEN
    assert not Mark.objects.exists()  # the statutory AM mark is not touched


def test_a_bad_mark_writes_nothing_and_says_which(writer, maths):
    with clock(9, 55):
        etag = writer.get(url(maths["lesson"]))["ETag"]
        response = write_marks(writer, maths, ["/", "Q!", "/"], HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    assert any(e.get("pupil") == maths["pupils"][1].pk for e in response.json()["errors"])
    assert not LessonMark.objects.exists()


def test_the_lessons_teacher_takes_it_and_a_read_token_may_not(client, reader, maths):
    teacher = session_client(maths["teacher"].user)
    with clock(9, 52):
        etag = teacher.get(url(maths["lesson"]))["ETag"]
        assert write_marks(reader, maths, ["/"], HTTP_IF_MATCH=etag).status_code == 403
        response = write_marks(teacher, maths, ["/", "/", "/"], HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert {m.source for m in LessonMark.objects.all()} == {LessonMark.Source.TEACHER}


def test_lesson_marks_list_one_mark_and_its_history(writer, reader, maths):
    with clock(9, 55):
        etag = writer.get(url(maths["lesson"]))["ETag"]
        write_marks(writer, maths, ["/", "/", "O"], HTTP_IF_MATCH=etag)
    listing = reader.get("/api/v1/lesson-marks/", {"lesson": maths["lesson"].pk, "code": "o"})
    assert listing.status_code == 200
    (absent,) = listing.json()["results"]
    assert (absent["pupil"], absent["lesson"], absent["session"]) == (maths["pupils"][2].pk, maths["lesson"].pk, "AM")
    one = reader.get(f"/api/v1/lesson-marks/{absent['id']}/")
    assert one["ETag"] == f'"lesson-mark-{absent["id"]}-v1"'
    history = reader.get(f"/api/v1/lesson-marks/{absent['id']}/history/").json()
    assert [h["code"] for h in history] == ["O"]
    registers = reader.get("/api/v1/lesson-registers/", {"date": MONDAY.isoformat()}).json()
    assert [r["group_name"] for r in registers["results"]] == ["9X/Ma1"]
    assert reader.get("/api/v1/lesson-marks/not-a-number/").status_code == 404


def test_no_register_on_a_day_the_lesson_does_not_meet(reader, maths):
    tuesday = MONDAY.replace(day=24)
    assert "does not meet" in reader.get(url(maths["lesson"], tuesday)).json()["message"]
    assert "weekend" in reader.get(url(maths["lesson"], MONDAY.replace(day=21))).json()["message"]
    assert reader.get(f"/api/v1/lessons/{maths['lesson'].pk}/registers/23-11-2026/").status_code == 404


def test_another_schools_token_sees_nothing_of_these_lessons(other_school, writer, maths):
    with clock(9, 55):
        etag = writer.get(url(maths["lesson"]))["ETag"]
        write_marks(writer, maths, ["/", "/", "O"], HTTP_IF_MATCH=etag)
    theirs = token_client(other_school, "Their MIS", "write")
    assert theirs.get(url(maths["lesson"])).status_code == 404
    assert write_marks(theirs, maths, ["O", "O", "O"], HTTP_IF_MATCH="*").status_code == 404
    assert theirs.get("/api/v1/lesson-marks/").json()["results"] == []
    assert theirs.get("/api/v1/lesson-registers/").json()["results"] == []
    mark_id = LessonMark.objects.first().pk
    assert theirs.get(f"/api/v1/lesson-marks/{mark_id}/").status_code == 404
    assert sorted(m.code.code for m in LessonMark.objects.all()) == ["/", "/", "O"]


def test_governors_and_other_teachers_cannot_reach_lessons(school, governor, maths):
    other_teacher = make_staff(school, P.SUBJECT_TEACHER, "msday", "Kim", "Day", title="Ms")
    gov = session_client(governor.user)
    for path in (url(maths["lesson"]), "/api/v1/lesson-marks/", "/api/v1/lesson-registers/"):
        response = gov.get(path)
        assert response.status_code == 403 and "Governors" in response.json()["message"]
    assert session_client(other_teacher.user).get(url(maths["lesson"])).status_code == 404
    assert session_client(other_teacher.user).get("/api/v1/lesson-registers/").json()["results"] == []
