"""New marks and their history rows, written by the register service in one statement.

A register of thirty pupils is thirty new marks and thirty history rows. Through the ORM that
was two multi-row INSERTs of ~500 parameters each: building them, and psycopg's parsing of a
statement too long for its cache, were a third of the CPU a register's POST cost the web
process. On PostgreSQL the same rows go in one statement whose text never changes (one array
parameter per column): the marks are inserted from the arrays, and their history rows are
inserted from the rows the INSERT returned — the values the database holds, the change reason
and user simple_history would have recorded, the time of the write and type `+`. Other
databases (SQLite for the demo) take the ORM's way, which writes the same rows.

Only for marks that do not exist yet: a changed mark goes through the ORM, history first, as the
database guard on marks requires (registers/audit_triggers.py)."""

from __future__ import annotations

from functools import cache

from django.db import connection
from simple_history.utils import get_change_reason_from_object

from .models import Mark

KEY = ("pupil_id", "date", "session")  # one mark per pupil and session (the model's constraint)


@cache
def _columns() -> tuple[list, list[str], object]:
    """The mark's fields the INSERT gives (all but the id and the database's own defaults), and
    the history table's columns copied from the new mark (every field simple_history tracks), and
    who simple_history records when a mark names no user."""
    fields = [
        f for f in Mark._meta.concrete_fields if not f.primary_key and not f.has_db_default() and f.column != "id"
    ]
    history = Mark.history.model  # `Mark.history` makes a manager class on every access: read it once
    return fields, [f.column for f in history.tracked_fields], history.get_default_history_user


def _quoted(columns, prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{c}"' for c in columns)


@cache
def _statement() -> str:
    fields, tracked, _ = _columns()
    given = _quoted(f.column for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    user = Mark.history.model._meta.get_field("history_user").target_field
    same_key = " AND ".join(f'new."{c}" = given."{c}"' for c in KEY)
    return (
        f"WITH given AS (SELECT * FROM unnest({arrays}, %s::text[], %s::{user.db_type(connection)}[]) "
        f"AS t({given}, history_change_reason, history_user_id)), "
        f'new AS (INSERT INTO "{Mark._meta.db_table}" ({given}) SELECT {given} FROM given '
        f"RETURNING {_quoted(tracked)}), "
        f'history AS (INSERT INTO "{Mark.history.model._meta.db_table}" '
        f"({_quoted(tracked)}, history_date, history_change_reason, history_type, history_user_id) "
        f"SELECT {_quoted(tracked, 'new.')}, %s, given.history_change_reason, '+', given.history_user_id "
        f"FROM new JOIN given ON {same_key}) "
        f"SELECT new.id, {_quoted(KEY, 'new.')} FROM new"
    )


def insert_new_marks(marks: list[Mark], *, now) -> None:
    """Insert `marks` (unsaved, each pupil and session once) with a `+` history row each, dated
    `now`; each mark gets its id, as `bulk_create` would give it."""
    if not marks:
        return
    if connection.vendor != "postgresql":
        Mark._base_manager.bulk_create(marks)
        Mark.history.bulk_history_create(marks, default_date=now)
        return
    fields, _, _ = _columns()
    # The attributes as they are: psycopg adapts ints, strings, dates and aware datetimes itself, which
    # is all a mark's fields hold (on PostgreSQL Django's own preparation of them returns them as they are).
    params = [[getattr(m, f.attname) for m in marks] for f in fields]
    params.append([get_change_reason_from_object(m) or "" for m in marks])
    default_user = _columns()[2]
    params.append([getattr(getattr(m, "_history_user", None) or default_user(m), "pk", None) for m in marks])
    params.append(now)
    by_key = {tuple(getattr(m, c) for c in KEY): m for m in marks}
    with connection.cursor() as cursor:
        cursor.execute(_statement(), params)
        for pk, *key in cursor.fetchall():
            mark = by_key[tuple(key)]
            mark.pk = pk
            mark._state.adding = False
            mark._state.db = connection.alias
