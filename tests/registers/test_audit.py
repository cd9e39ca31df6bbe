"""The audit guarantees are enforced by the database, not just by the ORM: history rows are
append-only and register entries are kept for six years from when they were made, whatever SQL
is run (RULES.md, "Sessions and registers"). Runs on SQLite and PostgreSQL alike."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from registers.audit_triggers import history_tables
from registers.models import AttendanceCode, Mark, Register, RegistrationGroup, Term
from tests.factories import SYSTEM, PupilFactory, write

D = dt.date
MON = D(2025, 9, 8)


def run_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def refused_sql(sql, params=()):
    """The statement must fail; the savepoint keeps the test's transaction usable (PostgreSQL)."""
    with pytest.raises(DatabaseError), transaction.atomic():
        run_sql(sql, params)


@pytest.fixture
def amended_mark(school):
    pupil = PupilFactory(school=school)
    write(school, pupil, {(MON, "AM"): "N"})
    write(school, pupil, {(MON, "AM"): "I"}, reason="illness confirmed")
    return Mark.objects.get(pupil=pupil)


def test_history_rows_cannot_be_updated_with_raw_sql(amended_mark):
    table = Mark.history.model._meta.db_table
    refused_sql(f"UPDATE {table} SET history_change_reason = %s WHERE id = %s", ["tidied", amended_mark.id])
    refused_sql(f"UPDATE {table} SET code_id = %s", [AttendanceCode.objects.get(code="/").id])
    reasons = set(Mark.history.filter(id=amended_mark.id).values_list("history_change_reason", flat=True))
    assert "tidied" not in reasons and "illness confirmed" in reasons


def test_history_rows_cannot_be_deleted_with_raw_sql(amended_mark):
    table = Mark.history.model._meta.db_table
    refused_sql(f"DELETE FROM {table} WHERE id = %s", [amended_mark.id])
    refused_sql(f"DELETE FROM {table}")
    assert Mark.history.filter(id=amended_mark.id).count() == 2


def test_history_rows_cannot_be_deleted_through_the_orm(amended_mark):
    with pytest.raises(DatabaseError), transaction.atomic():
        Mark.history.filter(id=amended_mark.id).delete()
    assert Mark.history.filter(id=amended_mark.id).count() == 2


def test_calendar_history_is_append_only_too(school):
    table = Term.history.model._meta.db_table
    assert Term.history.filter(school_id=school.id).exists()
    refused_sql(f"DELETE FROM {table} WHERE school_id = %s", [school.id])
    refused_sql(f"UPDATE {table} SET name = 'Renamed' WHERE school_id = %s", [school.id])


def installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'append_only_%'")
        else:
            cursor.execute(
                "SELECT event_object_table FROM information_schema.triggers WHERE trigger_name LIKE 'append_only_%'"
            )
        return {row[0] for row in cursor.fetchall()}


def test_every_history_table_has_the_append_only_trigger(db):
    tables = set(history_tables())
    assert {
        "registers_historicalmark",
        "registers_historicalregister",
        "registers_historicalenrolment",
        "registers_historicalregistrationgroup_teachers",
    } <= tables
    assert tables <= installed_triggers()


def test_a_mark_within_six_years_cannot_be_deleted_with_raw_sql(amended_mark):
    refused_sql("DELETE FROM registers_mark WHERE id = %s", [amended_mark.id])
    refused_sql("DELETE FROM registers_mark")
    assert Mark.objects.filter(id=amended_mark.id).exists()


def old_mark(school, *, day, recorded_at):
    """A mark from before the retention period, as an MIS migration would leave it: the entry was
    made when it was recorded (an insert may say when; no update can change it afterwards)."""
    pupil = PupilFactory(school=school, on_roll=(D(2018, 9, 3), D(2019, 7, 19)))
    return Mark.objects.create(
        school=school,
        pupil=pupil,
        date=day,
        session="AM",
        code=AttendanceCode.objects.get(code="/"),
        source=Mark.Source.IMPORT,
        recorded_by_name="MIS migration",
        recorded_by_position="Data import",
        recorded_at=recorded_at,
        created_at=recorded_at,
    )


def test_a_mark_older_than_six_years_may_be_deleted(school):
    """Retention is six years, not for ever: the trigger must not block a lawful purge."""
    mark = old_mark(school, day=D(2019, 6, 3), recorded_at=timezone.make_aware(dt.datetime(2019, 6, 3, 9, 5)))
    assert run_sql("DELETE FROM registers_mark WHERE id = %s", [mark.id]) == 1
    assert not Mark.objects.filter(id=mark.id).exists()


def test_six_years_run_from_when_the_entry_was_made(school):
    """An old session imported recently was made recently: it is kept for six years from now."""
    mark = old_mark(school, day=D(2019, 6, 3), recorded_at=timezone.now())
    refused_sql("DELETE FROM registers_mark WHERE id = %s", [mark.id])
    assert Mark.objects.filter(id=mark.id).exists()


def test_a_register_within_six_years_cannot_be_deleted_with_raw_sql(school):
    register = Register.objects.create(
        school=school, group=RegistrationGroup.objects.get(school=school, name="Year 3"), date=MON, session="AM"
    )
    refused_sql("DELETE FROM registers_register WHERE id = %s", [register.id])
    with pytest.raises(ValidationError):
        register.delete()
    with pytest.raises(ValidationError):
        Register.objects.filter(id=register.id).delete()
    assert Register.objects.filter(id=register.id).exists()


def test_the_orm_refuses_to_delete_or_bulk_update_marks(amended_mark):
    with pytest.raises(ValidationError, match="kept for six years"):
        amended_mark.delete()
    with pytest.raises(ValidationError, match="kept for six years"):
        Mark.objects.all().delete()
    with pytest.raises(ValidationError, match="register service"):
        Mark.objects.filter(id=amended_mark.id).update(comment="tidied")
    with pytest.raises(ValidationError):
        Register.objects.all().update(state=Register.State.CLOSED)
    assert Mark.objects.get(id=amended_mark.id).comment == ""


def test_amendments_through_the_service_add_history_rather_than_overwrite(amended_mark, school):
    codes = list(Mark.history.filter(id=amended_mark.id).order_by("history_id").values_list("code__code", flat=True))
    assert codes == ["N", "I"]
    write(school, amended_mark.pupil, {(MON, "AM"): "M"}, actor=SYSTEM, reason="actually the dentist")
    codes = list(Mark.history.filter(id=amended_mark.id).order_by("history_id").values_list("code__code", flat=True))
    assert codes == ["N", "I", "M"]


def test_flush_empties_the_database_and_keeps_the_audit_triggers(amended_mark):
    """`flush` (used by `make run` resets and transactional tests) must get past the triggers
    and put them back, with the national codes reloaded."""
    if connection.vendor == "postgresql":
        run_sql("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending deferred checks
    call_command("flush", interactive=False, verbosity=0)
    assert not Mark.objects.exists() and not Mark.history.exists()
    assert AttendanceCode.objects.filter(code="C1").exists()
    assert set(history_tables()) <= installed_triggers()
