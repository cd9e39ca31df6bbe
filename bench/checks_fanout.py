"""Issue 15: the nightly checks for many schools fan out, one Celery task per school, so two
worker processes finish a trust's night in at most 0.6 × the time of one (DESIGN.md: ≥ 1.7×).

`run()` returns rows in the bench table's format (`bench.report.Row`). It builds (or reuses)
its own database, `attendance_bench_fanout`: 50 synthetic schools × 400 pupils, each with the
full 2025/26 year of marks and preset C loaded. Then, for 1 and then 2 real worker processes
(`celery -A attendance_site worker -c 1` subprocesses on Redis, on a queue of the run's own so
no other worker takes its tasks), it clears the derived rows the checks write (alerts, check
runs, snapshots), sends the nightly task `interventions.run_checks_all_schools` and times it
until every school's check run is written. Both runs do the same work (the same alerts are
found: compared). The floor is perfect scaling, half the one-worker time.

SYNTHETIC BENCHMARK DATA ONLY, as in `bench.synthetic` (whose generators it uses): the marks are
loaded with COPY, bypassing the register service on purpose and only here, and without their
history rows, which the checks never read. Standalone: `python -m bench.checks_fanout`."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path

from bench import workers as workers_module
from bench.report import Row

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "attendance_bench_fanout"
DATA_VERSION = 1  # bump when the data built here would change
URN_BASE = 970000
PRESET = "C"


# --- the schools -------------------------------------------------------------------------------


def _school(k: int, pupils: int, rng, codes_for) -> tuple[int, list]:
    """One synthetic school through the application's own code (import, pupils, enrolments,
    policy); its marks as COPY text chunks for the caller to send."""
    from simple_history.utils import bulk_create_with_history

    from bench import synthetic
    from interventions.services import load_policy_preset
    from registers.imports import import_school
    from registers.models import Enrolment, Pupil, RegistrationGroup, SchoolDay
    from registers.upn import make_upn

    payload = synthetic.school_payload(pupils, urn=str(URN_BASE + k))
    payload["name"] = f"Fan-out Academy {k + 1:02d}"
    school = import_school(payload)
    days = list(SchoolDay.objects.filter(school=school).order_by("date").values_list("date", flat=True))
    groups = list(RegistrationGroup.objects.filter(school=school).order_by("year", "name"))
    by_year = {year: [g for g in groups if g.year == year] for year in synthetic.YEARS}
    rows = []
    for i in range(pupils):
        year = synthetic.YEARS[i % len(synthetic.YEARS)]
        rows.append(
            Pupil(
                school=school,
                upn=make_upn(synthetic.LA, synthetic.ESTABLISHMENT, 10 + i // 1000, i % 1000),
                legal_surname=synthetic.SURNAMES[int(rng.integers(len(synthetic.SURNAMES)))],
                legal_forename=synthetic.FORENAMES[int(rng.integers(len(synthetic.FORENAMES)))],
                date_of_birth=dt.date(synthetic.START_YEAR - year - 5, 1 + int(rng.integers(12)), 1),
                sex="F" if rng.random() < 0.5 else "M",
                year=year,
                group=by_year[year][(i // len(synthetic.YEARS)) // synthetic.GROUP_SIZE],
                ethnicity="WBRI",
            )
        )
    reason = "synthetic benchmark data"
    created = bulk_create_with_history(rows, Pupil, batch_size=2000, default_change_reason=reason)
    roll = synthetic.draw_roll(rng, pupils, len(days))
    enrolments = [
        Enrolment(
            pupil=pupil,
            admission_date=dt.date(synthetic.START_YEAR, 9, 1) if first == 0 else days[first],
            leaving_date=None if last is None else days[last],
            registration=registration,
        )
        for pupil, spans in zip(created, roll.spans, strict=True)
        for first, last, registration in spans
    ]
    bulk_create_with_history(enrolments, Enrolment, batch_size=2000, default_change_reason=reason)
    load_policy_preset(school=school, preset=PRESET)
    codes, minutes = synthetic.draw_codes(rng, days, roll)
    code_id = codes_for(days)

    name, position = synthetic.RECORDED_BY
    ids = [str(p.pk) for p in created]
    minute_text = {-1: "\\N", **{m: str(m) for m in range(0, 301)}}
    chunks = []
    for d, day in enumerate(days):
        for half, session, clock in ((0, "AM", dt.time(9, 15)), (1, "PM", dt.time(13, 50))):
            column = 2 * d + half
            who = (codes[:, column] != synthetic.NO_MARK).nonzero()[0]
            at = dt.datetime.combine(day, clock, synthetic.LONDON).isoformat()
            head, tail = f"{day.isoformat()}\t{session}\t", f"\t{at}\t{school.pk}\t\timport\t{name}\t{position}\t\t1\n"
            symbols, late = code_id[codes[who, column], d].tolist(), minutes[who, column].tolist()
            chunks.append(
                "".join(
                    f"{head}{minute_text[m]}\t{c}\t{ids[p]}{tail}"
                    for p, c, m in zip(who.tolist(), symbols, late, strict=True)
                )
            )
    return school.pk, chunks


def _code_matrix(days: list[dt.date]):
    """The code row valid on each school day, per symbol: [symbols, days] of ids."""
    import numpy as np

    from bench import synthetic
    from registers.services import codes_by_symbol, resolve_code

    table = codes_by_symbol()
    matrix = np.zeros((len(synthetic.SYMBOLS), len(days)), dtype=np.int64)
    for s, symbol in enumerate(synthetic.SYMBOLS):
        for d, day in enumerate(days):
            row = resolve_code(table, symbol, day)
            assert not isinstance(row, str), row
            matrix[s, d] = row.id
    return matrix


def build(schools: int, pupils: int, seed: int, log=print) -> dict:
    """`schools` synthetic schools of `pupils` pupils in the current (empty, migrated) database:
    one COPY of all their marks, with the table's indexes detached meanwhile."""
    import numpy as np
    from django.db import connection, transaction

    from bench.databases import detach_indexes
    from registers.models import SchoolDay

    started = time.perf_counter()
    rng = np.random.default_rng([seed, schools, pupils])
    matrices: dict[tuple, object] = {}

    def codes_for(days):
        key = tuple(days)
        if key not in matrices:
            matrices[key] = _code_matrix(days)
        return matrices[key]

    columns = (
        "date, session, minutes_late, code_id, pupil_id, recorded_at, school_id, comment, source, "
        "recorded_by_name, recorded_by_position, reason, version"
    )
    marks = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        restore = detach_indexes(cursor, "registers_mark")
        for k in range(schools):
            _school_id, chunks = _school(k, pupils, rng, codes_for)
            with cursor.cursor.copy(f"COPY registers_mark ({columns}) FROM STDIN") as copy:
                for chunk in chunks:
                    copy.write(chunk)
                    marks += chunk.count("\n")
            if (k + 1) % 10 == 0:
                log(f"    {k + 1} schools, {marks:,} marks ({time.perf_counter() - started:.0f} s)")
        for statement in restore:
            cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE registers_mark")
        cursor.execute("ANALYZE")
    last = SchoolDay.objects.order_by("-date").values_list("date", flat=True).first()
    return {
        "schools": schools,
        "pupils": pupils,
        "marks": marks,
        "last_day": last.isoformat(),
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def ensure_schools(*, schools: int, pupils: int, seed: int, rebuild: bool = False, log=print) -> dict:
    """The fan-out database, built or reused (same data version, seed and sizes); Django is left
    pointing at it. Returns its bench_meta."""
    from django.db import connection

    from bench.databases import (
        create_database,
        migrate,
        migration_fingerprints,
        read_meta,
        refresh_schema,
        reusable,
        use_database,
        write_meta,
    )

    meta = read_meta(DATABASE)
    ok, why = reusable(meta, data_version=DATA_VERSION, seed=seed, pupils=pupils)
    if ok and meta.get("schools") == schools and not rebuild:
        use_database(DATABASE)
        refresh_schema(meta)
        log(f"  {DATABASE}: reusing the cached schools (built in {meta['build_seconds']} s)")
        return {**read_meta(DATABASE), "cached": True}
    log(f"  {DATABASE}: building {schools} schools × {pupils} pupils ({'--rebuild' if rebuild else why}) …")
    create_database(DATABASE)
    use_database(DATABASE)
    migrate()
    migrations = migration_fingerprints()
    built = build(schools, pupils, seed, log=log)
    with connection.cursor() as cursor:
        write_meta(cursor, {**built, "data_version": DATA_VERSION, "seed": seed, "migrations": migrations})
        write_meta(cursor, {"complete": True})
    log(f"  {DATABASE}: built {built['marks']:,} marks in {built['build_seconds']} s")
    return {**read_meta(DATABASE), "cached": False}


def _clear_derived() -> None:
    """Remove what the checks wrote, so every timed run does the same work (the bench's own
    database only: alerts and their history, check runs and snapshots are derived from marks)."""
    from django.db import connection

    assert connection.settings_dict["NAME"] == DATABASE, connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE interventions_pupilsnapshot, interventions_checkrun, interventions_historicalalert, "
            "interventions_alert CASCADE"  # what refers to alerts (cases' steps, actions) is empty here
        )


