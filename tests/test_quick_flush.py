"""The quick end of transactional tests (tests/quick_flush.py) leaves the database as Django's
flush would: every table empty but the ones post_migrate fills, and those as post_migrate
left them."""

import pytest
from django.db import connection

from registers.models import AttendanceCode, Pupil
from tests import quick_flush

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the quick flush is for PostgreSQL"),
]


def _tables_with_rows():
    tables = quick_flush._all_tables("default")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables))
        return {row[0] for row in cursor.fetchall()}


def test_it_empties_every_table_a_test_wrote_to_and_keeps_what_post_migrate_fills(school, family, teacher):
    codes = list(AttendanceCode.objects.order_by("pk").values_list("code", "meaning"))
    assert codes and Pupil.objects.count() == 2
    written = _tables_with_rows() - set(quick_flush.REFILLED)
    assert {"registers_pupil", "registers_school", "auth_user"} <= written

    # the audit triggers refuse DELETE of history rows; the flush must get past them as TRUNCATE does
    assert "registers_historicalpupil" in written

    assert quick_flush._quick_flush("default") is True

    assert _tables_with_rows() == {"django_content_type", "auth_permission", "registers_attendancecode"}
    assert list(AttendanceCode.objects.order_by("pk").values_list("code", "meaning")) == codes


def test_a_changed_attendance_code_is_left_for_djangos_own_flush(db_with_codes_changed):
    """Changed rows post_migrate would put back: nothing is deleted, and Django's flush runs."""
    assert quick_flush._quick_flush("default") is False
    assert Pupil.objects.count() == 1


@pytest.fixture
def db_with_codes_changed(school):
    from tests.factories import PupilFactory

    PupilFactory(school=school)
    code = AttendanceCode.objects.order_by("pk").first()
    code.meaning += " (changed by a test)"
    code.save()


def test_a_dropped_audit_trigger_is_left_for_djangos_own_flush(school):
    """post_migrate re-installs the audit triggers after Django's flush; the quick way would not."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger"
            " WHERE NOT tgisinternal AND tgname LIKE 'append_only_%' ORDER BY tgname LIMIT 1"
        )
        name, table = cursor.fetchone()
        cursor.execute(f'DROP TRIGGER "{name}" ON {table}')
    assert quick_flush._quick_flush("default") is False
