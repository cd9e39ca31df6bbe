"""The morning peak: 300 registers × 30 pupils taken by 20 concurrent clients against gunicorn
and PostgreSQL, as at 08:52 on a Monday.

Each client opens a register page (GET) and submits it (POST) exactly as a browser without
JavaScript would. The floor is the same 20 clients fetching the sign-in page (a request that
touches no register data) in the same run. Afterwards every mark, history row and taken
register is counted in the database.

Run on its own with `python -m bench.peak` (prints JSON); `make bench` includes it."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "attendance_bench_peak"
PG = "postgres://postgres@127.0.0.1:5432"
GROUPS, PUPILS_PER_GROUP, CLIENTS, WORKERS = 300, 30, 20, 4
FROZEN_AT = "2026-11-23T08:52:00+00:00"  # Monday of the autumn term, AM register open
DAY = "2026-11-23"

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIELD = re.compile(r'name="(version|was)-(\d+)"[^>]*?value="([^"]*)"')
MARK = re.compile(r'name="mark-(\d+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "CELERY_BROKER_URL": "",
        "SECRET_KEY": "bench-peak-secret-key-not-for-production-use-0123456789",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_MANIFEST": "0",
        "BENCH_FROZEN_AT": FROZEN_AT,
        "CONN_MAX_AGE": "60",
    }


def build() -> dict:
    """Create the database and the school in a child process (its own Django settings)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.peak", "--build"], cwd=ROOT, env=_env(), capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(f"building the peak school failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _build_in_process() -> dict:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_site.settings")
    django.setup()
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from registers.calendar import typical_english_calendar
    from registers.imports import import_school
    from registers.models import Enrolment, Pupil, Register, RegistrationGroup, Staff
    from registers.upn import make_upn

    call_command("migrate", verbosity=0)
    cal = typical_english_calendar(2026)
    school = import_school(
        {
            "urn": "990001",
            "name": "Peak Academy",
            "la_number": "999",
            "establishment_number": "4001",
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
                {"name": f"{7 + g % 5}{g // 5:02d}", "year": 7 + g % 5, "phase": "secondary"} for g in range(GROUPS)
            ],
        }
    )
    User = get_user_model()
    password = make_password("peak-bench")
    users = User.objects.bulk_create(
        [
            User(username=f"tutor{g:03d}", first_name="Form", last_name=f"Tutor {g}", password=password)
            for g in range(GROUPS)
        ]
    )
    staff = Staff.objects.bulk_create([Staff(user=u, school=school, position=Staff.Position.FORM_TUTOR) for u in users])
    groups = list(RegistrationGroup.objects.filter(school=school).order_by("id"))
    RegistrationGroup.teachers.through.objects.bulk_create(
        [RegistrationGroup.teachers.through(registrationgroup=g, staff=s) for g, s in zip(groups, staff, strict=True)]
    )
    pupils = Pupil.objects.bulk_create(
        [
            Pupil(
                school=school,
                upn=make_upn("999", "4001", 20 + (i // 1000) % 10, i % 1000),
                legal_surname=f"Pupil{i}",
                legal_forename="Sam",
                date_of_birth=dt.date(2012, 1, 1),
                sex="FM"[i % 2],
                year=g.year,
                group=g,
            )
            for g_index, g in enumerate(groups)
            for i in [g_index * PUPILS_PER_GROUP + k for k in range(PUPILS_PER_GROUP)]
        ],
        batch_size=2000,
    )
    Enrolment.objects.bulk_create(
        [Enrolment(pupil=p, admission_date=dt.date(2026, 9, 1)) for p in pupils], batch_size=2000
    )
    day = dt.date.fromisoformat(DAY)
    registers = Register.objects.bulk_create([Register(school=school, group=g, date=day, session="AM") for g in groups])
    sessions = []
    for user in users:
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        store["_auth_user_hash"] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"registers": [r.pk for r in registers], "sessions": sessions}


GUNICORN_CONFIG = """
import datetime as dt
import os


def post_fork(server, worker):
    # Every worker lives at 08:52 on a school Monday, the clock ticking from there.
    import time_machine

    time_machine.travel(dt.datetime.fromisoformat(os.environ["BENCH_FROZEN_AT"]), tick=True).start()
"""


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


class Client:
    def __init__(self, port: int, session_key: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = {"sessionid": session_key} if session_key else {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, float]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Host": "127.0.0.1"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text, elapsed


def take_register(port: int, register_id: int, session_key: str) -> dict:
    client = Client(port, session_key)
    status, page, get_time = client.request("GET", f"/registers/{register_id}/")
    if status != 200:
        return {"ok": False, "get": get_time, "post": 0.0, "error": f"GET {status}"}
    token = CSRF_INPUT.search(page)
    pupils = sorted({int(m) for m in MARK.findall(page)})
    fields = {"csrfmiddlewaretoken": token.group(1) if token else "", "action": "save"}
    for kind, pupil, value in FIELD.findall(page):
        fields[f"{kind}-{pupil}"] = value
    for i, pupil in enumerate(pupils):
        fields[f"mark-{pupil}"] = "L" if i == 3 else "N" if i == 7 else "/"
        if i == 3:
            fields[f"minutes-{pupil}"] = "4"
    status, _, post_time = client.request("POST", f"/registers/{register_id}/", urlencode(fields))
    ok = status in (200, 302, 303) and len(pupils) == PUPILS_PER_GROUP
    return {"ok": ok, "get": get_time, "post": post_time, "error": None if ok else f"POST {status}"}


def fetch_login(port: int, _: int) -> dict:
    client = Client(port)
    status, _, elapsed = client.request("GET", "/login/")
    return {"ok": status == 200, "get": elapsed}


def count_results() -> dict:
    code = (
        "import json, datetime as dt;"
        "from registers.models import Mark, Register;"
        f"d = dt.date.fromisoformat('{DAY}');"
        "print(json.dumps({'marks': Mark.objects.filter(date=d).count(),"
        "'history': Mark.history.filter(date=d).count(),"
        "'taken': Register.objects.filter(date=d, state='taken').count()}))"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> dict:
    started = time.perf_counter()
    data = build()
    build_seconds = time.perf_counter() - started
    port = _free_port()
    config = ROOT / "var" / "gunicorn_peak.py"
    config.parent.mkdir(exist_ok=True)
    config.write_text(GUNICORN_CONFIG)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "attendance_site.wsgi:application",
            "-c",
            str(config),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=_env(),
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        with ThreadPoolExecutor(CLIENTS) as pool:  # warm every worker up
            list(pool.map(lambda i: fetch_login(port, i), range(CLIENTS * 2)))
            floor = list(pool.map(lambda i: fetch_login(port, i), range(GROUPS)))
            wall = time.perf_counter()
            results = list(pool.map(take_register, [port] * GROUPS, data["registers"], data["sessions"]))
            wall = time.perf_counter() - wall
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    counts = count_results()
    requests = [r["get"] for r in results] + [r["post"] for r in results if r["post"]]
    return {
        "registers": GROUPS,
        "pupils_per_register": PUPILS_PER_GROUP,
        "clients": CLIENTS,
        "gunicorn_workers": WORKERS,
        "build_seconds": round(build_seconds, 1),
        "wall_seconds": round(wall, 2),
        "errors": sum(not r["ok"] for r in results),
        "error_samples": [r["error"] for r in results if not r["ok"]][:5],
        "p50_ms": round(1000 * statistics.median(requests), 1),
        "p95_ms": round(1000 * _percentile(requests, 95), 1),
        "p95_get_ms": round(1000 * _percentile([r["get"] for r in results], 95), 1),
        "p95_post_ms": round(1000 * _percentile([r["post"] for r in results if r["post"]] or [0], 95), 1),
        "floor_p95_ms": round(1000 * _percentile([r["get"] for r in floor], 95), 1),
        "floor_errors": sum(not r["ok"] for r in floor),
        "expected_marks": GROUPS * PUPILS_PER_GROUP,
        **counts,
    }


if __name__ == "__main__":
    if "--build" in sys.argv:
        print(json.dumps(_build_in_process()))
    else:
        print(json.dumps(run(), indent=2))