def _night(queue: str, day: dt.date, schools: int, timeout: float, worker_pids: list[int]) -> dict:
    """Send the nightly task and time it until every school's check run is written; with the
    CPU seconds the workers and their database backends used meanwhile, and how busy the whole
    machine was (other work on a shared machine takes cores from the run)."""
    from interventions.models import Alert, CheckRun
    from interventions.tasks import run_checks_all_schools

    _clear_derived()
    workers_before = sum(workers_module.process_cpu(pid) for pid in workers_module.tree(worker_pids))
    backends_before = workers_module.database_cpu(DATABASE)
    backends: dict[int, float] = {}
    busy_before, total_before = workers_module.machine_busy()
    started = time.perf_counter()
    run_checks_all_schools.apply_async((day.isoformat(),), queue=queue)
    deadline = started + timeout
    while CheckRun.objects.filter(date=day).count() < schools:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the night's run did not finish within {timeout:.0f} s")
        for pid, cpu in workers_module.database_cpu(DATABASE).items():  # sampled: a backend may close between tasks
            backends[pid] = max(cpu, backends.get(pid, 0.0))
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    busy_after, total_after = workers_module.machine_busy()
    workers = sum(workers_module.process_cpu(pid) for pid in workers_module.tree(worker_pids)) - workers_before
    for pid, cpu in workers_module.database_cpu(DATABASE).items():
        backends[pid] = max(cpu, backends.get(pid, 0.0))
    database = sum(cpu - backends_before.get(pid, 0.0) for pid, cpu in backends.items())
    return {
        "seconds": seconds,
        "alerts": Alert.objects.count(),
        "worker_cpu": round(workers, 1),
        "database_cpu": round(database, 1),
        "machine_busy": round((busy_after - busy_before) / (total_after - total_before), 3),
    }


