"""The nightly checks on a whole school: a year's statistics sweep and the penalty threshold.

The figure is what the application runs — `registers.selectors.pupil_figures` for the whole
academic year and `penalty_threshold` on the last school day. The floor is hand-written SQL
with exactly the same semantics (RULES.md, DfE): only possible sessions (the code row the
mark points at, i.e. the code's meaning on that date), only while the pupil is on roll (an
enrolment covering the date, subsidiary dual registrations left out), the threshold over
the rolling ten school weeks ending on the day, counting codes flagged for the threshold
(G, N, O, U) and reporting N as unresolved. Both are timed the same way (one warm-up, best
of three, interleaved) and their results are compared pupil by pupil."""

from __future__ import annotations

import datetime as dt

from bench.report import Row, ratio
from bench.timing import human, interleaved

# Per-pupil figures in one statement. Marks are first counted per pupil and code (one pass,
# no per-row string comparisons), then the few thousand (pupil, code) counts are folded
# into the figures by the code table's category: the same numbers, computed once per code.
FIGURES_SQL = """
WITH per_code AS (
    SELECT m.pupil_id, m.code_id, count(*) AS n, sum(m.minutes_late) AS minutes
    FROM registers_mark m
    WHERE m.school_id = %(school)s
      AND m.date BETWEEN %(date_from)s AND %(date_to)s
      AND EXISTS (
          SELECT 1 FROM registers_enrolment e
          WHERE e.pupil_id = m.pupil_id
            AND e.admission_date <= m.date
            AND (e.leaving_date IS NULL OR e.leaving_date >= m.date)
            AND e.registration <> 'subsidiary')
    GROUP BY m.pupil_id, m.code_id
)
SELECT p.pupil_id,
       sum(p.n)::int,
       coalesce(sum(p.n) FILTER (WHERE c.category = 'present'), 0)::int,
       coalesce(sum(p.n) FILTER (WHERE c.category = 'approved_educational_activity'), 0)::int,
       coalesce(sum(p.n) FILTER (WHERE c.category = 'authorised_absence'), 0)::int,
       coalesce(sum(p.n) FILTER (WHERE c.category = 'unauthorised_absence'), 0)::int,
       coalesce(sum(p.n) FILTER (WHERE c.code = 'L'), 0)::int,
       coalesce(sum(p.n) FILTER (WHERE c.code = 'U'), 0)::int,
       coalesce(sum(p.minutes) FILTER (WHERE c.code IN ('L', 'U')), 0)::int
FROM per_code p
JOIN registers_attendancecode c ON c.id = p.code_id AND c.possible
GROUP BY p.pupil_id
"""

# The threshold in two statements. First the window: the school week of the last school day
# on or before `on`, back `weeks` school weeks (week numbers run across terms and years).
# Then the count over it, with the window's dates as parameters so that the planner can
# see how few marks they select (in one statement it cannot, and scans the whole table).
WINDOW_SQL = """
SELECT (SELECT min(d.date) FROM registers_schoolday d
        WHERE d.school_id = %(school)s AND d.week_number = greatest(1, l.week_number - %(weeks)s + 1)),
       least(%(on)s::date, l.date)
FROM (SELECT d.date, d.week_number FROM registers_schoolday d
      WHERE d.school_id = %(school)s AND d.date <= %(on)s
      ORDER BY d.date DESC LIMIT 1) l
"""
THRESHOLD_SQL = """
SELECT m.pupil_id, p.upn, count(*)::int, (count(*) FILTER (WHERE c.code = 'N'))::int
FROM registers_mark m
JOIN registers_attendancecode c ON c.id = m.code_id AND c.possible AND c.penalty_threshold
JOIN registers_pupil p ON p.id = m.pupil_id
WHERE m.school_id = %(school)s
  AND m.date BETWEEN %(first)s AND %(last)s
  AND EXISTS (
      SELECT 1 FROM registers_enrolment e
      WHERE e.pupil_id = m.pupil_id
        AND e.admission_date <= m.date
        AND (e.leaving_date IS NULL OR e.leaving_date >= m.date)
        AND e.registration <> 'subsidiary')
GROUP BY m.pupil_id, p.upn
HAVING count(*) >= %(sessions)s
ORDER BY p.upn
"""


def floor_figures(school_id: int, date_from: dt.date, date_to: dt.date) -> dict[int, tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FIGURES_SQL, {"school": school_id, "date_from": date_from, "date_to": date_to})
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def floor_threshold(school_id: int, on: dt.date, sessions: int = 10, weeks: int = 10) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(WINDOW_SQL, {"school": school_id, "on": on, "weeks": weeks})
        window = cursor.fetchone()
        if window is None:
            return []
        first, last = window
        cursor.execute(THRESHOLD_SQL, {"school": school_id, "first": first, "last": last, "sessions": sessions})
        return [(*row, first, last) for row in cursor.fetchall()]


def figures_as_tuples(figures: dict) -> dict[int, tuple]:
    return {
        pupil_id: (
            f.possible,
            f.present,
            f.approved_activity,
            f.authorised,
            f.unauthorised,
            f.late_before_close,
            f.late_after_close,
            f.minutes_late,
        )
        for pupil_id, f in figures.items()
    }


