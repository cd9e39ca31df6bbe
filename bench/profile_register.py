"""Where a register's CPU goes: the register page's GET and POST, profiled in-process through
Django's real WSGI handler (every middleware, the CSRF check, sessions from the configured
store), under the bench's register school (bench.register_figures.Setting).

    python -m bench.profile_register [--runs 40] [--cache-url redis://127.0.0.1:6379/13]

Two profiles of the same requests:
- cProfile with `time.process_time` as its clock: CPU seconds by function. Each function's CPU
  is given to one *category* (SQL and ORM, templates, session, CSRF, history, middleware …),
  the innermost category on its call stack, and the categories are printed per request.
  cProfile's own overhead inflates code that makes many small calls (template rendering),
  so the shares are read beside the sampling profile.
- pyinstrument (sampling, wall clock): the call tree, written to
  test-artifacts/register-profile-{get,post}.txt.

Writes nothing but its own database (`attendance_bench`, made again) and those files."""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

# (category, pattern on "file:function"); the first that matches a frame names it.
CATEGORIES = [
    ("history rows (simple_history)", re.compile(r"simple_history/")),
    ("SQL: psycopg + wait", re.compile(r"psycopg/|psycopg_binary|<method '(execute|fetch)")),
    ("ORM: query building, model instances", re.compile(r"django/db/")),
    ("templates: Django template engine", re.compile(r"django/template/|django/templatetags/|django/forms/")),
    ("session", re.compile(r"django/contrib/sessions/|django/core/cache/|redis/")),
    ("CSRF", re.compile(r"django/middleware/csrf")),
    ("auth + permissions (rules)", re.compile(r"django/contrib/auth/|rules/")),
    (
        "axes, CSP, messages, other middleware",
        re.compile(r"axes/|csp/|contrib/messages/|django/middleware/|whitenoise/"),
    ),
    ("URL resolving, request/response", re.compile(r"django/urls/|django/http/|django/core/handlers/")),
    ("time zone, dates (zoneinfo, holidays, dateutil)", re.compile(r"zoneinfo|holidays/|dateutil/|_strptime")),
    ("register view and service code (registers/)", re.compile(r"/registers/")),
    ("common/, other apps", re.compile(r"/(common|absences|interventions|letters|reports)/")),
]
OTHER = "other (Python builtins, logging, …)"


