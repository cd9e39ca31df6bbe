"""A register recorded as taken, on PostgreSQL in statements written once per process.

Taking a register is three statements: lock the register's row, insert its history row, update
it (history first: the database refuses to take a register without it, registers/audit_triggers.py).
Through the ORM, building and compiling them (`select_for_update().get`, simple_history's
`bulk_history_create`, `save_without_historical_record`) cost ~2–3 ms of the web process's CPU
on every register taken; here the same statements are written once, from the models, and write
the same rows. Other databases (SQLite for the demo) take the ORM's way
(`registers.services.mark_register_taken`)."""

from __future__ import annotations

from functools import cache

from django.db import connection

from .models import Register

TAKEN_FIELDS = ("state", "taken_by", "taken_at", "taken_on_behalf_of")  # what taking a register changes
HISTORY_OWN = ("history_id", "history_date", "history_change_reason", "history_type", "history_user_id")


def lock(register_id: int) -> tuple[str, int | None, object]:
    """The register's (state, taken_by_id, taken_at), its row locked until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(_statements()[0], [register_id])
        row = cursor.fetchone()
    if row is None:
        raise Register.DoesNotExist(f"No register {register_id}")
    return row


def record_taken(register: Register, *, user, reason: str, now) -> None:
    """Write the register's history row (type `~`, as `bulk_history_create(update=True)` does)
    then its taken fields, from the values set on `register`."""
    _, history, update = _statements()
    tracked = _tracked()
    values = [getattr(register, name) for name in tracked]
    changed = [getattr(register, Register._meta.get_field(name).attname) for name in TAKEN_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(history, [*values, now, reason, "~", getattr(user, "pk", None)])
        cursor.execute(update, [*changed, register.pk])


@cache
def _tracked() -> list[str]:
    """The register's fields its history rows copy (`Register.history` makes a manager class on every access)."""
    return [f.attname for f in Register.history.model.tracked_fields]


@cache
def _statements() -> tuple[str, str, str]:
    table, history = Register._meta.db_table, Register.history.model._meta.db_table
    tracked = [f.column for f in Register.history.model.tracked_fields]
    columns = ", ".join(f'"{c}"' for c in [*tracked, *HISTORY_OWN[1:]])
    values = ", ".join(["%s"] * (len(tracked) + len(HISTORY_OWN) - 1))
    changed = ", ".join(f'"{Register._meta.get_field(name).column}" = %s' for name in TAKEN_FIELDS)
    return (
        f'SELECT "state", "taken_by_id", "taken_at" FROM "{table}" WHERE "id" = %s FOR UPDATE',
        f'INSERT INTO "{history}" ({columns}) VALUES ({values})',
        f'UPDATE "{table}" SET {changed} WHERE "id" = %s',
    )
