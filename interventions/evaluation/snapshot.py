"""The snapshot the attendance officer's dashboard reads: every check run leaves each pupil's
figures for its date (`CheckRun`, `PupilSnapshot`), computed from the aggregates the rules
already used, so the dashboard need not pass over the whole year again."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from registers.selectors import PENALTY_THRESHOLD_WEEKS, AttendanceFigures, pupil_figures

from ..models import CheckRun, PupilSnapshot
from ..school_age import COMPULSORY, national_age_bounds
from .context import Context

SNAPSHOT_KEEP_DAYS = 14  # runs older than this (before the newest) are pruned
WEEK_BEFORE_DAYS = 7


SNAPSHOT_FIELDS = (
    "pupil_id",
    "possible",
    "attended",
    "authorised",
    "unauthorised",
    "possible_week_before",
    "absent_week_before",
    "national_age",
    "persistent",
    "severe",
    "threshold_sessions",
    "threshold_unresolved",
)


def pupil_snapshot(ctx: Context) -> tuple[dict, list[dict]]:
    """Each pupil's figures on `ctx.on` (a dict per pupil, keyed as `SNAPSHOT_FIELDS`) and the
    run's own fields: year to date, year to date a week earlier, and the national threshold's
    count. Reuses the aggregates the rules already ran (the year-to-date figures and the
    threshold), adding one aggregate over the last week."""
    year = ctx.window({"period": "year_to_date"})
    now = ctx.figures(year)
    recent_start = max(year.start, ctx.on - dt.timedelta(days=WEEK_BEFORE_DAYS - 1))
    recent = pupil_figures(school=ctx.school, date_from=recent_start, date_to=ctx.on)
    window, counts = ctx.threshold(PENALTY_THRESHOLD_WEEKS, COMPULSORY)
    earliest, latest = national_age_bounds(ctx.on)
    pupils = ctx.pupils()
    empty = AttendanceFigures()
    rows = []
    for pupil_id in sorted(set(now) | set(counts)):
        f, r, c = now.get(pupil_id, empty), recent.get(pupil_id, empty), counts.get(pupil_id, {})
        dob = pupils.get(pupil_id, (None, None))[1]
        absent = f.absent
        rows.append(
            {
                "pupil_id": pupil_id,
                "possible": f.possible,
                "attended": f.attended,
                "authorised": f.authorised,
                "unauthorised": f.unauthorised,
                "possible_week_before": f.possible - r.possible,
                "absent_week_before": absent - r.absent,
                "national_age": dob is not None and earliest <= dob <= latest,
                # exact, as AttendanceFigures.persistent/severe: 10 % and 50 % of possible sessions
                "persistent": bool(f.possible) and 10 * absent >= f.possible,
                "severe": bool(f.possible) and 2 * absent >= f.possible,
                "threshold_sessions": c.get("n", 0),
                "threshold_unresolved": c.get("unresolved", 0),
            }
        )
    run = {"year_start": year.start, "threshold_from": window.start, "threshold_to": window.end}
    return run, rows


def write_snapshot(ctx: Context) -> CheckRun:
    """Store the pupils' figures for `ctx.on`, replacing those of an earlier run for the same
    date. Snapshot rows are derived data, not register entries: replacing and pruning them
    loses nothing (the marks and their history are the record), so a re-run keeps exactly one
    row per pupil per date. The run's row is locked so two runs for a date write one after
    the other."""
    fields, rows = pupil_snapshot(ctx)
    with transaction.atomic():
        run, _ = CheckRun.objects.select_for_update().get_or_create(
            school=ctx.school, date=ctx.on, defaults={**fields, "computed_at": timezone.now()}
        )
        for name, value in fields.items():
            setattr(run, name, value)
        run.computed_at = timezone.now()
        run.pupils = len(rows)
        run.save()
        PupilSnapshot.objects.filter(run=run).delete()
        _insert_snapshots(run, rows)
        newest = CheckRun.objects.filter(school=ctx.school).aggregate(d=Max("date"))["d"]
        CheckRun.objects.filter(school=ctx.school, date__lt=newest - dt.timedelta(days=SNAPSHOT_KEEP_DAYS)).delete()
    return run


def _insert_snapshots(run: CheckRun, rows: list[dict]) -> None:
    """One INSERT … SELECT FROM unnest(column arrays) on PostgreSQL (a tenth of the time of
    building and saving model instances for a large school); bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        PupilSnapshot.objects.bulk_create([PupilSnapshot(run=run, **row) for row in rows], batch_size=500)
        return
    opts = PupilSnapshot._meta
    fields = [opts.get_field(name.removesuffix("_id")) for name in SNAPSHOT_FIELDS]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.rel_db_type(connection) if f.is_relation else f.db_type(connection)}[]" for f in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(opts.db_table)} ({connection.ops.quote_name('run_id')}, {columns}) "
        f"SELECT %s, * FROM unnest({arrays})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk, *([row[name] for row in rows] for name in SNAPSHOT_FIELDS)])