def setup(cache_url: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.databases import database_url

    os.environ["DATABASE_URL"] = database_url("attendance_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_site.settings")
    os.environ["CONN_MAX_AGE"] = "600"
    os.environ["STATIC_MANIFEST"] = "0"
    os.environ["DEBUG"] = "0"
    if cache_url:
        os.environ["CACHE_URL"] = cache_url
        os.environ["CACHE_KEY_PREFIX"] = f"bench-profile-{os.getpid()}"
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


class Wsgi:
    """A browser talking to Django's WSGI handler in-process: cookies, CSRF from the page."""

    def __init__(self, session_key: str):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.cookies = {"sessionid": session_key}

    def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["CONTENT_LENGTH"] = str(len(body))
        status_headers = {}

        def start_response(status, headers, exc_info=None):
            status_headers["status"] = int(status.split()[0])
            status_headers["headers"] = headers

        chunks = self.handler(environ, start_response)
        text = b"".join(chunks).decode("utf-8", "replace")
        if hasattr(chunks, "close"):
            chunks.close()
        for name, value in status_headers["headers"]:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return status_headers["status"], text


def category_of(key) -> str:
    filename, _, function = key
    where = f"{filename}:{function}"
    for name, pattern in CATEGORIES:
        if pattern.search(where):
            return name
    return OTHER


def categorise(stats: pstats.Stats) -> dict[str, float]:
    """Self CPU time of every function, summed by its own category (so SQL called from a
    template counts as SQL, and the template engine's own work as templates)."""
    totals: dict[str, float] = defaultdict(float)
    for key, (_cc, _nc, self_time, _cum, _callers) in stats.stats.items():
        totals[category_of(key)] += self_time
    return dict(totals)


def cumulative(stats: pstats.Stats, needles: dict[str, str]) -> dict[str, float]:
    """Cumulative CPU of named functions ("file fragment:function")."""
    found = {}
    for label, needle in needles.items():
        fragment, function = needle.split(":")
        best = 0.0
        for (filename, _, name), (_cc, _nc, _self, cum, _callers) in stats.stats.items():
            if name == function and fragment in filename:
                best = max(best, cum)
        found[label] = best
    return found


HOTSPOTS = {
    "whole request (WSGIHandler.__call__)": "handlers/wsgi.py:__call__",
    "view: register_page": "registers/register_views.py:register_page",
    "  view: _render_register (GET, and POST re-render)": "registers/register_views.py:_render_register",
    "  view: _submit (POST)": "registers/register_views.py:_submit",
    "  service: record_marks": "registers/services.py:record_marks",
    "  service: mark_register_taken": "registers/services.py:mark_register_taken",
    "  template render (django Template.render)": "django/template/backends/django.py:render",
    "  roll_with_marks": "registers/register_views.py:roll_with_marks",
    "  recent_sessions": "registers/register_views.py:recent_sessions",
    "  build_rows": "registers/register_views.py:build_rows",
    "  context processors: staff": "registers/context_processors.py:staff",
    "  simple_history: bulk_history_create": "simple_history/manager.py:bulk_history_create",
    "  simple_history: create_historical_record": "simple_history/models.py:create_historical_record",
    "session load (SessionStore.load)": "sessions/backends/cached_db.py:load",
    "CSRF process_view": "middleware/csrf.py:process_view",
    "auth: get_user": "contrib/auth/__init__.py:get_user",
    "SQL: CursorWrapper.execute": "db/backends/utils.py:execute",
    "SQL compile: SQLCompiler.as_sql": "db/models/sql/compiler.py:as_sql",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_register", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/13", help="'' for no shared cache")
    args = parser.parse_args(argv)
    setup(args.cache_url or None)

    from importlib import import_module
    from zoneinfo import ZoneInfo

    import time_machine
    from django.conf import settings
    from pyinstrument import Profiler

    from bench.register_figures import Setting
    from registers.models import Mark

    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    setting = Setting(log=log)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(setting.user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = setting.user.get_session_auth_hash()
    store.create()
    london = ZoneInfo("Europe/London")
    mark = re.compile(r'name="mark-(\d+)"')
    field = re.compile(r'name="(version|was)-(\d+)"[^>]*?value="([^"]*)"')
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def visit():
        register = setting.next_register("Page 30")
        opens = dt.time(8, 41) if register.session == "AM" else dt.time(13, 16)
        now = dt.datetime.combine(register.date, opens, london)
        browser = Wsgi(store.session_key)
        path = f"/registers/{register.pk}/"
        return register, now, browser, path

    def form(page: str, session: str) -> bytes:
        present = "/" if session == "AM" else "\\"
        fields = {"csrfmiddlewaretoken": token.search(page).group(1), "action": "save"}
        for kind, pupil, value in field.findall(page):
            fields[f"{kind}-{pupil}"] = value
        for i, pupil in enumerate(sorted({int(m) for m in mark.findall(page)})):
            fields[f"mark-{pupil}"] = "L" if i == 3 else "N" if i == 7 else present
            if i == 3:
                fields[f"minutes-{pupil}"] = "4"
        return urlencode(fields).encode()

    def one(get_hook=None, post_hook=None) -> tuple[float, float]:
        register, now, browser, path = visit()
        with time_machine.travel(now, tick=True):
            started = time.process_time()
            with get_hook() if get_hook else _null():
                status, page = browser.request("GET", path)
            got = time.process_time()
            assert status == 200, status
            body = form(page, register.session)
            with post_hook() if post_hook else _null():
                status, _ = browser.request("POST", path, body)
            done = time.process_time()
            assert status == 302, status
        assert Mark.objects.filter(register=register).count() == 30
        return got - started, done - got

    for _ in range(5):
        one()
    # plain CPU per request, no profiler
    plain = [one() for _ in range(args.runs)]
    get_cpu = sorted(g for g, _ in plain)[len(plain) // 2]
    post_cpu = sorted(p for _, p in plain)[len(plain) // 2]
    log(
        f"  CPU per request without a profiler (median of {args.runs}): GET {get_cpu * 1000:.1f} ms, "
        f"POST {post_cpu * 1000:.1f} ms"
    )

    profiles = {"GET": cProfile.Profile(time.process_time), "POST": cProfile.Profile(time.process_time)}
    samplers = {"GET": Profiler(interval=0.0005), "POST": Profiler(interval=0.0005)}

    def hook(kind, profiler):
        class Hook:
            def __enter__(self):
                profiler.enable() if isinstance(profiler, cProfile.Profile) else profiler.start()

            def __exit__(self, *exc):
                profiler.disable() if isinstance(profiler, cProfile.Profile) else profiler.stop()

        return Hook

    for _ in range(args.runs):
        one(hook("GET", profiles["GET"]), hook("POST", profiles["POST"]))
    for _ in range(args.runs):
        one(hook("GET", samplers["GET"]), hook("POST", samplers["POST"]))

    ARTIFACTS.mkdir(exist_ok=True)
    print(f"# register page profile: {args.runs} GET + POST of a 30-pupil register, session {settings.SESSION_ENGINE}")
    print(f"CPU per request without a profiler: GET {get_cpu * 1000:.1f} ms, POST {post_cpu * 1000:.1f} ms")
    for kind in ("GET", "POST"):
        stats = pstats.Stats(profiles[kind])
        total = sum(v for v in categorise(stats).values())
        print(
            f"\n## {kind}: CPU by category (cProfile, process_time; {1000 * total / args.runs:.1f} ms/request profiled)"
        )
        for name, seconds in sorted(categorise(stats).items(), key=lambda kv: -kv[1]):
            print(f"  {1000 * seconds / args.runs:6.1f} ms  {100 * seconds / total:4.0f} %  {name}")
        print(f"\n## {kind}: cumulative CPU of the hot spots (ms/request, profiled)")
        for label, seconds in cumulative(stats, HOTSPOTS).items():
            if seconds:
                print(f"  {1000 * seconds / args.runs:6.1f}  {label}")
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats("tottime").print_stats(25)
        (ARTIFACTS / f"register-profile-{kind.lower()}-cprofile.txt").write_text(out.getvalue())
        text = samplers[kind].output_text(unicode=True, color=False, show_all=False)
        (ARTIFACTS / f"register-profile-{kind.lower()}.txt").write_text(text)
    print(f"\nCall trees (pyinstrument, wall): {ARTIFACTS}/register-profile-{{get,post}}.txt")
    return 0


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    sys.exit(main())
