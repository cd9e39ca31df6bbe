"""The database refuses a change to a mark or a register that does not come with its history
row (issue 16): raw SQL, the ORM's `update()` past the protected manager, and an upsert
(`bulk_create(update_conflicts=True)`) all fail, on PostgreSQL and SQLite alike. And a recent
entry cannot be back-dated to slip out of the six-year retention period.

Run with DATABASE_URL set (PostgreSQL) and unset (SQLite); `registers/audit_triggers.py` has
the triggers."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from registers.models import AttendanceCode, Mark, Register, RegistrationGroup
from registers.services import Actor, mark_register_taken, open_registers
from tests.factories import SYSTEM, PupilFactory, write

D = dt.date
MON = D(2026, 9, 7)  # autumn term 2026
TUE = D(2026, 9, 8)


def code(symbol):
    return AttendanceCode.objects.get(code=symbol, valid_to__isnull=True)


def run_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def refused(action):
    """The database must refuse; the savepoint keeps the test's transaction usable (PostgreSQL)."""
    with pytest.raises(DatabaseError), transaction.atomic():
        action()


def snapshot(mark_id):
    row = Mark._base_manager.values().get(pk=mark_id)
    return row, Mark.history.filter(id=mark_id).count()


@pytest.fixture
def mark(school):
    pupil = PupilFactory(school=school)
    write(school, pupil, {(MON, "AM"): "N"})
    return Mark.objects.get(pupil=pupil, date=MON, session="AM")


# --- an UPDATE of a mark -----------------------------------------------------------------------


def test_raw_sql_update_of_a_mark_is_refused(mark):
    before = snapshot(mark.id)
    refused(lambda: run_sql("UPDATE registers_mark SET code_id = %s WHERE id = %s", [code("/").id, mark.id]))
    # even dressed up as an amendment (version + 1, a reason), with no history row it is refused
    refused(
        lambda: run_sql(
            "UPDATE registers_mark SET code_id = %s, version = version + 1, reason = 'tidied' WHERE id = %s",
            [code("/").id, mark.id],
        )
    )
    assert snapshot(mark.id) == before


def test_orm_update_past_the_protected_manager_is_refused(mark):
    before = snapshot(mark.id)
    refused(lambda: Mark._base_manager.filter(pk=mark.pk).update(code=code("/")))
    refused(lambda: Mark._base_manager.filter(pk=mark.pk).update(comment="tidied"))
    refused(lambda: Mark._base_manager.filter(pk=mark.pk).update(code=code("/"), version=F("version") + 1, reason="x"))
    assert snapshot(mark.id) == before


def test_upsert_over_a_mark_is_refused(mark):
    before = snapshot(mark.id)
    replacement = Mark(
        school=mark.school,
        pupil=mark.pupil,
        date=mark.date,
        session=mark.session,
        code=code("/"),
        source=Mark.Source.IMPORT,
        recorded_by_name="Someone",
        recorded_by_position="Office",
        recorded_at=timezone.now(),
    )
    refused(
        lambda: Mark._base_manager.bulk_create(
            [replacement],
            update_conflicts=True,
            unique_fields=["pupil", "date", "session"],
            update_fields=["code", "recorded_by_name", "recorded_at"],
        )
    )
    assert snapshot(mark.id) == before


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_insert_or_replace_cannot_delete_a_mark_on_sqlite(mark):
    """SQLite's REPLACE deletes the row in the way without firing delete triggers."""
    before = snapshot(mark.id)
    refused(
        lambda: run_sql(
            "INSERT OR REPLACE INTO registers_mark (school_id, pupil_id, date, session, code_id, comment, source, "
            "recorded_by_name, recorded_by_position, recorded_at, reason, version) "
            "VALUES (%s, %s, %s, 'AM', %s, '', 'import', 'x', 'x', %s, '', 1)",
            [mark.school_id, mark.pupil_id, MON, code("/").id, timezone.now()],
        )
    )
    history = Mark.history.model._meta.db_table
    first = Mark.history.filter(id=mark.id).order_by("history_id").values_list("history_id", flat=True)[0]
    refused(lambda: run_sql(f"INSERT OR REPLACE INTO {history} SELECT * FROM {history} WHERE history_id = %s", [first]))
    assert snapshot(mark.id) == before


def test_an_update_must_match_the_history_row_written_for_it(mark):
    """A history row for the next version lets through only the change it records."""
    mark.code, mark.version, mark.reason = code("I"), mark.version + 1, "illness confirmed"
    Mark.history.bulk_history_create([mark], update=True)
    refused(lambda: Mark._base_manager.filter(pk=mark.pk).update(code=code("/"), version=2, reason="illness confirmed"))
    assert Mark._base_manager.filter(pk=mark.pk).update(code=code("I"), version=2, reason="illness confirmed") == 1


def test_a_marks_pupil_and_session_never_change(mark, school):
    other = PupilFactory(school=school)
    refused(lambda: run_sql("UPDATE registers_mark SET pupil_id = %s WHERE id = %s", [other.id, mark.id]))
    refused(lambda: run_sql("UPDATE registers_mark SET date = %s WHERE id = %s", [TUE, mark.id]))
    refused(lambda: run_sql("UPDATE registers_mark SET session = 'PM' WHERE id = %s", [mark.id]))


