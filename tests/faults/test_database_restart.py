"""Issue 16, faults: PostgreSQL restarted during the morning. Run against a PostgreSQL cluster
the test starts for itself on a free port (the shared server is never restarted), by a
separate process acting as the web server (tests/faults/pg_restart_scenario.py).

The request in flight when the server goes fails cleanly: a server error page and none of its
marks written (the register is all or nothing). The requests after it succeed, including one
on a connection kept from before the restart (CONN_MAX_AGE with CONN_HEALTH_CHECKS)."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.faults.support import ROOT, free_port


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = ([str(Path(found).resolve().parent)] if found else []) + sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), reverse=True
    )
    for directory in candidates:
        if all(os.access(Path(directory) / b, os.X_OK) for b in ("initdb", "pg_ctl")):
            return Path(directory)
    return None


def _as_server_user() -> list[str] | None:
    """initdb and the server refuse to run as root: as root, run them as the postgres user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    runuser = shutil.which("runuser")
    return [runuser, "-u", "postgres", "--"] if runuser else None


PG_BIN, AS_SERVER = _pg_bin(), _as_server_user()
pytestmark = [
    pytest.mark.skipif(PG_BIN is None, reason="needs PostgreSQL's initdb and pg_ctl to start a cluster of its own"),
    pytest.mark.skipif(AS_SERVER is None, reason="running as root needs runuser and a postgres user for the cluster"),
]


@pytest.fixture(scope="module")
def own_cluster(django_db_setup, django_db_blocker):
    """A throwaway cluster for this module: (port, the command that restarts it), with the
    schema put once into a template database."""
    base = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    data, log, port = base / "data", base / "server.log", free_port()
    server = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [*AS_SERVER, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", server, "-w"]

    def run(args, **kwargs):
        subprocess.run(args, check=True, capture_output=True, **kwargs)

    run(
        [*AS_SERVER, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N"],
        cwd=base,
    )
    run([*ctl, "start"], cwd=base)
    try:
        _sql(port, "CREATE DATABASE migrated")
        url = f"postgres://postgres@127.0.0.1:{port}/migrated"
        with django_db_blocker.unblock():
            _copy_schema(port, url, run)
        yield port, shlex.join([*ctl, "-m", "fast", "restart"])
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True, cwd=base)
        shutil.rmtree(base, ignore_errors=True)


def _copy_schema(port: int, url: str, run) -> None:
    """The test database copied in (its tables, triggers, codes: what a migrated database holds),
    in a second where `migrate` takes half a minute; `migrate` when the tests run on SQLite or
    no test database was made (this module run alone)."""
    from django.db import connection

    if connection.vendor != "postgresql" or "registers_mark" not in connection.introspection.table_names():
        run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url})
        return
    source = connection.settings_dict
    dump = subprocess.run(
        [str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges", "-h", source["HOST"] or "127.0.0.1"]
        + ["-p", str(source["PORT"] or 5432), "-U", source["USER"] or "postgres", source["NAME"]],
        check=True,
        capture_output=True,
        env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
    ).stdout
    run(
        [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port)]
        + ["-U", "postgres", "-d", "migrated"],
        input=dump,
    )
    # The tables were made from the models: record the migrations as applied, as they would be.
    run([sys.executable, "manage.py", "migrate", "--fake", "-v0"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url})


def _sql(port: int, statement: str) -> None:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as c:
        c.execute(statement)


@pytest.fixture
def own_postgres(own_cluster, request):
    """A fresh database on the cluster: (DATABASE_URL, the command that restarts the cluster)."""
    port, restart = own_cluster
    name = f"attendance_{request.node.name[:40].lower()}"
    _sql(port, f'CREATE DATABASE "{name}" TEMPLATE migrated')
    return f"postgres://postgres@127.0.0.1:{port}/{name}", restart


def _scenario(url: str, restart: str, **env) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.faults.pg_restart_scenario"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "FAULTS_PG_RESTART": restart, "CELERY_BROKER_URL": "", **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_database_restart_fails_the_register_in_flight_cleanly_and_the_next_requests_succeed(own_postgres):
    out = _scenario(*own_postgres)
    assert out["settings"] == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    assert out["restarted"]  # the server went away between the marks' insert and the commit
    assert out["in_flight"] == 500
    assert out["after_failure"] == {"marks": 0, "state": "not_taken"}  # nothing half-written
    assert out["idle_connection"] == {"before": 200, "after": 200}  # a kept connection reconnects
    assert out["retry"] == 302
    assert out["after_retry"] == {"marks": 5, "state": "taken"}


def test_without_health_checks_a_kept_connection_fails_its_first_request_after_a_restart(own_postgres):
    """What CONN_HEALTH_CHECKS is for: the same morning without it, the idle connection's
    next request is a server error."""
    out = _scenario(*own_postgres, FAULTS_NO_HEALTH_CHECKS="1")
    assert out["settings"]["CONN_HEALTH_CHECKS"] is False and out["restarted"]
    assert out["idle_connection"] == {"before": 200, "after": 500}