def threshold_as_tuples(rows: list) -> list[tuple]:
    return [(r.pupil_id, r.upn, r.unauthorised_sessions, r.unresolved_n, r.window_start, r.window_end) for r in rows]


def run(pupils: int, meta: dict, *, runs: int = 3, log=print) -> tuple[list[Row], dict]:
    """Measure the nightly checks on the cached N-pupil school Django points at."""
    from registers.models import AcademicYear, Mark, School, SchoolDay
    from registers.selectors import penalty_threshold, pupil_figures

    school = School.objects.get(pk=meta["school_id"])
    year = AcademicYear.objects.get(school=school)
    last_day = SchoolDay.objects.filter(school=school).order_by("-date").values_list("date", flat=True)[0]
    marks = Mark.objects.filter(school=school).count()
    size = f"{pupils:,} pupils, {marks / 1e6:.2f} M marks"
    log(f"  {pupils:,} pupils: timing pupil_figures and penalty_threshold (best of {runs} after a warm-up) …")

    figures = interleaved(
        lambda: pupil_figures(school=school, date_from=year.start_date, date_to=year.end_date),
        lambda: floor_figures(school.pk, year.start_date, year.end_date),
        runs=runs,
    )
    threshold = interleaved(
        lambda: penalty_threshold(school=school, on=last_day),
        lambda: floor_threshold(school.pk, last_day),
        runs=runs,
    )
    orm_figures = figures_as_tuples(figures.figure_result)
    orm_threshold = threshold_as_tuples(threshold.figure_result)
    figures_match = orm_figures == figures.floor_result
    threshold_match = orm_threshold == threshold.floor_result
    differing = sum(
        1 for p in set(orm_figures) | set(figures.floor_result) if orm_figures.get(p) != figures.floor_result.get(p)
    )
    totals = [sum(values) for values in zip(*orm_figures.values(), strict=True)] if orm_figures else []
    attended = (totals[1] + totals[2]) / totals[0] * 100 if totals else 0.0

    both, both_floor = figures.best + threshold.best, figures.floor_best + threshold.floor_best
    limit = 5.0 if pupils <= 2000 else 60.0
    rows = [
        Row(
            "stats sweep: pupil_figures, whole year",
            size,
            human(figures.best),
            human(figures.floor_best),
            ratio(figures.best, figures.floor_best),
            "≤ 2× floor",
            figures.best <= 2 * figures.floor_best,
        ),
        Row(
            "penalty_threshold, 10 school weeks to last day",
            size,
            human(threshold.best),
            human(threshold.floor_best),
            ratio(threshold.best, threshold.floor_best),
            "≤ 2× floor",
            threshold.best <= 2 * threshold.floor_best,
        ),
        Row(
            "nightly checks: both",
            size,
            human(both),
            human(both_floor),
            ratio(both, both_floor),
            f"≤ {limit:.0f} s and ≤ 2× floor",
            both <= limit and both <= 2 * both_floor,
        ),
        Row(
            "  time per mark (both)",
            size,
            f"{both / marks * 1e6:.2f} µs",
            f"{both_floor / marks * 1e6:.2f} µs",
            ratio(both, both_floor),
        ),
        Row(
            "  results equal the floor's, pupil by pupil",
            size,
            f"match: {'yes' if figures_match and threshold_match else 'no'}",
            f"{len(orm_figures):,} pupils, {len(orm_threshold)} at threshold",
            target="match: yes",
            met=figures_match and threshold_match,
        ),
    ]
    data = {
        "pupils": pupils,
        "marks": marks,
        "school_days": meta.get("school_days"),
        "last_day": last_day.isoformat(),
        "pupil_figures_s": figures.figure,
        "pupil_figures_floor_s": figures.floor,
        "penalty_threshold_s": threshold.figure,
        "penalty_threshold_floor_s": threshold.floor,
        "both_best_s": both,
        "both_floor_best_s": both_floor,
        "per_mark_us": both / marks * 1e6,
        "per_mark_floor_us": both_floor / marks * 1e6,
        "figures_match": figures_match,
        "threshold_match": threshold_match,
        "pupils_differing": differing,
        "pupils_with_figures": len(orm_figures),
        "pupils_at_threshold": len(orm_threshold),
        "attendance_percent": round(attended, 2),
        "build_seconds": meta.get("build_seconds"),
        "build_steps": meta.get("build_steps"),
        "cached": meta.get("cached"),
    }
    for row in rows:
        row.data = data
    return rows, data


def growth_row(small: dict, large: dict) -> Row:
    """Cost per mark at the larger size over the smaller: 1.0 is linear."""
    growth = large["per_mark_us"] / small["per_mark_us"]
    floor_growth = large["per_mark_floor_us"] / small["per_mark_floor_us"]
    return Row(
        "growth: time per mark, larger ÷ smaller",
        f"{small['pupils']:,} → {large['pupils']:,} pupils",
        f"{growth:.2f}× ({small['per_mark_us']:.2f} → {large['per_mark_us']:.2f} µs)",
        f"{floor_growth:.2f}×",
        ratio(growth, floor_growth),
        "≤ ~1.2× (linear)",
        growth <= 1.2 or growth <= 1.2 * floor_growth,
        data={"growth": growth, "floor_growth": floor_growth},
    )
