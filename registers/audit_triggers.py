"""Database-enforced audit: history rows can be inserted, never updated or deleted, and
register entries inside the retention period cannot be deleted, whatever SQL is run.

The triggers are (re)installed after every `migrate` for every model that django-simple-history
tracks, in every app, so a new audited model is protected without extra migrations."""

from django.apps import apps
from django.conf import settings
from django.db import connections

TRIGGER_PREFIXES = ("append_only_", "retain_")
# Each retained table with the columns that date an entry: the session it is for and when it
# was made. RULES.md keeps an entry for 6 years "from the date it was made", so a historic mark
# imported today is protected for 6 years from today, not from its (older) session date.
RETAINED_TABLES = {"registers_mark": ("date", "recorded_at"), "registers_register": ("date", "taken_at")}

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION attendance_refuse_history_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION attendance_refuse_retained_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'register entries are kept for % years: delete on % refused', TG_ARGV[0], TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def history_tables() -> list[str]:
    tables = set()
    for model in apps.get_models():
        # django-simple-history's generated models: history rows, and m2m history rows
        # that point at one through `history`
        names = {f.name for f in model._meta.get_fields()}
        if model.__name__.startswith("Historical") and ({"history_id", "history_date"} & names or "history" in names):
            tables.add(model._meta.db_table)
    return sorted(tables)


def trigger_statements(vendor: str, years: int) -> list[str]:
    statements: list[str] = []
    if vendor == "postgresql":
        statements.append(PG_FUNCTIONS)
        for table in history_tables():
            name = f"append_only_{table}"[:63]
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
                f'CREATE TRIGGER "{name}" BEFORE UPDATE OR DELETE ON "{table}" '
                f"FOR EACH ROW EXECUTE FUNCTION attendance_refuse_history_change()",
            ]
        for table, columns in RETAINED_TABLES.items():
            name = f"retain_{table}"
            recent = " OR ".join(f"OLD.{c} > current_date - interval '{years} years'" for c in columns)
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
                f'CREATE TRIGGER "{name}" BEFORE DELETE ON "{table}" FOR EACH ROW '
                f"WHEN ({recent}) "
                f"EXECUTE FUNCTION attendance_refuse_retained_delete('{years}')",
            ]
    elif vendor == "sqlite":
        for table in history_tables():
            for op in ("UPDATE", "DELETE"):
                name = f"append_only_{op.lower()}_{table}"
                statements += [
                    f'DROP TRIGGER IF EXISTS "{name}"',
                    f'CREATE TRIGGER "{name}" BEFORE {op} ON "{table}" BEGIN '
                    f"SELECT RAISE(ABORT, 'history rows are append-only: {op} on {table} refused'); END",
                ]
        for table, columns in RETAINED_TABLES.items():
            name = f"retain_{table}"
            recent = " OR ".join(f"OLD.{c} > date('now', '-{years} years')" for c in columns)
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}"',
                f'CREATE TRIGGER "{name}" BEFORE DELETE ON "{table}" '
                f"WHEN {recent} BEGIN "
                f"SELECT RAISE(ABORT, 'register entries are kept for {years} years: delete on {table} refused'); END",
            ]
    return statements


def install_audit_triggers(using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        for statement in trigger_statements(connection.vendor, settings.REGISTER_RETENTION_YEARS):
            cursor.execute(statement)
