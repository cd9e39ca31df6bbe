"""Register capacity, measured open-loop: how many registers per second one web core takes
at p95 ≤ 300 ms, and what each costs in CPU (web and PostgreSQL separately).

The school: `GROUPS` form groups of 30 pupils, each with its own tutor signed in (a session
in the configured session store), and a register for every group on each Monday of the
school year (one Monday per rate step, so every step writes registers nobody has taken).

A step at rate r: gunicorn is (re)started with its clock at 09:05 on that step's Monday
(time-machine in each worker, ticking), warmed up, then registers *arrive* at fixed times
t_i = t_0 + i / r for `duration` seconds, whether or not earlier ones have finished (open
loop). Each arrival opens its register page (GET, as the tutor) and submits it as a browser
without JavaScript would: every pupil present, one `L` with minutes, one `N`, the CSRF token
from the page. A GET's latency counts from its *intended* arrival time, so a server that falls
behind is charged for the queue it builds (no coordinated omission); a POST's from when the
page came back. After each step the database is counted: every mark, history row and taken
register must be there.

Where the CPU goes: gunicorn is pinned to core 0 (`taskset`), the load generator and this
bench's PostgreSQL backends to core 1 (other processes on the machine are not touched and
are reported as "others"). CPU per register is the utime+stime delta (/proc/<pid>/stat) of
the gunicorn master and workers, and of the PostgreSQL backends serving the bench database,
over the step, divided by the registers taken. The machine is shared, so the measured
processes run at a raised priority (BENCH_NICE, default -10, set on their sessions'
autogroups too); what everything else used meanwhile is reported per step. The floor is
the hand-written SQL for the same rows (bench.register_figures: one INSERT of the marks,
one of their history, the register's UPDATE and history row), timed here with its client
and backend CPU.

The topology step runs the same arrivals through a reverse proxy (nginx) in front of two
gunicorn masters, PgBouncer (transaction pooling) in front of PostgreSQL, the cache and
sessions in Redis and two Celery workers on Redis, all started from generated configs in a
temporary directory on free ports and stopped afterwards (bench.topology).

The generator is a plain scheduler thread handing arrivals to a pool of threads (http.client,
a new connection per request like a fresh browser), not Locust: it needs nothing beside the
standard library, its ~2 ms of CPU per register is counted, and its dispatch lag is recorded.

Run alone: `python -m bench.capacity [--rates 8,12,16] [--duration 15] [--no-topology]`."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "attendance_bench_capacity"
LONDON = ZoneInfo("Europe/London")
PUPILS = 30
GROUPS = 640
WEB_CPU, OTHER_CPU = 0, 1
P95_LIMIT_MS = 300.0
TARGET_PER_CORE = 30.0
DEFAULT_RATES = (6, 9, 12, 14, 16, 18, 20, 22, 24, 27, 30, 33, 36, 40, 44, 48, 52)
DEFAULT_DURATION = 15.0
DEFAULT_WORKERS = 3  # gunicorn sync workers on the one web core: one computes while others wait on PostgreSQL
FLOOR_REGISTERS = 60
# After the late time (09:00), so the L pupil's arrival 4 minutes after it (09:04) has happened:
# the server refuses an arrival still to come.
ARRIVE_AT = dt.time(9, 5)
MAX_IN_FLIGHT = 400
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The machine is shared (other people's test suites run beside the bench): the processes under
# measure — gunicorn, this bench's PostgreSQL backends, the generator, nginx, PgBouncer — run at
# a higher priority, so a step measures a web core, not what others left of one. 0 to turn off.
PRIORITY = int(os.environ.get("BENCH_NICE", "-10"))

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIELD = re.compile(r'name="(version|was)-(\d+)"[^>]*?value="([^"]*)"')
MARK = re.compile(r'name="mark-(\d+)"')


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:4]} exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {seconds} s")


def stop(proc: subprocess.Popen | None, timeout: float = 20) -> None:
    """Stop a process this bench started: SIGTERM to it (gunicorn, nginx and Celery masters stop
    their own workers), then SIGKILL to anything left in its process group."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # its own session (start_new_session): only what it started


# --- settings the server processes see ------------------------------------------------------


def redis_base() -> str:
    return os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def cache_prefix() -> str:
    return f"bench-capacity-{os.getpid()}"