def test_the_service_amends_with_history_first(mark, school):
    write(school, mark.pupil, {(MON, "AM"): "I"}, reason="illness confirmed")
    mark.refresh_from_db()
    assert (mark.code.code, mark.version, mark.reason) == ("I", 2, "illness confirmed")
    rows = list(Mark.history.filter(id=mark.id).order_by("history_id").values_list("version", "code__code"))
    assert rows == [(1, "N"), (2, "I")]


# --- a register's taken state ------------------------------------------------------------------


@pytest.fixture
def register(school):
    group = RegistrationGroup.objects.get(school=school, name="Year 3")
    return open_registers(school=school, wanted=[(group, MON, "AM")])[(group.pk, MON, "AM")]


def test_a_register_cannot_be_marked_taken_without_its_history_row(register):
    refused(lambda: run_sql("UPDATE registers_register SET state = 'taken' WHERE id = %s", [register.id]))
    refused(lambda: Register._base_manager.filter(pk=register.pk).update(state=Register.State.CLOSED))
    assert Register.objects.get(pk=register.pk).state == Register.State.NOT_TAKEN


def test_a_taken_register_never_changes(register):
    mark_register_taken(register=register, actor=SYSTEM)
    register.refresh_from_db()
    assert register.state == Register.State.TAKEN
    assert list(register.history.order_by("history_id").values_list("state", flat=True)) == ["not_taken", "taken"]
    refused(lambda: run_sql("UPDATE registers_register SET state = 'not_taken' WHERE id = %s", [register.id]))
    refused(lambda: Register._base_manager.filter(pk=register.pk).update(taken_at=timezone.now()))
    # a history row inserted by hand does not unlock it either
    register.state = Register.State.NOT_TAKEN
    Register.history.bulk_history_create([register], update=True)
    refused(lambda: Register._base_manager.filter(pk=register.pk).update(state=Register.State.NOT_TAKEN))
    assert Register.objects.get(pk=register.pk).state == Register.State.TAKEN


def test_a_register_cannot_be_moved_to_another_day(register):
    refused(lambda: run_sql("UPDATE registers_register SET date = %s WHERE id = %s", [TUE, register.id]))


def test_taking_a_register_twice_at_once_records_it_once(register, school):
    """The service's lock still holds with history written first."""
    actor = Actor(None, "Office", "Administrator")
    mark_register_taken(register=register, actor=actor)
    mark_register_taken(register=Register.objects.get(pk=register.pk), actor=actor)
    assert register.history.filter(state="taken").count() == 1


# --- retention cannot be dodged by back-dating -------------------------------------------------

LONG_AGO = timezone.make_aware(dt.datetime(2018, 6, 4, 9, 5))


def test_back_dating_a_recent_mark_does_not_open_it_to_deletion(mark):
    refused(
        lambda: run_sql(
            "UPDATE registers_mark SET date = %s, recorded_at = %s WHERE id = %s", [D(2018, 6, 4), LONG_AGO, mark.id]
        )
    )
    refused(lambda: run_sql("UPDATE registers_mark SET created_at = %s WHERE id = %s", [LONG_AGO, mark.id]))
    refused(lambda: run_sql("DELETE FROM registers_mark WHERE id = %s", [mark.id]))
    assert Mark.objects.filter(pk=mark.pk).exists()


def test_an_old_session_made_recently_stays_even_when_its_recorded_time_is_rewritten(school):
    """A 2019 session imported today, then an audited rewrite of its recorded time to 2019:
    created_at (set by the database, never changed) still keeps it for six years."""
    pupil = PupilFactory(school=school, on_roll=(D(2018, 9, 3), D(2019, 7, 19)))
    old = Mark.objects.create(
        school=school,
        pupil=pupil,
        date=D(2019, 6, 3),
        session="AM",
        code=code("/"),
        source=Mark.Source.IMPORT,
        recorded_by_name="MIS migration",
        recorded_by_position="Data import",
        recorded_at=timezone.now(),
    )
    old.recorded_at, old.version, old.reason = LONG_AGO, 2, "back-dated"
    Mark.history.bulk_history_create([old], update=True)
    assert Mark._base_manager.filter(pk=old.pk).update(recorded_at=LONG_AGO, version=2, reason="back-dated") == 1
    refused(lambda: run_sql("DELETE FROM registers_mark WHERE id = %s", [old.id]))
    assert Mark.objects.filter(pk=old.pk).exists()


def test_created_at_is_set_by_the_database(mark):
    made = Mark.objects.values_list("created_at", flat=True).get(pk=mark.pk)
    assert made is not None and timezone.now() - made < dt.timedelta(hours=1)


def test_a_register_cannot_be_back_dated_to_delete_it(register):
    refused(lambda: run_sql("UPDATE registers_register SET created_at = %s WHERE id = %s", [LONG_AGO, register.id]))
    refused(lambda: run_sql("DELETE FROM registers_register WHERE id = %s", [register.id]))


def test_a_plain_insert_of_a_second_mark_for_the_same_session_still_fails_as_a_clash(mark):
    """The register service retries on IntegrityError when two writers insert the same session at
    once; the SQLite replace guard must report the same kind of error."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Mark._base_manager.bulk_create(
            [
                Mark(
                    school=mark.school,
                    pupil=mark.pupil,
                    date=mark.date,
                    session=mark.session,
                    code=code("/"),
                    source=Mark.Source.IMPORT,
                    recorded_by_name="x",
                    recorded_by_position="x",
                    recorded_at=timezone.now(),
                )
            ]
        )
