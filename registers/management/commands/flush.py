"""`flush` that keeps the audit triggers.

Flushing empties every table, as a new database. PostgreSQL flushes with TRUNCATE, which
row triggers do not see; SQLite flushes with DELETE, which the append-only triggers refuse.
So on SQLite the triggers are lifted for the flush and put back afterwards."""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from registers.audit_triggers import TRIGGER_PREFIXES


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = [(n, s) for n, s in cursor.fetchall() if n.startswith(TRIGGER_PREFIXES)]
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            return super().handle(**options)
        finally:
            # post_migrate after the flush may already have reinstalled them: replace, don't duplicate
            with connection.cursor() as cursor:
                for name, sql in triggers:
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
                    cursor.execute(sql)
