"""The scale-out topology without Docker: the same shape as deploy/docker-compose.scale.yml,
started from Debian's packages with configs generated into a temporary directory, on free
ports, and stopped afterwards.

    generator → nginx (1 worker) → gunicorn master A ┐
                                 → gunicorn master B ┴→ PgBouncer (transaction pooling) → PostgreSQL
                                                     Redis: cache, sessions (cached_db), Celery broker
                                                     2 Celery workers (separate processes) on Redis

Both gunicorn masters are pinned to the web core, so the figure is comparable per web core
with the single-process one; nginx, PgBouncer, the Celery workers, the generator and the
bench's PostgreSQL backends run on the other core, and each one's CPU is counted.

Used by bench.capacity (`python -m bench.capacity`); needs `nginx` and `pgbouncer` on PATH
(`apt-get install -y nginx pgbouncer`). PgBouncer refuses to run as root, so it runs as the
`postgres` user."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.capacity import (
    DB_NAME,
    ROOT,
    WEB_CPU,
    boost,
    direct_database_url,
    free_port,
    redis_base,
    server_env,
    start_gunicorn,
    stop,
    tree,
    wait_for_port,
)

NGINX_CONF = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    upstream web {{
        least_conn;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 20m;
        location /static/ {{
            alias {root}/static/;
            expires 1h;
        }}
        location / {{
            proxy_pass http://web;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""

PGBOUNCER_INI = """\
[databases]
{db} = host={host} port={pg_port} dbname={db} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {tmp}/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = {pool}
reserve_pool_size = 0
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {tmp}/pgbouncer.log
pidfile = {tmp}/pgbouncer.pid
admin_users = {user}
"""


def require(binary: str) -> str:
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if not found:
        raise RuntimeError(f"{binary} is not installed (apt-get install -y {binary})")
    return found


class TopologyStack:
    """nginx → 2 gunicorn masters → PgBouncer → PostgreSQL; Redis; 2 Celery workers."""

    masters = 2
    celery_workers = 2

    def __init__(self, tmp: Path, workers_per_master: int = 2, pool_size: int = 8):
        self.tmp = Path(tmp) / "topology"
        self.workers_per_master = workers_per_master
        self.pool_size = pool_size
        self.nginx: subprocess.Popen | None = None
        self.pgbouncer: subprocess.Popen | None = None
        self.celery: list[subprocess.Popen] = []
        self.web: list[subprocess.Popen] = []
        self.web_ports: list[int] = []
        self.port = 0
        self.pgbouncer_port = 0
        self.answered: list[str] = []

    # --- lifecycle ---------------------------------------------------------------------

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        nginx, pgbouncer = require("nginx"), require("pgbouncer")
        from urllib.parse import urlsplit

        self.tmp.mkdir(parents=True, exist_ok=True)
        os.chmod(self.tmp.parent, 0o755)  # nginx's workers (nobody) and PgBouncer (postgres) read here
        os.chmod(self.tmp, 0o777)
        pg = urlsplit(direct_database_url())
        user = pg.username or "postgres"
        # PgBouncer, as the postgres user, in its own directory
        bouncer_dir = self.tmp / "pgbouncer"
        bouncer_dir.mkdir(exist_ok=True)
        self.pgbouncer_port = free_port()
        (bouncer_dir / "userlist.txt").write_text(f'"{user}" ""\n')
        (bouncer_dir / "pgbouncer.ini").write_text(
            PGBOUNCER_INI.format(
                db=DB_NAME,
                host=pg.hostname or "127.0.0.1",
                pg_port=pg.port or 5432,
                user=user,
                port=self.pgbouncer_port,
                tmp=bouncer_dir,
                pool=self.pool_size,
            )
        )
        runner = pwd.getpwnam("postgres")
        for path in (bouncer_dir, *bouncer_dir.iterdir()):
            os.chown(path, runner.pw_uid, runner.pw_gid)
        self.pgbouncer = subprocess.Popen(
            [pgbouncer, str(bouncer_dir / "pgbouncer.ini")],
            user=runner.pw_uid,
            group=runner.pw_gid,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        boost(self.pgbouncer.pid)
        wait_for_port(self.pgbouncer_port, proc=self.pgbouncer)
        pooled_url = f"postgres://{user}@127.0.0.1:{self.pgbouncer_port}/{DB_NAME}"
        self.env = server_env(
            pooled_url, broker=f"{redis_base()}/12", extra={"DB_POOLER": "pgbouncer", "CONN_MAX_AGE": "600"}
        )
        # two Celery workers, separate processes, on the other core (inherited affinity)
        for i in range(self.celery_workers):
            self.celery.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "attendance_site",
                        "worker",
                        "--concurrency",
                        "1",
                        "--hostname",
                        f"bench-capacity-{os.getpid()}-{i}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--loglevel",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=(self.tmp / f"celery-{i}.log").open("w"),
                )
            )
        # nginx in front of the two gunicorn masters (ports fixed now, processes per step)
        self.web_ports = [free_port() for _ in range(self.masters)]
        self.port = free_port()
        for sub in ("nginx-body", "nginx-proxy", "nginx-fastcgi", "nginx-uwsgi", "nginx-scgi"):
            (self.tmp / sub).mkdir(exist_ok=True)
            os.chmod(self.tmp / sub, 0o777)
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in self.web_ports)
        (self.tmp / "nginx.conf").write_text(
            NGINX_CONF.format(tmp=self.tmp, servers=servers, port=self.port, root=ROOT)
        )
        check = subprocess.run(
            [nginx, "-t", "-q", "-p", str(self.tmp), "-c", str(self.tmp / "nginx.conf")], capture_output=True, text=True
        )
        if check.returncode:
            raise RuntimeError(f"nginx -t: {check.stderr.strip()[-500:]}")
        self.nginx = subprocess.Popen(
            [nginx, "-p", str(self.tmp), "-c", str(self.tmp / "nginx.conf"), "-g", "daemon off;"],
            start_new_session=True,
        )
        boost(self.nginx.pid)
        wait_for_port(self.port, proc=self.nginx)
        self.answered = self.ping_celery()
        if len(self.answered) < self.celery_workers:
            raise RuntimeError(f"only {len(self.answered)} of {self.celery_workers} Celery workers answered a ping")

    def ping_celery(self, attempts: int = 10) -> list[str]:
        names = []
        for _ in range(attempts):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "attendance_site",
                    "inspect",
                    "ping",
                    "--timeout",
                    "3",
                    "--json",
                ],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                text=True,
            )
            try:
                replies = json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else {}
            except ValueError:
                replies = {}
            names = sorted(n for n in replies if n.startswith(f"bench-capacity-{os.getpid()}-"))
            if len(names) >= self.celery_workers:
                break
            time.sleep(1)
        return names

    def start_web(self, day: str) -> int:
        self.stop_web()
        self.web = [
            start_gunicorn(self.tmp, p, self.workers_per_master, self.env, day, WEB_CPU) for p in self.web_ports
        ]
        for proc, p in zip(self.web, self.web_ports, strict=True):
            wait_for_port(p, proc=proc)
        return self.port

    def stop_web(self) -> None:
        for proc in self.web:
            stop(proc)
        self.web = []

    def __exit__(self, *exc):
        self.stop_web()
        stop(self.nginx, timeout=10)
        for proc in self.celery:
            stop(proc)
        stop(self.pgbouncer, timeout=10)

    # --- accounting ----------------------------------------------------------------------

    def groups(self) -> dict:
        return {
            "web": lambda: [pid for proc in self.web for pid in tree(proc.pid)],
            "nginx": lambda: tree(self.nginx.pid) if self.nginx else [],
            "pgbouncer": lambda: [self.pgbouncer.pid] if self.pgbouncer else [],
            "celery": lambda: [pid for proc in self.celery for pid in tree(proc.pid)],
        }

    def describe(self) -> dict:
        return {"stack": "topology", "web_masters": self.masters, "workers_per_master": self.workers_per_master}

    def report(self) -> dict:
        return {
            "proxy": "nginx (Debian), least_conn over 2 gunicorn masters",
            "web_masters": self.masters,
            "workers_per_master": self.workers_per_master,
            "pooler": f"PgBouncer (Debian), pool_mode=transaction, default_pool_size={self.pool_size}",
            "cache_and_sessions": "Redis (CACHE_URL), cached_db sessions",
            "celery_workers_answered": len(self.answered),
        }
