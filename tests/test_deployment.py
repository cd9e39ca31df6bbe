"""The deployment files, checked without a Docker daemon.

- Both compose files validate against the Compose Specification's JSON schema, as vendored by
  check-jsonschema (`--builtin-schema vendor.compose-spec`, no network at test time).
- The scale-out file (deploy/docker-compose.scale.yml) scales: `web` publishes no host port and
  has no fixed name, the proxy finds the replicas by name at run time, every process shares
  state through Redis and PostgreSQL (behind PgBouncer in transaction pooling), and the
  long-running services have health checks.
- nginx accepts the proxy's config (`nginx -t`, where nginx is installed).
- settings.py turns the same environment into the right Django settings (a fresh process per
  case: settings are read once)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SIMPLE = ROOT / "docker-compose.yml"
SCALE = ROOT / "deploy" / "docker-compose.scale.yml"
NGINX = ROOT / "deploy" / "nginx.conf"
PGBOUNCER = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"
APP_SERVICES = ("web", "worker", "beat")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def scale() -> dict:
    return load(SCALE)


@pytest.mark.parametrize("path", [SIMPLE, SCALE], ids=lambda p: p.name)
def test_compose_file_matches_the_compose_specification(path):
    out = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_broken_compose_file_is_caught(tmp_path):
    """The validator really validates: a misspelt key fails."""
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  web:\n    image: x\n    portz: ['8000:8000']\n")
    out = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0


def test_web_can_be_scaled(scale):
    web = scale["services"]["web"]
    assert "ports" not in web, "a fixed host port would stop `--scale web=3` (the proxy publishes the port)"
    assert "container_name" not in web
    assert "8000" in [str(p) for p in web.get("expose", [])]
    proxy = scale["services"]["proxy"]
    assert proxy.get("ports"), "the proxy is the one published port"
    assert "web" in proxy["depends_on"]


def test_the_proxy_resolves_the_replicas_at_run_time():
    conf = NGINX.read_text()
    assert "resolver 127.0.0.11" in conf, "Docker's DNS, so `web` names every replica"
    assert "set $web http://web:8000;" in conf and "proxy_pass $web;" in conf, (
        "a variable in proxy_pass makes nginx re-resolve, so replicas added later are used"
    )


def test_the_app_shares_its_state_and_goes_through_pgbouncer(scale):
    for name in APP_SERVICES:
        env = scale["services"][name]["environment"]
        assert env["CACHE_URL"].startswith("redis://redis:"), name
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:"), name
        assert "@pgbouncer:6432/" in env["DATABASE_URL"], name
        assert env["DB_POOLER"] == "pgbouncer", name
    migrate = scale["services"]["migrate"]
    assert "@db:5432/" in migrate["environment"]["DATABASE_URL"], "migrations go straight to PostgreSQL"
    assert migrate["restart"] == "no"
    for name in APP_SERVICES:
        depends = scale["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert "pool_mode = transaction" in PGBOUNCER.read_text()


def test_services_have_health_checks(scale):
    for name, service in scale["services"].items():
        if name in ("beat", "migrate"):
            continue
        assert "healthcheck" in service, name
    assert "healthcheck" in load(SIMPLE)["services"]["web"]


def test_workers_and_beat_are_separate_services(scale):
    services = scale["services"]
    assert "celery" in services["worker"]["command"] and " worker " in f" {services['worker']['command']} "
    assert " beat " in f" {services['beat']['command']} "


def test_the_simple_deployment_shares_the_cache_between_gunicorn_workers():
    env = load(SIMPLE)["x-app"]["environment"]
    assert env["CACHE_URL"].startswith("redis://")


@pytest.mark.skipif(not shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin"), reason="nginx not installed")
def test_nginx_accepts_the_proxy_config(tmp_path):
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n  proxy_temp_path {tmp_path};\n"
        f"  include {NGINX};\n}}\n"
    )
    out = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


# --- settings.py from the environment ----------------------------------------------------------

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'cache': s.CACHES['default']['BACKEND'], 'session': s.SESSION_ENGINE, "
    "'axes': s.AXES_HANDLER, 'cursors': s.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False)}))"
)


def settings_with(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "DB_POOLER", "AXES_HANDLER", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "attendance_site.settings", **env},
        capture_output=True,
        text=True,
    )


def test_without_a_server_everything_is_in_process():
    out = settings_with()
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout.strip().splitlines()[-1])
    assert shown["cache"].endswith("LocMemCache")
    assert shown["session"] == "django.contrib.sessions.backends.db"
    assert shown["axes"].endswith("AxesDatabaseHandler")


def test_with_redis_and_pgbouncer_state_is_shared_and_cursors_client_side():
    out = settings_with(
        CACHE_URL="redis://127.0.0.1:6379/1",
        DATABASE_URL="postgres://attendance@127.0.0.1:6432/attendance",
        DB_POOLER="pgbouncer",
        AXES_HANDLER="axes.handlers.cache.AxesCacheHandler",
    )
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout.strip().splitlines()[-1])
    assert shown["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert shown["session"] == "common.sessions"  # cached_db that survives Redis being down
    assert shown["axes"].endswith("AxesCacheHandler")
    assert shown["cursors"] is True


def test_the_lockout_counts_in_the_database_even_with_a_shared_cache():
    """Shared by every process either way; the database's count survives Redis being down."""
    out = settings_with(CACHE_URL="redis://127.0.0.1:6379/1")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["axes"].endswith("AxesDatabaseHandler")
    out = settings_with(CACHE_URL="redis://127.0.0.1:6379/1", AXES_HANDLER="axes.handlers.cache.AxesCacheHandler")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["axes"].endswith("AxesCacheHandler")


def test_a_per_process_lockout_count_is_refused():
    out = settings_with(AXES_HANDLER="axes.handlers.cache.AxesCacheHandler")
    assert out.returncode != 0
    assert "needs a shared cache" in out.stderr
