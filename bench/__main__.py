"""`python -m bench`: build (or reuse) the benchmark databases, measure, print one table."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import warnings
from pathlib import Path

from bench.capacity import DEFAULT_RATES as CAPACITY_RATES

ROOT = Path(__file__).resolve().parent.parent
JSON_PATH = ROOT / "test-artifacts" / "bench.json"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--sizes",
        default="2000,20000",
        help="pupils in each synthetic school, comma-separated (default 2000,20000; '' for none)",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached school databases")
    parser.add_argument("--runs", type=int, default=50, help="registers timed for the register figures")
    parser.add_argument("--stat-runs", type=int, default=3, help="timed runs of the statistics (best is reported)")
    parser.add_argument("--seed", type=int, default=None, help="seed for the synthetic schools")
    parser.add_argument("--skip-register", action="store_true", help="leave out the register figures")
    parser.add_argument(
        "--skip-capacity",
        "--skip-peak",
        dest="skip_capacity",
        action="store_true",
        help="leave out the open-loop register capacity and the topology (bench.capacity)",
    )
    parser.add_argument(
        "--only",
        choices=["capacity", "fanout"],
        default=None,
        help="run only this part (`make bench ONLY=capacity`: the capacity and topology steps, a few minutes; "
        "`ONLY=fanout`: the nightly checks and the letters batch on 1 then 2 worker processes)",
    )
    parser.add_argument(
        "--capacity-rates",
        default=",".join(f"{r:g}" for r in CAPACITY_RATES),
        help="registers/s, one step each (default %(default)s)",
    )
    parser.add_argument("--capacity-duration", type=float, default=15.0, help="seconds of arrivals per step")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn sync workers on the one web core")
    parser.add_argument("--no-topology", action="store_true", help="leave out the nginx/PgBouncer/Celery topology")
    parser.add_argument(
        "--skip-leaders", action="store_true", help="leave out the dashboard, policy checks and governors' PDF"
    )
    parser.add_argument(
        "--skip-letters", action="store_true", help="leave out the letters figure (500 letters in one PDF)"
    )
    parser.add_argument(
        "--skip-fanout",
        action="store_true",
        help="leave out the fan-out figures (nightly checks, a 500-letter batch; 1 then 2 worker processes)",
    )
    parser.add_argument("--json", type=Path, default=JSON_PATH, help=f"where to write the table (default {JSON_PATH})")
    return parser.parse_args(argv)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.databases import database_url

    # Before django.setup(): settings read DATABASE_URL once.
    os.environ["DATABASE_URL"] = database_url("attendance_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_site.settings")
    os.environ.setdefault("CONN_MAX_AGE", "0")
    os.environ.setdefault("STATIC_MANIFEST", "0")  # no collectstatic for the bench
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise, no collectstatic here
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # django.test.Client's host


def capacity_rows(args: argparse.Namespace) -> list:
    """Register capacity, open loop (bench.capacity), with the topology step, as table rows."""
    from bench.report import Row

    try:
        from bench import capacity, capacity_table

        rates = [float(r) for r in args.capacity_rates.split(",") if r.strip()]
        result = capacity.run(
            rates=rates, duration=args.capacity_duration, workers=args.web_workers, topology=not args.no_topology
        )
        return capacity_table.rows(result)
    except Exception as error:  # reported, never faked
        return [
            Row(
                "register capacity, open loop (GET + POST, 30 pupils)",
                "gunicorn + PostgreSQL",
                f"TODO: failed ({type(error).__name__}: {error})"[:160],
            )
        ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.only == "capacity":
        args.sizes, args.skip_register, args.skip_letters, args.skip_leaders = "", True, True, True
        args.skip_fanout = True
    if args.only == "fanout":
        args.sizes, args.skip_register, args.skip_letters, args.skip_leaders = "", True, True, True
        args.skip_capacity = True
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    setup_django()

    from bench import DATA_VERSION, SEED, leaders_figures, register_figures, statistics_figures
    from bench.report import Row, render, write_json
    from bench.synthetic import ensure_school

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    seed = SEED if args.seed is None else args.seed
    started = time.perf_counter()
    rows: list[Row] = []
    builds: dict[str, dict] = {}
    if not args.skip_register:
        log("register figures:")
        rows += register_figures.run(runs=args.runs, log=log)
        from bench import lesson_register_figures

        log("lesson register figures (bench.lesson_register_figures):")
        rows += lesson_register_figures.run(runs=max(10, args.runs // 2), log=log)
    measured: list[dict] = []
    for pupils in sizes:
        log(f"statistics, {pupils:,} pupils:")
        meta = ensure_school(pupils, seed=seed, rebuild=args.rebuild, log=log)
        builds[str(pupils)] = {
            "database": f"attendance_bench_{pupils}",
            "cached": meta["cached"],
            "build_seconds": meta["build_seconds"],
            "build_steps": meta.get("build_steps"),
            "marks": meta["marks"],
        }
        size_rows, data = statistics_figures.run(pupils, meta, runs=args.stat_runs, log=log)
        rows += size_rows
        measured.append(data)
        if pupils == sizes[0] and not args.skip_leaders:
            log(f"leaders' figures, {pupils:,} pupils:")
            rows += leaders_figures.run(pupils, meta, log=log)
    if len(measured) >= 2:
        rows.append(statistics_figures.growth_row(measured[0], measured[-1]))
    if not args.skip_letters:
        log("letters:")
        from bench import letters_figures

        rows += letters_figures.run(log=log)
    if not args.skip_fanout:
        from bench import checks_fanout, letters_fanout

        log("fan-out, nightly checks (bench.checks_fanout):")
        rows += checks_fanout.run(seed=seed, rebuild=args.rebuild, log=log)
        log("fan-out, a 500-letter batch (bench.letters_fanout):")
        rows += letters_fanout.run(log=log)
    if not args.skip_capacity:
        log("register capacity, open loop (bench.capacity):")
        rows += capacity_rows(args)
    from django.db import connections

    connections.close_all()

    table = render(rows)
    print(table)
    notes = [
        "Each figure is measured beside its floor in the same run (interleaved): the ratio holds on a noisy machine.",
        "SQL queries are counted without BEGIN/COMMIT/SAVEPOINT, which are shown beside them.",
        "Register floor: the same rows by hand in one transaction (INSERT marks, INSERT history, UPDATE register, "
        "INSERT its history).",
        "Register capacity: registers arrive at fixed times (open loop) at each rate for the step's seconds; a GET's "
        "latency counts from its intended arrival (no coordinated omission). gunicorn is pinned to core 0, the "
        "generator, PostgreSQL's backends, nginx, PgBouncer and Celery to core 1; CPU is /proc utime+stime per "
        "process group; 'others' is what the rest of the machine used meanwhile (a shared 2-core machine). The "
        "CPU-bound ceiling is 1000 / web CPU ms per register: the rate one whole core would take.",
        "Fan-out: real `celery worker -c 1` processes on Redis, on a queue of the run's own; 1 then 2 processes "
        "doing the same work (compared); the floor is perfect scaling. CPU is /proc utime+stime of the workers and "
        "their PostgreSQL backends; 'machine busy' is the whole machine meanwhile (others' work takes cores).",
        "Statistics floor: hand-written SQL with the same semantics — one statement for the figures, two for the "
        "threshold (its window, then the count); best of the timed runs after a warm-up, interleaved with the ORM.",
    ]
    for pupils, build in builds.items():
        how = "reused (cached)" if build["cached"] else "built this run"
        notes.append(
            f"attendance_bench_{pupils}: {build['marks']:,} marks, build took {build['build_seconds']} s, {how}."
        )
    print()
    for note in notes:
        print(f"  {note}")
    meta = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "seed": seed,
        "data_version": DATA_VERSION,
        "sizes": sizes,
        "builds": builds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "notes": notes,
    }
    write_json(args.json, rows, meta)
    log(f"written {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
