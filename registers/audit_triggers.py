"""Database-enforced audit, on PostgreSQL and SQLite alike, whatever SQL is run:

- history rows can be inserted, never updated or deleted (every table django-simple-history keeps);
- a mark changes only as a new version (version + 1) with a reason, and only once its history row
  for that version, with the same values, is already in place — so no mark ever holds a value the
  history does not show (the register service writes the history row, then the mark);
- a register is taken once (not taken → taken or closed), with its history row first, and never
  changes after that; the pupil, school, date and session of a mark or register never change;
- register entries inside the retention period cannot be deleted. The period runs from the
  latest of the session date, the time of the latest version and `created_at`, which the
  database sets on insert and refuses to change, so back-dating an entry cannot open it to delete;
- on SQLite, `INSERT OR REPLACE` (which deletes the row it replaces without firing delete
  triggers) is refused on these tables.

The triggers are (re)installed after every `migrate` (registers/signals.py), so a new audited
model is protected without extra migrations, and a new column of a mark is compared with its
history row without anyone remembering to add it here. An app above registers with marks and
registers of its own (a lesson's) adds them with `audit()` in its AppConfig.ready — by model
label, so this module never imports that app — and gets the same guards."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connections

TRIGGER_PREFIXES = ("append_only_", "retain_", "guard_")
REFUSED = "insufficient_privilege"  # the SQLSTATE PostgreSQL reports for a refused change


MARK_KIND, REGISTER_KIND = "mark", "register"


@dataclass(frozen=True)
class Guard:
    """How updates of one audited table are checked: `fixed` columns never change; every other
    column must equal the history row that records the change. A mark (`kind` "mark") changes only
    as a new version with a reason; a register ("register") is taken once. `dated`: the columns
    that date an entry for retention — the session it is for, when its latest version was made and
    when it was first made (RULES.md keeps an entry for 6 years "from the date it was made", so a
    historic mark imported today is protected for 6 years from today)."""

    model: str
    fixed: tuple[str, ...]
    what: str
    kind: str = MARK_KIND
    dated: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return apps.get_model(self.model)._meta.db_table

    @property
    def history_table(self) -> str:
        return apps.get_model(self.model).history.model._meta.db_table

    @property
    def compared(self) -> list[str]:
        """Every column the history keeps, except the fixed ones (a new field is included)."""
        history_columns = {f.column for f in apps.get_model(self.model).history.model._meta.concrete_fields}
        model = apps.get_model(self.model)
        return [f.column for f in model._meta.concrete_fields if f.column in history_columns - set(self.fixed)]

    @property
    def unique_keys(self) -> list[tuple[str, ...]]:
        model = apps.get_model(self.model)
        keys = [("id",)]
        keys += [
            tuple(model._meta.get_field(f).column for f in c.fields)
            for c in model._meta.constraints
            if hasattr(c, "fields") and c.fields
        ]
        return keys


MARK = Guard(
    "registers.Mark",
    ("id", "school_id", "pupil_id", "date", "session", "created_at"),
    "mark",
    MARK_KIND,
    ("date", "recorded_at", "created_at"),
)
REGISTER = Guard(
    "registers.Register",
    ("id", "school_id", "group_id", "date", "session", "created_at"),
    "register",
    REGISTER_KIND,
    ("date", "taken_at", "created_at"),
)
GUARDS: list[Guard] = [MARK, REGISTER]


def audit(guard: Guard) -> None:
    """Guard another app's marks or registers like the statutory ones (called from its
    AppConfig.ready; the triggers are installed at the next migrate or flush)."""
    if all(g.model != guard.model for g in GUARDS):
        GUARDS.append(guard)


def retained_tables() -> dict[str, tuple[str, ...]]:
    """Each retained table with the columns that date an entry."""
    return {guard.table: guard.dated for guard in GUARDS if guard.dated}


def _quoted(message: str) -> str:
    return message.replace("'", "''")


def _distinct(vendor: str, a: str, b: str) -> str:
    return f"{a} IS DISTINCT FROM {b}" if vendor == "postgresql" else f"{a} IS NOT {b}"


def _changed(vendor: str, column: str) -> str:
    """SQLite keeps times as text, and the database's own default writes fewer decimal places than
    Django: compare times as times there, so a harmless rewrite of the same moment is not a change."""
    if vendor == "sqlite" and column == "created_at":
        return _distinct(vendor, f"julianday(NEW.{column})", f"julianday(OLD.{column})")
    return _distinct(vendor, f"NEW.{column}", f"OLD.{column}")


def _same(vendor: str, a: str, b: str) -> str:
    return f"{a} IS NOT DISTINCT FROM {b}" if vendor == "postgresql" else f"{a} IS {b}"


def _history_row_missing(vendor: str, guard: Guard) -> str:
    same = " AND ".join(_same(vendor, f"h.{c}", f"NEW.{c}") for c in guard.compared)
    return f"NOT EXISTS (SELECT 1 FROM {guard.history_table} h WHERE h.id = NEW.id AND h.history_type = '~' AND {same})"


def _rules(vendor: str, guard: Guard) -> list[tuple[str, str]]:
    fixed = " OR ".join(_changed(vendor, c) for c in guard.fixed)
    names = [{"created_at": "creation time"}.get(c, c.removesuffix("_id")) for c in guard.fixed if c != "id"]
    never = ", ".join(names[:-1]) + " and " + names[-1]
    if guard.kind == REGISTER_KIND:
        return [
            (fixed, f"a {guard.what}'s {never} never change"),
            (
                "OLD.state <> 'not_taken' OR NEW.state = 'not_taken'",
                f"a {guard.what} is taken once and never changes after that",
            ),
            (
                _history_row_missing(vendor, guard),
                f"taking a {guard.what} needs its history row (same values) written first",
            ),
        ]
    return [
        (fixed, f"a {guard.what}'s {never} never change"),
        (
            _distinct(vendor, "NEW.version", "OLD.version + 1"),
            f"a change to a {guard.what} is a new version: version must go up by one",
        ),
        ("trim(COALESCE(NEW.reason, '')) = ''", f"a change to a {guard.what} needs a reason"),
        (
            _history_row_missing(vendor, guard),
            f"a change to a {guard.what} needs its history row (same version and values) written first",
        ),
    ]


def update_rules(vendor: str) -> dict[Guard, list[tuple[str, str]]]:
    """For each guarded table, the (condition, message) pairs that refuse an UPDATE, in order."""
    return {guard: _rules(vendor, guard) for guard in GUARDS}


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


def history_keys() -> dict[str, str]:
    """Every history table, with its primary-key column."""
    tables = {}
    for model in apps.get_models():
        # django-simple-history's generated models: history rows, and m2m history rows
        # that point at one through `history`
        names = {f.name for f in model._meta.get_fields()}
        if model.__name__.startswith("Historical") and ({"history_id", "history_date"} & names or "history" in names):
            tables[model._meta.db_table] = model._meta.pk.column
    return tables


def history_tables() -> list[str]:
    return sorted(history_keys())


def _pg_update_guard(guard: Guard, rules: list[tuple[str, str]]) -> list[str]:
    function, name = f"attendance_guard_{guard.table}_update", f"guard_update_{guard.table}"
    checks = "\n".join(
        f"    IF {condition} THEN\n"
        f"        RAISE EXCEPTION '{_quoted(message)}: update of {guard.table} % refused', OLD.id\n"
        f"            USING ERRCODE = '{REFUSED}';\n"
        f"    END IF;"
        for condition, message in rules
    )
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$\nBEGIN\n{checks}\n    RETURN NEW;\nEND;\n"
        "$$ LANGUAGE plpgsql",
        f'DROP TRIGGER IF EXISTS "{name}" ON "{guard.table}"',
        f'CREATE TRIGGER "{name}" BEFORE UPDATE ON "{guard.table}" FOR EACH ROW EXECUTE FUNCTION {function}()',
    ]


def _sqlite_update_guard(guard: Guard, rules: list[tuple[str, str]]) -> list[str]:
    name = f"guard_update_{guard.table}"
    cases = " ".join(
        f"WHEN {condition} THEN RAISE(ABORT, '{_quoted(message)}: update of {guard.table} refused')"
        for condition, message in rules
    )
    return [
        f'DROP TRIGGER IF EXISTS "{name}"',
        f'CREATE TRIGGER "{name}" BEFORE UPDATE ON "{guard.table}" BEGIN SELECT CASE {cases} END; END',
    ]


def _sqlite_no_replace(table: str, keys: list[tuple[str, ...]]) -> list[str]:
    """`INSERT OR REPLACE` deletes the row it replaces without firing delete triggers: refuse an
    insert that would collide with a row already there (a plain insert would fail anyway)."""
    name = f"guard_insert_{table}"
    clash = " OR ".join("(" + " AND ".join(f"t.{c} = NEW.{c}" for c in key) + ")" for key in keys)
    return [
        f'DROP TRIGGER IF EXISTS "{name}"',
        f'CREATE TRIGGER "{name}" BEFORE INSERT ON "{table}" '
        f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE {clash}) BEGIN "
        f"SELECT RAISE(ABORT, 'entries are never replaced: an insert into {table} that would replace a row refused'); "
        "END",
    ]


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
        for table, columns in retained_tables().items():
            name = f"retain_{table}"
            recent = " OR ".join(f"OLD.{c} > current_date - interval '{years} years'" for c in columns)
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
                f'CREATE TRIGGER "{name}" BEFORE DELETE ON "{table}" FOR EACH ROW '
                f"WHEN ({recent}) "
                f"EXECUTE FUNCTION attendance_refuse_retained_delete('{years}')",
            ]
        for guard, rules in update_rules(vendor).items():
            statements += _pg_update_guard(guard, rules)
    elif vendor == "sqlite":
        for table, key in sorted(history_keys().items()):
            for op in ("UPDATE", "DELETE"):
                name = f"append_only_{op.lower()}_{table}"
                statements += [
                    f'DROP TRIGGER IF EXISTS "{name}"',
                    f'CREATE TRIGGER "{name}" BEFORE {op} ON "{table}" BEGIN '
                    f"SELECT RAISE(ABORT, 'history rows are append-only: {op} on {table} refused'); END",
                ]
            statements += _sqlite_no_replace(table, [(key,)])
        for table, columns in retained_tables().items():
            name = f"retain_{table}"
            recent = " OR ".join(f"OLD.{c} > date('now', '-{years} years')" for c in columns)
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}"',
                f'CREATE TRIGGER "{name}" BEFORE DELETE ON "{table}" '
                f"WHEN {recent} BEGIN "
                f"SELECT RAISE(ABORT, 'register entries are kept for {years} years: delete on {table} refused'); END",
            ]
        for guard, rules in update_rules(vendor).items():
            statements += _sqlite_update_guard(guard, rules)
            statements += _sqlite_no_replace(guard.table, guard.unique_keys)
    return statements


def install_audit_triggers(using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        for statement in trigger_statements(connection.vendor, settings.REGISTER_RETENTION_YEARS):
            cursor.execute(statement)
