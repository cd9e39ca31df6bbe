"""Real Celery worker processes for the fan-out figures (`bench.checks_fanout`,
`bench.letters_fanout`): `celery -A attendance_site worker -c 1` subprocesses on Redis, each on a
queue of the run's own so no other worker takes its tasks, against one of the bench's databases;
and how much CPU they, their PostgreSQL backends and the whole machine used (Linux /proc)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def start_workers(
    count: int, queue: str, broker: str, logs: Path, *, database: str, label: str, env: dict | None = None
) -> tuple[list, list[str]]:
    """`count` worker processes of one child each, on `queue`, against `database`."""
    from bench.databases import database_url

    environment = {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "CELERY_BROKER_URL": broker,
        "CONN_MAX_AGE": "60",
        **(env or {}),
    }
    workers, names = [], []
    logs.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        name = f"{label}{i + 1}-{queue}@bench"
        out = open(logs / f"{label}-{count}-{i + 1}.log", "w")  # noqa: SIM115 (closed in stop)
        command = [sys.executable, "-m", "celery", "-A", "attendance_site", "worker", "-c", "1", "-Q", queue]
        command += ["-n", name, "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        # Each worker in a session of its own, as separate worker services are: with the kernel's
        # autogroup scheduling, processes of one session share one slice of a busy machine, so two
        # workers started from the bench's session would get no more CPU than one.
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        workers.append((process, out))
        names.append(name)
    return workers, names


def wait_ready(app, names: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=names, timeout=1.0) or []
        if {name for reply in replies for name in reply} >= set(names):
            return
    raise RuntimeError(f"the workers did not start within {timeout:.0f} s")


def stop(workers) -> None:
    for process, _ in workers:
        process.terminate()
    for process, out in workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        out.close()


# --- CPU accounting (Linux /proc): how much of the machine the run had ----------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float:
    """CPU seconds a process has used, with its waited-for children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / TICK  # utime, stime, cutime, cstime


def tree(pids: list[int]) -> list[int]:
    """The processes and all their descendants (a worker and its pool child)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


def database_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend now serving `database` (the workers')."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])
        return {pid: process_cpu(pid) for (pid,) in cursor.fetchall()}


def timed_run(send, finished, worker_pids: list[int], database: str, timeout: float) -> dict:
    """Seconds from `send()` until `finished()` is true, with the CPU
    seconds the workers and their database backends used meanwhile, and how busy the whole
    machine was (other work on a shared machine takes cores from the run)."""
    workers_before = sum(process_cpu(pid) for pid in tree(worker_pids))
    backends_before = database_cpu(database)
    backends: dict[int, float] = {}
    busy_before, total_before = machine_busy()
    started = time.perf_counter()
    send()
    while not finished():
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"the run did not finish within {timeout:.0f} s")
        for pid, cpu in database_cpu(database).items():  # sampled: a backend may close between tasks
            backends[pid] = max(cpu, backends.get(pid, 0.0))
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    busy_after, total_after = machine_busy()
    workers = sum(process_cpu(pid) for pid in tree(worker_pids)) - workers_before
    for pid, cpu in database_cpu(database).items():
        backends[pid] = max(cpu, backends.get(pid, 0.0))
    used = sum(cpu - backends_before.get(pid, 0.0) for pid, cpu in backends.items())
    return {
        "seconds": seconds,
        "worker_cpu": round(workers, 1),
        "database_cpu": round(used, 1),
        "machine_busy": round((busy_after - busy_before) / (total_after - total_before), 3),
    }


def speed_up_rows(figure: str, size: str, one: dict, two: dict, *, same: bool, different: str, said, data: dict):
    """The bench table's two rows for a fan-out: one worker process, then two against the target
    (2 workers in ≤ 0.6 × the time of 1, i.e. ≥ 1.7×), failing when the two runs' results differ."""
    from bench.report import Row, ratio

    speed_up = one["seconds"] / two["seconds"]
    return [
        Row(f"{figure}, 1 worker process", size, said(one), data=data),
        Row(
            "  2 worker processes",
            size,
            f"speed-up {speed_up:.2f}×{'' if same else f' (DIFFERENT {different}!)'}; {said(two)}",
            f"{one['seconds'] / 2:.1f} s (half of 1 worker)",
            ratio(two["seconds"], one["seconds"]) + " of 1 worker",
            "≤ 0.6× 1 worker (≥ 1.7×)",
            two["seconds"] <= 0.6 * one["seconds"] and same,
            data=data,
        ),
    ]
