"""New marks and their history rows, written by the register service in one statement.

A register of thirty pupils is thirty new marks and thirty history rows. Through the ORM that
was two multi-row INSERTs of ~500 parameters each: building them, and psycopg's parsing of a
statement too long for its cache, were a third of the CPU a register's POST cost the web
process. On PostgreSQL the same rows go in one statement whose text never changes (the rows as
one JSON parameter): the marks are inserted from it, and their history rows are
inserted from the rows the INSERT returned — the values the database holds, the change reason
and user simple_history would have recorded, the time of the write and type `+`. Other
databases (SQLite for the demo) take the ORM's way, which writes the same rows.

Only for marks that do not exist yet: a changed mark goes through the ORM, history first, as the
database guard on marks requires (registers/audit_triggers.py)."""

from __future__ import annotations

import datetime as dt
import json
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
    user = Mark.history.model._meta.get_field("history_user").target_field
    record = ", ".join(
        [f'"{f.column}" {f.db_type(connection)}' for f in fields]
        + ["history_change_reason text", f"history_user_id {user.db_type(connection)}"]
    )
    same_key = " AND ".join(f'new."{c}" = given."{c}"' for c in KEY)
    return (
        f"WITH given AS (SELECT * FROM json_to_recordset(%s::json) AS t({record})), "
        f'new AS (INSERT INTO "{Mark._meta.db_table}" ({given}) SELECT {given} FROM given '
        f"RETURNING {_quoted(tracked)}), "
        f'history AS (INSERT INTO "{Mark.history.model._meta.db_table}" '
        f"({_quoted(tracked)}, history_date, history_change_reason, history_type, history_user_id) "
        f"SELECT {_quoted(tracked, 'new.')}, %s, given.history_change_reason, '+', given.history_user_id "
        f"FROM new JOIN given ON {same_key}) "
        f"SELECT new.id, {_quoted(KEY, 'new.')} FROM new"
    )


def _iso(value):
    """JSON for the dates and times a mark holds (PostgreSQL reads ISO 8601 back)."""
    if isinstance(value, dt.date | dt.time):  # datetimes are dates too
        return value.isoformat()
    raise TypeError(f"a mark's field holds {type(value).__name__}, which the INSERT cannot send")


def insert_new_marks(marks: list[Mark], *, now) -> None:
    """Insert `marks` (unsaved, each pupil and session once) with a `+` history row each, dated
    `now`; each mark gets its id, as `bulk_create` would give it."""
    if not marks:
        return
    if connection.vendor != "postgresql":
        Mark._base_manager.bulk_create(marks)
        Mark.history.bulk_history_create(marks, default_date=now)
        return
    fields, _, default_user = _columns()
    # The rows go as one JSON text: psycopg adapting one array per column, element by element in
    # Python, was a third of the POST's CPU; json.dumps writes the same values in C.
    names = [f.column for f in fields]
    rows = [
        {
            **{name: getattr(m, f.attname) for name, f in zip(names, fields, strict=True)},
            "history_change_reason": get_change_reason_from_object(m) or "",
            "history_user_id": getattr(getattr(m, "_history_user", None) or default_user(m), "pk", None),
        }
        for m in marks
    ]
    params = [json.dumps(rows, default=_iso), now]
    by_key = {tuple(getattr(m, c) for c in KEY): m for m in marks}
    with connection.cursor() as cursor:
        cursor.execute(_statement(), params)
        for pk, *key in cursor.fetchall():
            mark = by_key[tuple(key)]
            mark.pk = pk
            mark._state.adding = False
            mark._state.db = connection.alias
