"""Lesson marks and lesson registers are guarded by the database like statutory ones
(registers/audit_triggers.py, the guards the lessons app adds in its AppConfig.ready): raw SQL
and the ORM past the protected manager cannot change a mark without a new version, a reason and
its history row first, nor take a register twice; history rows are append-only; nothing inside
the retention period can be deleted. The service's own amendment goes through."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from lessons.models import LessonMark, LessonRegister
from registers.audit_triggers import GUARDS, retained_tables
from registers.models import AttendanceCode
from registers.taking import MarkWish
from tests.lessons.lesson_helpers import at, take_lesson

pytestmark = pytest.mark.django_db


def run_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def refused(action, table="lessons_lessonmark"):
    """The database's guard on `table` must refuse (its message names the table); the savepoint
    keeps the test's transaction usable (PostgreSQL)."""
    with pytest.raises(DatabaseError, match=f"(update of|on) {table}"), transaction.atomic():
        action()


def code(symbol):
    return AttendanceCode.objects.get(code=symbol, valid_to__isnull=True)


@pytest.fixture
def mark(p3, maths_teacher, pupils):
    assert take_lesson(p3, maths_teacher, [MarkWish(p.pk, "/") for p in pupils], at(11, 2)).ok
    return LessonMark.objects.get(pupil=pupils[0])


def snapshot(mark_id):
    return LessonMark._base_manager.values().get(pk=mark_id), LessonMark.history.filter(id=mark_id).count()


def test_the_lessons_guards_are_registered():
    models = {guard.model for guard in GUARDS}
    assert {"lessons.LessonMark", "lessons.LessonRegister", "registers.Mark", "registers.Register"} <= models
    assert set(retained_tables()) >= {"lessons_lessonmark", "lessons_lessonregister"}


def test_raw_sql_updates_of_a_lesson_mark_are_refused(mark):
    before = snapshot(mark.id)
    refused(lambda: run_sql("UPDATE lessons_lessonmark SET code_id = %s WHERE id = %s", [code("N").id, mark.id]))
    refused(
        lambda: run_sql(
            "UPDATE lessons_lessonmark SET code_id = %s, version = version + 1, reason = 'tidied' WHERE id = %s",
            [code("N").id, mark.id],
        )
    )
    refused(lambda: run_sql("UPDATE lessons_lessonmark SET pupil_id = pupil_id + 1 WHERE id = %s", [mark.id]))
    refused(lambda: LessonMark._base_manager.filter(pk=mark.pk).update(comment="tidied"))
    refused(lambda: LessonMark._base_manager.filter(pk=mark.pk).update(code=code("N"), version=F("version") + 1))
    assert snapshot(mark.id) == before


def test_a_lesson_mark_cannot_be_deleted_within_retention(mark):
    before = snapshot(mark.id)
    refused(lambda: run_sql("DELETE FROM lessons_lessonmark WHERE id = %s", [mark.id]))
    refused(lambda: LessonMark._base_manager.filter(pk=mark.pk).delete())
    assert snapshot(mark.id) == before


def test_lesson_history_is_append_only(mark):
    history = LessonMark.history.model._meta.db_table
    refused(lambda: run_sql(f"UPDATE {history} SET code_id = %s WHERE id = %s", [code("N").id, mark.id]), history)
    refused(lambda: run_sql(f"DELETE FROM {history} WHERE id = %s", [mark.id]), history)
    assert LessonMark.history.filter(id=mark.id).count() == 1


def test_a_taken_lesson_register_never_changes(mark):
    register = mark.register
    register.refresh_from_db()
    assert register.state == "taken"
    table = "lessons_lessonregister"
    refused(lambda: run_sql(f"UPDATE {table} SET state = 'not_taken' WHERE id = %s", [register.pk]), table)
    refused(lambda: run_sql(f"UPDATE {table} SET taken_by_id = NULL WHERE id = %s", [register.pk]), table)
    refused(lambda: run_sql(f"DELETE FROM {table} WHERE id = %s", [register.pk]), table)
    assert LessonRegister.objects.get(pk=register.pk).state == "taken"


def test_the_service_amends_through_the_guard(mark, p3, office):
    result = take_lesson(p3, office, [MarkWish(mark.pupil_id, "N")], at(14, 0), reason="left at 11:20: seen on CCTV")
    assert result.ok and result.amended == [mark.pupil_id]
    row, versions = snapshot(mark.id)
    assert (row["version"], row["reason"], versions) == (2, "left at 11:20: seen on CCTV", 2)
