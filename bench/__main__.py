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
    parser.add_argument("--skip-peak", action="store_true", help="leave out the morning peak (bench.peak)")
    parser.add_argument(
        "--skip-leaders", action="store_true", help="leave out the dashboard, policy checks and governors' PDF"
    )
    parser.add_argument(
        "--skip-letters", action="store_true", help="leave out the letters figure (500 letters in one PDF)"
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


def peak_rows() -> list:
    """The morning peak, measured by `bench.peak` (gunicorn + 20 clients), as table rows."""
    import importlib.util

    from bench.report import Row

    figure = "morning peak: 300 registers × 30, 20 clients, p95"
    if importlib.util.find_spec("bench.peak") is None:
        return [Row(figure, "gunicorn + PostgreSQL", "TODO: bench/peak.py not written yet")]
    try:
        from bench import peak

        result = peak.run()
        return _peak_table(figure, result)
    except Exception as error:  # reported, never faked
        return [Row(figure, "gunicorn + PostgreSQL", f"TODO: failed ({type(error).__name__}: {error})"[:160])]


def _peak_table(figure: str, result: dict) -> list:
    from bench.report import Row, ratio

    complete = (
        result["marks"] == result["expected_marks"]
        and result["history"] >= result["expected_marks"]
        and result["taken"] == result["registers"]
    )
    size = f"{result['registers']} × {result['pupils_per_register']}, {result['clients']} clients"
    return [
        Row(
            figure,
            size,
            f"{result['p95_ms']:.0f} ms (GET {result['p95_get_ms']:.0f}, POST {result['p95_post_ms']:.0f})",
            f"{result['floor_p95_ms']:.0f} ms (sign-in page)",
            ratio(result["p95_ms"], result["floor_p95_ms"]),
            "p95 ≤ 300 ms",
            result["p95_ms"] <= 300,
            data=result,
        ),
        Row(
            "  errors; every mark, history row and register present",
            size,
            f"{result['errors']} errors; {result['marks']:,} marks, {result['history']:,} history, "
            f"{result['taken']} taken",
            f"{result['expected_marks']:,} expected",
            target="0 errors, all present",
            met=result["errors"] == 0 and complete,
            data=result,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
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
    if not args.skip_peak:
        log("morning peak (bench.peak):")
        rows += peak_rows()
    from django.db import connections

    connections.close_all()

    table = render(rows)
    print(table)
    notes = [
        "Each figure is measured beside its floor in the same run (interleaved): the ratio holds on a noisy machine.",
        "SQL queries are counted without BEGIN/COMMIT/SAVEPOINT, which are shown beside them.",
        "Register floor: the same rows by hand in one transaction (INSERT marks, INSERT history, UPDATE register, "
        "INSERT its history).",
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