def server_env(database_url: str, *, cache: bool = True, broker: str = "", extra: dict | None = None) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": "bench-capacity-secret-key-not-for-production-use-0123456789",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_MANIFEST": "0",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "attendance_site.settings",
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",  # whitenoise: no collectstatic for the bench
    }
    env.pop("DB_POOLER", None)
    if cache:  # production-like: cache and sessions in Redis (cached_db sessions)
        env["CACHE_URL"] = f"{redis_base()}/13"
        env["CACHE_KEY_PREFIX"] = cache_prefix()
    else:
        env.pop("CACHE_URL", None)
    env.update(extra or {})
    return env


def direct_database_url() -> str:
    from bench.databases import database_url

    return database_url(DB_NAME)


def conninfo() -> str:
    return direct_database_url().replace("postgres://", "postgresql://", 1)


# --- building the school (in a child process: its own Django settings) ------------------------


def build(groups: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.capacity", "--build", str(groups)],
        cwd=ROOT,
        env=server_env(direct_database_url()),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"building the capacity school failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _build_in_process(groups: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from bench.databases import create_database

    create_database(DB_NAME)
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from registers.calendar import typical_english_calendar
    from registers.imports import import_school
    from registers.models import Enrolment, Pupil, Register, RegistrationGroup, SchoolDay, Staff
    from registers.services import Actor, codes_by_symbol, resolve_code
    from registers.upn import make_upn

    call_command("migrate", verbosity=0)
    cal = typical_english_calendar(2026)
    school = import_school(
        {
            "urn": "990002",
            "name": "Capacity Academy",
            "la_number": "999",
            "establishment_number": "4002",
            "phase": "secondary",
            "register_times": {
                "secondary": {
                    "am": {"opens": "08:45", "late_after": "09:00", "closes": "09:15"},
                    "pm": {"opens": "13:00", "late_after": "13:10", "closes": "13:30"},
                }
            },
            "terms": [{"name": t["name"], "start": str(t["start"]), "end": str(t["end"])} for t in cal["terms"]],
            "half_term_breaks": [{"start": str(b["start"]), "end": str(b["end"])} for b in cal["half_term_breaks"]],
            "groups": [
                {"name": f"{7 + g % 5}C{g // 5:03d}", "year": 7 + g % 5, "phase": "secondary"} for g in range(groups)
            ],
        }
    )
    User = get_user_model()
    password = make_password("capacity-bench")
    users = User.objects.bulk_create(
        [
            User(username=f"cap-tutor{g:04d}", first_name="Form", last_name=f"Tutor {g}", password=password)
            for g in range(groups)
        ]
    )
    staff = Staff.objects.bulk_create([Staff(user=u, school=school, position=Staff.Position.FORM_TUTOR) for u in users])
    group_rows = list(RegistrationGroup.objects.filter(school=school).order_by("id"))
    RegistrationGroup.teachers.through.objects.bulk_create(
        [
            RegistrationGroup.teachers.through(registrationgroup=g, staff=s)
            for g, s in zip(group_rows, staff, strict=True)
        ]
    )
    pupils = Pupil.objects.bulk_create(
        [
            Pupil(
                school=school,
                upn=make_upn("999", "4002", i // 1000, i % 1000),
                legal_surname=f"Pupil{i:05d}",
                legal_forename="Sam",
                date_of_birth=dt.date(2012, 1 + i % 12, 1 + i % 28),
                sex="FM"[i % 2],
                year=g.year,
                group=g,
            )
            for g_index, g in enumerate(group_rows)
            for i in [g_index * PUPILS + k for k in range(PUPILS)]
        ],
        batch_size=5000,
    )
    Enrolment.objects.bulk_create(
        [Enrolment(pupil=p, admission_date=dt.date(2026, 9, 1)) for p in pupils], batch_size=5000
    )
    mondays = list(
        SchoolDay.objects.filter(school=school, date__week_day=2)  # every Monday of the school year
        .order_by("date")
        .values_list("date", flat=True)
    )
    registers: dict[str, list[int]] = {}
    for day in mondays:
        made = Register.objects.bulk_create(
            [Register(school=school, group=g, date=day, session="AM") for g in group_rows]
        )
        registers[str(day)] = [r.pk for r in made]
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = []
    for user in users:
        store = store_class()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        store["_auth_user_hash"] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    codes = codes_by_symbol()
    actor = Actor.for_user(users[0])
    by_group: dict[int, list[int]] = {}
    for p in pupils[: PUPILS * FLOOR_REGISTERS]:
        by_group.setdefault(p.group_id, []).append(p.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "groups": groups,
        "days": [str(d) for d in mondays],
        "registers": registers,
        "sessions": sessions,
        "session_engine": settings.SESSION_ENGINE,
        "floor": {
            "school_id": school.pk,
            "user_id": actor.user.pk,
            "name": actor.name,
            "position": actor.position,
            "codes": {c: resolve_code(codes, c, mondays[-1]).id for c in ("/", "L", "N")},
            "pupils": [by_group[g.pk] for g in group_rows[:FLOOR_REGISTERS]],
        },
    }


# --- CPU accounting ------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry))
    return found


def tree(pid: int) -> list[int]:
    pids = [pid]
    for child in children(pid):
        pids += tree(child)
    return pids


def busy_seconds(cpu: str = "cpu") -> float:
    """CPU seconds spent busy by the whole machine (`cpu`) or one core (`cpu0`), from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if name == cpu:
                numbers = [int(v) for v in values[:7]]  # user … softirq; not steal (another VM's)
                return (sum(numbers) - numbers[3] - numbers[4]) / CLK_TCK
    return 0.0


def backend_pids(conn) -> list[int]:
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DB_NAME]
    ).fetchall()
    return [r[0] for r in rows]


def boost(pid: int) -> None:
    """Run a process this bench started at PRIORITY. With the kernel's autogroup scheduling
    (sched_autogroup_enabled), a process's nice counts only inside its session: the session's
    own autogroup nice is what it gets against other people's work, so both are set."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, PRIORITY)
    with contextlib.suppress(OSError), open(f"/proc/{pid}/autogroup", "w") as f:
        f.write(str(PRIORITY))


def pin(pids, cpu: int) -> None:
    """Move processes serving the bench (its PostgreSQL backends) to a core, at its priority."""
    for pid in pids:
        with contextlib.suppress(OSError):  # gone, or not ours to move
            os.sched_setaffinity(pid, {cpu})
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, PRIORITY)


@dataclass
class CpuMeter:
    """CPU seconds used by groups of processes between `start` and `stop`."""

    groups: dict  # name -> callable returning pids
    before: dict = field(default_factory=dict)
    used: dict = field(default_factory=dict)

    def _snapshot(self) -> dict:
        snap = {}
        for name, pids in self.groups.items():
            snap[name] = {pid: cpu_seconds(pid) for pid in pids()}
        snap["generator"] = {0: time.process_time()}
        snap["machine"] = {0: busy_seconds()}
        snap["web_core"] = {0: busy_seconds(f"cpu{WEB_CPU}")}
        return snap

    def start(self) -> None:
        self.before = self._snapshot()

    def stop(self) -> dict:
        after = self._snapshot()
        for name, pids in after.items():
            total = 0.0
            for pid, seconds in pids.items():
                if seconds is not None:
                    total += seconds - (self.before.get(name, {}).get(pid) or 0.0)
            self.used[name] = total
        return self.used


# --- the load --------------------------------------------------------------------------------


class Browser:
    """One tutor's browser: cookies, no JavaScript."""

    def __init__(self, port: int, session_key: str):
        self.port = port
        self.cookies = {"sessionid": session_key}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Host": "127.0.0.1"}
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text
        finally:
            conn.close()


def register_form(page: str) -> tuple[dict, int]:
    """The fields a browser without JavaScript submits: all present, one L (4 min), one N."""
    token = CSRF_INPUT.search(page)
    pupils = sorted({int(m) for m in MARK.findall(page)})
    fields = {"csrfmiddlewaretoken": token.group(1) if token else "", "action": "save"}
    for kind, pupil, value in FIELD.findall(page):
        fields[f"{kind}-{pupil}"] = value
    for i, pupil in enumerate(pupils):
        fields[f"mark-{pupil}"] = "L" if i == 3 else "N" if i == 7 else "/"
        if i == 3:
            fields[f"minutes-{pupil}"] = "4"
    return fields, len(pupils)


def take_register(port: int, register_id: int, session_key: str, intended: float) -> dict:
    browser = Browser(port, session_key)
    path = f"/registers/{register_id}/"
    result = {"get": None, "post": None, "total": None, "error": None, "lag": time.perf_counter() - intended}
    try:
        status, page = browser.request("GET", path)
        got = time.perf_counter()
        result["get"] = got - intended
        if status != 200:
            result["error"] = f"GET {status}"
            return result
        fields, pupils = register_form(page)
        if pupils != PUPILS:
            result["error"] = f"page listed {pupils} pupils"
            return result
        status, body = browser.request("POST", path, urlencode(fields))
        done = time.perf_counter()
        result["post"], result["total"] = done - got, done - intended
        if status not in (302, 303):
            snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))[:160]
            result["error"] = f"POST {status}: {snippet}"
    except (OSError, http.client.HTTPException) as error:
        result["error"] = f"{type(error).__name__}: {error}"
    return result