def measure(*, schools: int, day: dt.date, workers: tuple[int, ...] = (1, 2), timeout: float = 1800, log=print):
    """Seconds for the night's run with each number of worker processes, and the alerts found."""
    from attendance_site.celery import app

    broker = os.environ.get("CELERY_BROKER_URL") or workers_module.DEFAULT_BROKER
    before = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = broker, False
    results = {}
    try:
        for count in workers:
            queue = f"fanout-{uuid.uuid4().hex[:8]}"
            processes, names = workers_module.start_workers(
                count, queue, broker, ROOT / "test-artifacts" / "bench-logs", database=DATABASE, label="checks-fanout"
            )
            try:
                workers_module.wait_ready(app, names)
                result = _night(queue, day, schools, timeout, [process.pid for process, _ in processes])
            finally:
                workers_module.stop(processes)
            log(f"    {count} worker{'s' if count > 1 else ''}: {_said(result)}")
            results[count] = result
    finally:
        app.conf.broker_url, app.conf.task_always_eager = before
    return results


def _said(result: dict) -> str:
    cpu = result["worker_cpu"] + result["database_cpu"]
    return (
        f"{result['seconds']:.1f} s, {result['alerts']:,} alerts; CPU {cpu:.0f} s (workers "
        f"{result['worker_cpu']:.0f}, PostgreSQL {result['database_cpu']:.0f}) = {cpu / result['seconds']:.2f} "
        f"cores; machine {100 * result['machine_busy']:.0f} % busy"
    )


def run(*, schools: int = 50, pupils: int = 400, seed: int = 1, rebuild: bool = False, log=print) -> list[Row]:
    """The fan-out figure as bench table rows: one worker, then two against perfect scaling."""
    figure = f"nightly checks fanned out: {schools} schools"
    size = f"{schools} × {pupils:,} pupils, a full year"
    try:
        meta = ensure_schools(schools=schools, pupils=pupils, seed=seed, rebuild=rebuild, log=log)
        day = dt.date.fromisoformat(meta["last_day"])
        results = measure(schools=schools, day=day, log=log)
    except Exception as error:  # reported, never faked
        return [Row(figure, size, f"TODO: failed ({type(error).__name__}: {error})"[:160])]
    one, two = results[1], results[2]
    same = one["alerts"] == two["alerts"]
    data = {
        "schools": schools,
        "pupils": pupils,
        "marks": meta["marks"],
        "cached": meta["cached"],
        **{f"workers_{k}": v for k, v in results.items()},
    }
    return workers_module.speed_up_rows(figure, size, one, two, same=same, different="alerts", said=_said, data=data)


if __name__ == "__main__":
    import argparse

    from bench.__main__ import setup_django
    from bench.report import render

    parser = argparse.ArgumentParser(prog="python -m bench.checks_fanout", description=__doc__)
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--pupils", type=int, default=400)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    setup_django()
    rows = run(schools=args.schools, pupils=args.pupils, rebuild=args.rebuild, log=lambda m: print(m, file=sys.stderr))
    print(render(rows))
