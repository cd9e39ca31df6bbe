"""Where a register's CPU goes: the register page's GET and POST, profiled in-process through
Django's real WSGI handler (every middleware, the CSRF check, sessions from the configured
store), under the bench's register school (bench.register_figures.Setting).

    python -m bench.profile_register [--runs 40] [--cache-url redis://127.0.0.1:6379/13]

Two profiles of the same requests:
- a CPU-time sampler (SIGPROF every millisecond of the process's CPU; the handler records the
  Python stack). Time in C code (psycopg, regular expressions, builtins) lands on the Python
  frame that called it. Each sample is put in a *category* by the innermost frame whose file
  matches one (the ORM, the template engine, psycopg …: what burns the CPU) and in a *phase*
  by the innermost of the view's and service's steps on its stack (roll, strip, rows, template,
  record_marks …: what the CPU is for). Overhead is a few per cent.
- pyinstrument (sampling, wall clock): the call tree, written to
  test-artifacts/register-profile-{get,post}.txt.

Writes nothing but its own database (`attendance_bench`, made again) and those files."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import re
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

# (category, pattern on the frame's file): the innermost frame that matches one names the sample.
CATEGORIES = [
    ("history rows (simple_history)", re.compile(r"simple_history/")),
    ("SQL driver (psycopg)", re.compile(r"psycopg")),
    ("ORM: query building, compiling, model instances", re.compile(r"django/db/")),
    ("templates: Django template engine", re.compile(r"django/template/|django/templatetags/|django/forms/")),
    ("session", re.compile(r"django/contrib/sessions/|django/core/cache/|/redis/")),
    ("CSRF", re.compile(r"django/middleware/csrf")),
    ("auth + permissions (rules)", re.compile(r"django/contrib/auth/|/rules/")),
    (
        "other middleware (axes, CSP, messages, security, whitenoise)",
        re.compile(r"/axes/|/csp/|messages/|middleware/|whitenoise/"),
    ),
    (
        "URL resolving, request/response, HTML escaping",
        re.compile(r"django/urls/|django/http/|django/core/handlers/|django/utils/"),
    ),
    ("dates: zoneinfo, holidays, dateutil", re.compile(r"zoneinfo|holidays/|dateutil/|_strptime|time_machine")),
    ("register view and service code (registers/)", re.compile(r"/registers/")),
    ("common/, other apps", re.compile(r"/(common|absences|interventions|letters|reports)/")),
]
OTHER = "other (stdlib, logging, …)"
# (phase, file fragment, function): the innermost on the stack names the sample.
PHASES = [
    ("record_marks: bulk INSERT of history rows", "simple_history/manager.py", "bulk_history_create"),
    ("record_marks (validation reads, marks INSERT)", "registers/services.py", "record_marks"),
    ("mark_register_taken", "registers/services.py", "mark_register_taken"),
    ("context processor: staff", "registers/context_processors.py", "staff"),
    ("template rendering", "django/shortcuts.py", "render"),
    ("build_rows: strip_html (recent sessions as HTML)", "registers/register_views/register_page.py", "strip_html"),
    ("build_rows", "registers/register_views/register_page.py", "build_rows"),
    ("recent_sessions (the 10-session strip)", "registers/register_views/register_page.py", "recent_sessions"),
    ("roll_with_marks", "registers/register_views/register_page.py", "roll_with_marks"),
    ("_load_register (register + permissions)", "registers/register_views/register_page.py", "_load_register"),
    ("_render_register: other", "registers/register_views/register_page.py", "_render_register"),
    ("_submit: form parsing and checks", "registers/register_views/register_page.py", "_submit"),
    ("_report (messages after saving)", "registers/register_views/register_page.py", "_report"),
    ("view: other", "registers/register_views/register_page.py", "register_page"),
    ("session and auth (middleware)", "django/contrib/sessions/middleware.py", "process_request"),
    ("session save (middleware)", "django/contrib/sessions/middleware.py", "process_response"),
    ("CSRF middleware", "django/middleware/csrf.py", "process_view"),
    ("middleware, URL resolving, request/response", "django/core/handlers/", "__call__"),
]


class CpuSampler:
    """Samples the Python stack every `interval` seconds of this process's CPU time."""

    def __init__(self, interval: float = 0.001):
        self.interval = interval  # asked for; the kernel delivers at its tick (often 4 ms)
        self.samples: list[tuple[tuple[str, str], ...]] = []
        self.active = False
        self.cpu = 0.0  # measured CPU seconds while sampling: the samples share it out

    def _handler(self, signum, frame):
        if not self.active:
            return
        stack = []
        while frame is not None:
            stack.append((frame.f_code.co_filename, frame.f_code.co_name))
            frame = frame.f_back
        self.samples.append(tuple(stack))  # innermost first

    def __enter__(self):
        signal.signal(signal.SIGPROF, self._handler)
        self.active = True
        self.started = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        self.active = False
        self.cpu += time.process_time() - self.started
        return False

    def by(self, classify) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for stack in self.samples:
            totals[classify(stack)] += self.cpu / max(1, len(self.samples))
        return dict(totals)


