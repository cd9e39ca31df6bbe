"""Set-up shared by the fault tests: a Redis of the test's own that it can stop and start (the
shared Redis is never touched), the test process publishing to it, and Celery workers in
subprocesses on the test database that a test can SIGKILL.

With no `redis-server` on PATH the broker is the configured one (CELERY_BROKER_URL) and "down"
means the test process publishes to a closed port; the tests that need a broker and neither is
there skip with the reason."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

from tests.celery_worker import wait_for

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
ON_POSTGRES = not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")

needs_broker_and_workers = [
    pytest.mark.celery,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: worker processes read the data the test commits"),
    pytest.mark.skipif(
        not REDIS_SERVER and not settings.CELERY_BROKER_URL,
        reason="needs redis-server on PATH (a Redis of the test's own) or CELERY_BROKER_URL",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """The broker the test and its workers use; `stop()` and `start()` take it away and back."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.process = None
        if REDIS_SERVER:
            self.port = free_port()
            self.url = f"redis://127.0.0.1:{self.port}/0"
            self.start()
        else:  # the configured Redis; "down" is a closed port for the test process only
            self.url = settings.CELERY_BROKER_URL
        self.publish_url = self.url

    def start(self) -> None:
        if not REDIS_SERVER:
            self._publish_to(self.url)
            return
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        assert wait_for(lambda: _pings(client), timeout=20), "the test's Redis did not start"

    def stop(self) -> None:
        if not REDIS_SERVER:
            self._publish_to(f"redis://127.0.0.1:{free_port()}/0")
            return
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def _publish_to(self, url: str) -> None:
        from attendance_site.celery import app

        reset_producer(app)
        app.conf.broker_url = os.environ["CELERY_BROKER_URL"] = url


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


def reset_producer(app) -> None:
    """Forget the pooled broker connections so the next publish uses app.conf.broker_url."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools per broker URL too: one left over would hand out the closed
    # connections above to the next test that publishes ("Acquire on closed pool")
    kombu_pools.reset()


@contextmanager
def publishing_to(url: str):
    """The test process sends tasks to `url` (not in-process) for the duration."""
    from attendance_site.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its own setting
    before = app.conf.broker_url, app.conf.task_always_eager, os.environ.get("CELERY_BROKER_URL")
    reset_producer(app)
    app.conf.broker_url, app.conf.task_always_eager, os.environ["CELERY_BROKER_URL"] = url, False, url
    try:
        yield
    finally:
        reset_producer(app)
        app.conf.broker_url, app.conf.task_always_eager = before[:2]
        if before[2] is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = before[2]


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    with publishing_to(b.url):
        yield b
    if REDIS_SERVER:
        b.stop()


def worker_database_url() -> str:
    d = connection.settings_dict
    auth = quote(d["USER"] or "", safe="") + (":" + quote(d["PASSWORD"], safe="") if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


class Workers:
    """Celery workers in subprocesses (tests/faults/worker.py) on the test database."""

    def __init__(self, broker: Broker, tmp: Path):
        self.broker, self.tmp = broker, tmp
        self.mail = tmp / "mail"
        self.mail.mkdir(exist_ok=True)
        self.processes: list[subprocess.Popen] = []

    def start(self, *, pause: str = "", marker: Path | None = None, pool: str = "solo", visibility: int | None = None):
        env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": self.broker.url,
            "FAULTS_MAIL": str(self.mail),
            "PRIVATE_ROOT": str(settings.PRIVATE_ROOT),
            "CONN_MAX_AGE": "0",
            "FAULTS_POOL": pool,
            "FAULTS_PAUSE": pause,
            "FAULTS_MARKER": str(marker or ""),
        }
        if visibility:
            env["FAULTS_VISIBILITY"] = str(visibility)
        with open(self.tmp / f"worker-{len(self.processes)}.log", "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def messages_to(self, address: str) -> int:
        """E-mails the workers sent to `address` (the file backend writes each one to a file)."""
        text = "".join(p.read_text(errors="replace") for p in self.mail.glob("*.log"))
        return sum(1 for line in text.splitlines() if line.strip() == f"To: {address}")


@pytest.fixture
def workers(broker, tmp_path):
    w = Workers(broker, tmp_path)
    yield w
    w.stop_all()


def wait_for_marker(marker: Path, workers: Workers, timeout=120) -> int:
    assert wait_for(marker.exists, timeout=timeout), f"the worker never reached the pause:\n{workers.logs()[-3000:]}"
    return int(marker.read_text())


def sigkill(pid: int) -> None:
    """Kill a worker process as the kernel's OOM killer would: no chance to clean up."""
    os.kill(pid, signal.SIGKILL)