def open_loop(rate: float, jobs: list, run) -> tuple[list[dict], float]:
    """Start job i at t0 + i / rate, whatever has finished by then. Returns results and the
    wall time from the first arrival to the last completion."""
    results: list = [None] * len(jobs)
    with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
        t0 = time.perf_counter() + 0.1
        futures = []
        for i, job in enumerate(jobs):
            intended = t0 + i / rate
            delay = intended - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(run, *job, intended))
        for i, future in enumerate(futures):
            results[i] = future.result()
    return results, time.perf_counter() - t0


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def count_step(conn, day: str, register_ids: list[int]) -> dict:
    marks = conn.execute(
        "SELECT count(*) FROM registers_mark WHERE date = %s AND register_id = ANY(%s)", [day, register_ids]
    ).fetchone()[0]
    history = conn.execute(
        "SELECT count(*) FROM registers_historicalmark "
        "WHERE date = %s AND register_id = ANY(%s) AND history_type = '+'",
        [day, register_ids],
    ).fetchone()[0]
    taken = conn.execute(
        "SELECT count(*) FROM registers_register WHERE id = ANY(%s) AND state = 'taken'", [register_ids]
    ).fetchone()[0]
    stray = conn.execute(
        "SELECT count(*) FROM registers_mark WHERE date = %s AND NOT (register_id = ANY(%s))", [day, register_ids]
    ).fetchone()[0]
    return {"marks": marks, "history": history, "taken": taken, "stray_marks": stray}