def category(stack) -> str:
    for filename, _ in stack:
        for name, pattern in CATEGORIES:
            if pattern.search(filename):
                return name
        if "bench/" in filename:
            break
    return OTHER


def innermost(stack) -> str:
    filename, function = stack[0]
    short = re.sub(r".*/(site-packages|lib/python3\.\d+)/", "", filename).replace(str(ROOT) + "/", "")
    return f"{short}:{function}"


def phase(stack) -> str:
    for filename, function in stack:
        for name, fragment, wanted in PHASES:
            if function == wanted and fragment in filename:
                return name
    return "outside the view (WSGI, test harness)"


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
        # After the L pupil's arrival (4 minutes after the late time): the server refuses one still to come.
        now_at = dt.time(8, 50) if register.session == "AM" else dt.time(13, 25)
        now = dt.datetime.combine(register.date, now_at, london)
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
            with get_hook() if get_hook else _null():  # noqa: SIM117
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

    samplers = {"GET": CpuSampler(), "POST": CpuSampler()}
    trees = {"GET": Profiler(interval=0.0005), "POST": Profiler(interval=0.0005)}

    sampled_runs = 3 * args.runs
    for _ in range(sampled_runs):
        one(lambda: samplers["GET"], lambda: samplers["POST"])
    for _ in range(args.runs):
        one(lambda: _Tree(trees["GET"]), lambda: _Tree(trees["POST"]))

    ARTIFACTS.mkdir(exist_ok=True)
    print(f"# register page profile: {args.runs} GET + POST of a 30-pupil register, session {settings.SESSION_ENGINE}")
    print(f"CPU per request without a profiler: GET {get_cpu * 1000:.1f} ms, POST {post_cpu * 1000:.1f} ms")
    for kind in ("GET", "POST"):
        sampler = samplers[kind]
        total = sampler.cpu
        for title, classify in (("what burns it (innermost library)", category), ("what it is for (view step)", phase)):
            print(
                f"\n## {kind}: CPU {title}; {1000 * total / sampled_runs:.1f} ms/request while sampled, "
                f"{len(sampler.samples)} samples"
            )
            for name, seconds in sorted(sampler.by(classify).items(), key=lambda kv: -kv[1]):
                print(f"  {1000 * seconds / sampled_runs:6.1f} ms  {100 * seconds / total:4.0f} %  {name}")
        print(f"\n## {kind}: the innermost Python functions (self CPU, C calls included)")
        for name, seconds in sorted(sampler.by(innermost).items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {1000 * seconds / sampled_runs:6.1f} ms  {100 * seconds / total:4.0f} %  {name}")
        text = trees[kind].output_text(unicode=True, color=False, show_all=False)
        (ARTIFACTS / f"register-profile-{kind.lower()}.txt").write_text(text)
    print(f"\nCall trees (pyinstrument, wall): {ARTIFACTS}/register-profile-{{get,post}}.txt")
    return 0


class _Tree:
    """pyinstrument's profiler as a context manager that can be entered many times."""

    def __init__(self, profiler):
        self.profiler = profiler

    def __enter__(self):
        self.profiler.start()

    def __exit__(self, *exc):
        self.profiler.stop()
        return False


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    sys.exit(main())
