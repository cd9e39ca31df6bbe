"""The benchmark's own PostgreSQL databases: create, drop, switch Django to one, and cache.

Each synthetic school lives in its own database (`attendance_bench_2000`, …) so that a second
`make bench` can reuse it. A small table `bench_meta` in each records the data version, the
seed and a fingerprint of every migration that was applied when the data was built. A cached
database is reused when the data version and seed match and none of the migrations it was
built with has changed on disk; migrations added since are applied on top (new tables of
other apps, new indexes). Anything else, or `--rebuild`, drops it and builds it again."""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """The PostgreSQL server the bench uses (BENCH_SERVER_URL, any database on it)."""
    return os.environ.get("BENCH_SERVER_URL", DEFAULT_SERVER_URL)


def database_url(name: str) -> str:
    parts = urlsplit(server_url())
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def conninfo(name: str) -> str:
    return database_url(name).replace("postgres://", "postgresql://", 1)


@contextmanager
def admin_connection():
    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        yield conn


def database_exists(name: str) -> bool:
    with admin_connection() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def drop_database(name: str) -> None:
    assert name.startswith("attendance_bench"), name  # never anything but the bench's own
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(name: str) -> None:
    drop_database(name)
    with admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def use_database(name: str) -> None:
    """Point Django's default connection at another of the bench's databases."""
    from django.conf import settings
    from django.db import connections

    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


# --- the cache marker ------------------------------------------------------------------------


def migration_fingerprints() -> dict[str, str]:
    """`app.name` -> sha1 of the migration file, for every migration on disk."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    prints = {}
    for (app, name), migration in loader.disk_migrations.items():
        module = __import__(migration.__module__, fromlist=["_"])
        source = Path(module.__file__).read_bytes()
        prints[f"{app}.{name}"] = hashlib.sha1(source).hexdigest()
    return dict(sorted(prints.items()))


def write_meta(cursor, values: dict) -> None:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    for key, value in values.items():
        cursor.execute(
            "INSERT INTO bench_meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [key, json.dumps(value)],
        )


def read_meta(name: str) -> dict | None:
    if not database_exists(name):
        return None
    with psycopg.connect(conninfo(name), autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('bench_meta') IS NOT NULL").fetchone()[0]
        if not exists:
            return None
        return {key: json.loads(value) for key, value in conn.execute("SELECT key, value FROM bench_meta")}


def reusable(meta: dict | None, *, data_version: int, seed: int, pupils: int) -> tuple[bool, str]:
    """Whether a cached database can be reused, and why not. Only the registers app's
    migrations hold the benchmark's data; another app's migration rewritten since the build
    is repaired by `refresh_schema` instead."""
    if meta is None:
        return False, "not built yet"
    if meta.get("complete") is not True:
        return False, "an earlier build did not finish"
    if (meta.get("data_version"), meta.get("seed"), meta.get("pupils")) != (data_version, seed, pupils):
        return False, "built by another data version or seed"
    current = migration_fingerprints()
    changed = [m for m, digest in meta.get("migrations", {}).items() if current.get(m) != digest]
    if any(m.startswith("registers.") for m in changed):
        return False, f"registers migration(s) changed since it was built: {', '.join(changed[:3])}"
    return True, "cached"


def refresh_schema(meta: dict) -> list[str]:
    """Bring a reused database up to date: apps (other than registers) whose applied
    migrations were rewritten since are dropped and migrated again; new migrations are
    applied. Returns the apps that were redone."""
    from django.db import connection

    current = migration_fingerprints()
    changed = sorted(
        {m.split(".")[0] for m, digest in meta.get("migrations", {}).items() if current.get(m) != digest}
        - {"registers"}
    )
    with connection.cursor() as cursor:
        for app in changed:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE %s", [f"{app}\\_%"]
            )
            for (table,) in cursor.fetchall():
                cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
            cursor.execute("DELETE FROM django_migrations WHERE app = %s", [app])
    migrate()
    with connection.cursor() as cursor:
        write_meta(cursor, {"migrations": migration_fingerprints()})
    return changed


# --- bulk loading: indexes and constraints off while loading ---------------------------------


def detach_indexes(cursor, table: str) -> list[str]:
    """Drop the table's foreign keys, unique constraints and secondary indexes (the primary key
    stays: ids arrive in order, and other tables may refer to it); return the statements that
    put them back, unique constraints before foreign keys."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.conrelid = %s::regclass)",
        [table, table],
    )
    indexes = cursor.fetchall()
    restore = []
    for name, definition in sorted(constraints, key=lambda c: (not c[1].startswith("UNIQUE"), c[0])):
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
        restore.append(definition)
    return restore