# --- the servers -----------------------------------------------------------------------------

GUNICORN_CONFIG = """
import datetime as dt
import os


def post_fork(server, worker):
    # Every worker lives at 09:05 on the step's Monday (ARRIVE_AT), the clock ticking from there.
    import time_machine

    time_machine.travel(dt.datetime.fromisoformat(os.environ["BENCH_FROZEN_AT"]), tick=True).start()
"""


def frozen_at(day: str) -> str:
    return dt.datetime.combine(dt.date.fromisoformat(day), ARRIVE_AT, LONDON).isoformat()


def start_gunicorn(tmp: Path, port: int, workers: int, env: dict, day: str, cpu: int) -> subprocess.Popen:
    config = tmp / "gunicorn_capacity.py"
    if not config.exists():
        config.write_text(GUNICORN_CONFIG)
    proc = subprocess.Popen(
        [
            "taskset",
            "-c",
            str(cpu),
            sys.executable,
            "-m",
            "gunicorn",
            "attendance_site.wsgi:application",
            "-c",
            str(config),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env={**env, "BENCH_FROZEN_AT": frozen_at(day)},
        start_new_session=True,
    )
    boost(proc.pid)  # its session's autogroup: the master and the workers it forks
    return proc


class SingleStack:
    """gunicorn (one master, `workers` sync workers on the web core) straight on PostgreSQL."""

    label = "gunicorn, 1 master on 1 web core, → PostgreSQL"

    def __init__(self, tmp: Path, workers: int):
        self.tmp, self.workers = tmp, workers
        self.env = server_env(direct_database_url())
        self.web: subprocess.Popen | None = None
        self.port = 0

    def __enter__(self):
        return self

    def start_web(self, day: str) -> int:
        self.stop_web()
        self.port = free_port()
        self.web = start_gunicorn(self.tmp, self.port, self.workers, self.env, day, WEB_CPU)
        wait_for_port(self.port, proc=self.web)
        return self.port

    def stop_web(self) -> None:
        stop(self.web)
        self.web = None

    def web_pids(self) -> list[int]:
        return tree(self.web.pid) if self.web else []

    def groups(self) -> dict:
        return {"web": self.web_pids}

    def describe(self) -> dict:
        return {"stack": "single", "web_masters": 1, "workers_per_master": self.workers}

    def __exit__(self, *exc):
        self.stop_web()


def warm_up(port: int, register_ids: list[int], sessions: list[str], workers: int) -> None:
    """Import everything, connect every worker to the database (twice the workers in GETs)."""
    with ThreadPoolExecutor(workers) as pool:
        list(
            pool.map(
                lambda i: Browser(port, sessions[i]).request("GET", f"/registers/{register_ids[i]}/"),
                range(min(len(register_ids), 4 * workers)),
            )
        )


def run_step(stack, conn, build_data: dict, day: str, rate: float, duration: float, warm_workers: int) -> dict:
    n = int(round(rate * duration))
    register_ids = build_data["registers"][day][:n]
    sessions = build_data["sessions"][:n]
    if n > len(build_data["registers"][day]):
        raise RuntimeError(f"rate {rate}/s for {duration} s needs {n} registers; the school has {build_data['groups']}")
    port = stack.start_web(day)
    try:
        warm_up(port, register_ids, sessions, warm_workers)
        pg = backend_pids(conn)
        pin(pg, OTHER_CPU)
        groups = {**stack.groups(), "postgres": lambda: backend_pids(conn)}
        meter = CpuMeter(groups)
        load = os.getloadavg()[0]
        meter.start()
        results, wall = open_loop(rate, list(zip([port] * n, register_ids, sessions, strict=True)), take_register)
        used = meter.stop()
    finally:
        stack.stop_web()
    counts = count_step(conn, day, register_ids)
    requests = [r["get"] for r in results if r["get"] is not None] + [r["post"] for r in results if r["post"]]
    errors = [r["error"] for r in results if r["error"]]
    accounted = sum(v for k, v in used.items() if k not in ("machine", "web_core"))
    taken = max(counts["taken"], 1)
    step = {
        "day": day,
        "rate": rate,
        "registers": n,
        "duration_s": duration,
        "wall_s": round(wall, 2),
        "achieved_rate": round(n / wall, 2) if wall else None,
        "errors": len(errors),
        "error_samples": errors[:3],
        "p50_ms": round(1000 * statistics.median(requests), 1) if requests else None,
        "p95_ms": round(1000 * percentile(requests, 95), 1) if requests else None,
        "p99_ms": round(1000 * percentile(requests, 99), 1) if requests else None,
        "p95_get_ms": round(1000 * percentile([r["get"] for r in results if r["get"] is not None], 95), 1),
        "p95_post_ms": round(1000 * percentile([r["post"] for r in results if r["post"]], 95), 1),
        "p95_register_ms": round(1000 * percentile([r["total"] for r in results if r["total"]], 95), 1),
        "max_dispatch_lag_ms": round(1000 * max(r["lag"] for r in results), 1),
        "expected_marks": n * PUPILS,
        **counts,
        "cpu_s": {k: round(v, 3) for k, v in used.items()},
        "cpu_ms_per_register": {
            k: round(1000 * v / taken, 2) for k, v in used.items() if k not in ("machine", "web_core")
        },
        # what the rest of the machine (other people's work) used meanwhile, in cores
        "others_cores": round((used["machine"] - accounted) / wall, 2) if wall else None,
        "others_on_web_core": round((used["web_core"] - used["web"]) / wall, 2) if wall else None,
        "loadavg_1m_before": round(load, 2),
        **stack.describe(),
    }
    step["complete"] = (
        counts["marks"] == step["expected_marks"]
        and counts["history"] == step["expected_marks"]
        and counts["taken"] == n
        and counts["stray_marks"] == 0
    )
    step["passed"] = step["errors"] == 0 and step["complete"] and (step["p95_ms"] or 1e9) <= P95_LIMIT_MS
    return step


def describe_step(step: dict) -> str:
    cpu = step["cpu_ms_per_register"]
    parts = ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
    return (
        f"    {step['rate']:>5.1f}/s × {step['duration_s']:.0f} s: p50 {step['p50_ms']} ms, p95 {step['p95_ms']} ms, "
        f"{step['errors']} errors, {step['marks']}/{step['expected_marks']} marks, {step['history']} history, "
        f"{step['taken']}/{step['registers']} taken; CPU ms/register: {parts}; others {step['others_cores']} cores "
        f"({step['others_on_web_core']} on the web core) → {'pass' if step['passed'] else 'FAIL'}"
        + (f" ({step['error_samples'][0]})" if step["error_samples"] else "")
    )


def step_through(stack, conn, data: dict, days: list[str], rates, duration: float, warm_workers: int, *, misses=2):
    """Run the rates in order, each on its own Monday; stop after `misses` failed steps in a row."""
    steps, failed = [], 0
    for rate in rates:
        if not days:
            log("    (no Mondays left for more steps)")
            break
        step = run_step(stack, conn, data, days.pop(0), rate, duration, warm_workers)
        log(describe_step(step))
        steps.append(step)
        failed = 0 if step["passed"] else failed + 1
        if failed >= misses:
            break
    return steps


def best(steps: list[dict]) -> dict | None:
    passed = [s for s in steps if s["passed"]]
    return max(passed, key=lambda s: s["rate"]) if passed else None


# --- the floor -------------------------------------------------------------------------------


def measure_floor(conn, data: dict, day: str) -> dict:
    """The hand-written SQL for the same rows, register by register (bench.register_figures)."""
    from bench.register_figures import HISTORY_COLUMNS, MARK_COLUMNS, REGISTER_HISTORY

    floor = data["floor"]
    codes = floor["codes"]
    register_ids = data["registers"][day][: len(floor["pupils"])]
    row = "(" + ", ".join(["%s"] * 16) + ")"
    history_row = "(" + ", ".join(["%s"] * 21) + ")"
    insert_marks = f"INSERT INTO registers_mark ({MARK_COLUMNS}) VALUES {', '.join([row] * PUPILS)} RETURNING id"
    insert_history = (
        f"INSERT INTO registers_historicalmark ({HISTORY_COLUMNS}) VALUES {', '.join([history_row] * PUPILS)}"
    )
    backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    pin([backend], OTHER_CPU)
    walls = []
    client0, server0 = time.process_time(), cpu_seconds(backend)
    for register_id, pupils in zip(register_ids, floor["pupils"], strict=True):
        started = time.perf_counter()
        now = dt.datetime.now(dt.UTC)
        values = []
        for i, pupil in enumerate(pupils):
            code, minutes = ("L", 4) if i == 3 else ("N", None) if i == 7 else ("/", None)
            values.append(
                [floor["school_id"], pupil, day, "AM", codes[code], minutes, "", None, "teacher", register_id]
                + [floor["user_id"], floor["name"], floor["position"], now, "", 1]
            )
        with conn.transaction():
            ids = [r[0] for r in conn.execute(insert_marks, [v for r in values for v in r]).fetchall()]
            conn.execute(
                insert_history,
                [
                    x
                    for mark_id, r in zip(ids, values, strict=True)
                    for x in [mark_id, *r, now, "", "+", floor["user_id"]]
                ],
            )
            conn.execute(REGISTER_HISTORY, [floor["user_id"], now, now, "taken (floor)", floor["user_id"], register_id])
            conn.execute(
                "UPDATE registers_register SET state = 'taken', taken_by_id = %s, taken_at = %s WHERE id = %s",
                [floor["user_id"], now, register_id],
            )
        walls.append(time.perf_counter() - started)
    client = time.process_time() - client0
    server = cpu_seconds(backend) - server0
    n = len(register_ids)
    return {
        "registers": n,
        "wall_ms_median": round(1000 * statistics.median(walls), 2),
        "client_cpu_ms": round(1000 * client / n, 2),
        "postgres_cpu_ms": round(1000 * server / n, 2),
    }


# --- the whole measure -----------------------------------------------------------------------


def run(
    rates=DEFAULT_RATES,
    duration: float = DEFAULT_DURATION,
    workers: int = DEFAULT_WORKERS,
    topology: bool = True,
    topology_rates=None,
) -> dict:

    affinity, priority = os.sched_getaffinity(0), os.getpriority(os.PRIO_PROCESS, 0)
    os.sched_setaffinity(0, {OTHER_CPU})  # the generator (and everything it starts, unless pinned) off the web core
    boost(os.getpid())  # the generator's threads inherit it
    previous = signal.signal(signal.SIGTERM, _interrupted)  # stop the servers on the way out
    try:
        return _run(rates, duration, workers, topology, topology_rates)
    finally:
        signal.signal(signal.SIGTERM, previous)
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, priority)
        with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as f:
            f.write("0")
        os.sched_setaffinity(0, affinity)


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _run(rates, duration, workers, topology, topology_rates) -> dict:
    import psycopg

    need = int(max(list(rates) + list(topology_rates or [])) * duration) + 1
    groups = max(GROUPS, need)
    started = time.perf_counter()
    log(f"  building {DB_NAME}: {groups} groups × {PUPILS} pupils, a register per group each Monday …")
    data = build(groups)
    build_seconds = time.perf_counter() - started
    days = list(data["days"])
    floor_day = days.pop()
    result = {
        "build_seconds": round(build_seconds, 1),
        "groups": groups,
        "pupils_per_register": PUPILS,
        "session_engine": data["session_engine"],
        "web_cpu": WEB_CPU,
        "generator_and_postgres_cpu": OTHER_CPU,
        "p95_limit_ms": P95_LIMIT_MS,
        "target_per_core": TARGET_PER_CORE,
        "nice": PRIORITY,
    }
    with psycopg.connect(conninfo(), autocommit=True) as conn, tempfile.TemporaryDirectory(prefix="bench-cap-") as tmp:
        tmp = Path(tmp)
        result["floor"] = measure_floor(conn, data, floor_day)
        log(
            f"    floor (hand-written SQL, {result['floor']['registers']} registers): "
            f"{result['floor']['wall_ms_median']} ms wall, PostgreSQL {result['floor']['postgres_cpu_ms']} ms CPU"
        )
        log(f"  single process: gunicorn -w {workers} on core {WEB_CPU}; generator and PostgreSQL on core {OTHER_CPU}")
        with SingleStack(tmp, workers) as stack:
            result["steps"] = step_through(stack, conn, data, days, rates, duration, workers)
        result["best"] = best(result["steps"])
        if topology:
            from bench.topology import TopologyStack

            top_rates = topology_rates
            if top_rates is None:
                anchor = result["best"]["rate"] if result["best"] else rates[0]
                top_rates = [r for r in rates if r >= anchor] or [anchor]
                below = [r for r in rates if r < anchor]
                top_rates = below[-1:] + top_rates
            log("  topology: nginx → 2 gunicorn masters (both on core 0) → PgBouncer → PostgreSQL; Redis; 2 Celery")
            try:
                with TopologyStack(tmp, workers_per_master=max(1, workers // 2 + workers % 2)) as stack:
                    result["topology_steps"] = step_through(stack, conn, data, days, top_rates, duration, workers)
                    result["topology"] = stack.report()
                result["topology_best"] = best(result["topology_steps"])
            except Exception as error:  # reported, never faked
                result["topology_error"] = f"{type(error).__name__}: {error}"[:400]
                log(f"    topology failed: {result['topology_error']}")
        cleanup_cache()
    return result


def cleanup_cache() -> None:
    try:
        import redis

        client = redis.Redis.from_url(f"{redis_base()}/13")
        keys = list(client.scan_iter(f"{cache_prefix()}:*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
    except Exception:  # the cache is the bench's own prefix; a leftover key only costs memory
        pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--rates", default=",".join(map(str, DEFAULT_RATES)), help="registers/s, one step each")
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION, help="seconds of arrivals per step")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="gunicorn sync workers on the web core")
    parser.add_argument("--no-topology", action="store_true", help="leave out the nginx/PgBouncer/Celery topology")
    parser.add_argument("--topology-rates", default=None, help="rates for the topology (default: around the best)")
    args = parser.parse_args(argv)
    if args.build is not None:
        print(json.dumps(_build_in_process(args.build)))
        return 0
    sys.path.insert(0, str(ROOT))
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    top = [float(r) for r in args.topology_rates.split(",")] if args.topology_rates else None
    result = run(rates, args.duration, args.workers, not args.no_topology, top)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
