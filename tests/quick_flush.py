"""A quicker end for transactional tests on PostgreSQL: empty only the tables that have rows.

After each transactional test (browser journeys on the live server, real Celery workers, the
fault tests) Django's TransactionTestCase runs `flush`: one TRUNCATE of every table (about 125,
each with its indexes getting new files) and then post_migrate, which re-creates the content
types, the permissions and the national attendance codes and re-installs the audit triggers.
That took seconds per test, while a test writes to a few dozen tables at most.

Here the end state is the same — every table empty except what post_migrate puts back — but it
is reached by one query that finds the tables holding rows and one DELETE of each of them, in a
transaction with triggers and foreign-key checks off (`session_replication_role = replica`, so
the append-only audit triggers let the rows go, as TRUNCATE does). The tables post_migrate fills
are left alone while their rows are exactly what they were after the last full flush (or the
migrate); when a test changed them or dropped a trigger, or anything here fails (no superuser, not PostgreSQL,
available_apps or serialized_rollback in use), Django's own flush runs as before.

`TEST_QUICK_FLUSH=0` turns this off, to compare a run without it."""

from __future__ import annotations

import os

from django.db import DatabaseError, connections, transaction
from django.test import TransactionTestCase

ENABLED = os.environ.get("TEST_QUICK_FLUSH", "1") != "0"
# Filled again by post_migrate after a flush (registers/signals.py loads the codes).
REFILLED = ("django_content_type", "auth_permission", "registers_attendancecode")

_original_setup = TransactionTestCase.__dict__["_fixture_setup"].__func__  # a classmethod
_original_teardown = TransactionTestCase._fixture_teardown
_tables: dict[str, list[str]] = {}
_refilled: dict[str, str] = {}  # alias -> fingerprint of the post_migrate tables' rows
_refused: set[str] = set()  # aliases where the quick way failed once: Django's flush from then on


def _fingerprint(cursor, tables: list[str]) -> str:
    """One text standing for every row of `tables` and for the triggers in place (post_migrate
    re-installs the audit triggers: a test that dropped one gets Django's flush)."""
    parts = [
        f"SELECT '{t}' || ':' || COALESCE(md5(string_agg(r::text, ',' ORDER BY r::text)), '') FROM \"{t}\" r"
        for t in tables
    ]
    triggers = "tgrelid::regclass::text || '.' || tgname"
    parts.append(
        f"SELECT 'triggers:' || COALESCE(string_agg({triggers}, ',' ORDER BY {triggers}), '')"
        " FROM pg_trigger WHERE NOT tgisinternal"
    )
    cursor.execute(" UNION ALL ".join(parts))
    return "|".join(sorted(row[0] for row in cursor.fetchall()))


def _usable(case, alias: str) -> bool:
    connection = connections[alias]
    return (
        ENABLED
        and connection.vendor == "postgresql"
        and alias not in _refused
        and case.available_apps is None
        and not case.serialized_rollback
    )


def _refilled_tables(alias: str) -> list[str]:
    return [t for t in REFILLED if t in _all_tables(alias)]


def _all_tables(alias: str) -> list[str]:
    if alias not in _tables:
        introspection = connections[alias].introspection
        _tables[alias] = sorted(introspection.django_table_names(only_existing=True, include_views=False))
    return _tables[alias]


def _remember_refilled(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        _refilled[alias] = _fingerprint(cursor, _refilled_tables(alias))


def _fixture_setup(cls):
    """Before the first transactional test on a database, note the post_migrate tables' rows
    (the database is as migrate or the last flush left it: earlier tests rolled back or flushed)."""
    for alias in cls._databases_names(include_mirrors=False):
        if _usable(cls, alias) and alias not in _refilled:
            _remember_refilled(alias)
    return _original_setup(cls)


def _quick_flush(alias: str) -> bool:
    """Empty every table with rows but the post_migrate ones; False (nothing changed) when the
    post_migrate tables are not as they were, so the caller flushes the usual way."""
    connection = connections[alias]
    keep = set(_refilled_tables(alias))
    others = [t for t in _all_tables(alias) if t not in keep]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if _fingerprint(cursor, sorted(keep)) != _refilled.get(alias):
            return False
        cursor.execute(" UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in others))
        full = [row[0] for row in cursor.fetchall()]
        if full:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("; ".join(f'DELETE FROM "{t}"' for t in full))
    return True


def _fixture_teardown(self):
    quick = True
    for alias in self._databases_names(include_mirrors=False):
        if not _usable(self, alias):
            quick = False
            continue
        try:
            quick = _quick_flush(alias) and quick
        except DatabaseError:
            _refused.add(alias)
            quick = False
    if not quick:
        _original_teardown(self)  # Django's flush of every database (again, harmlessly, for one done above)
        for alias in self._databases_names(include_mirrors=False):
            if alias in _refilled:
                _remember_refilled(alias)


def install() -> None:
    """Called once from tests/conftest.py."""
    TransactionTestCase._fixture_setup = classmethod(_fixture_setup)
    TransactionTestCase._fixture_teardown = _fixture_teardown
