"""Each trigger of a policy rule, evaluated for every pupil of the school at once: a grouped
count for lates and illness, the window's figures for percentages and sessions, window
functions over the school's days for runs of absence — never a Python loop over marks.
`TRIGGERS` maps a rule's trigger to its function; its parameters are described in
`interventions.policy.triggers`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Q

from registers.models import SchoolDay
from registers.selectors import AttendanceFigures, counted_marks, pupil_figures

from ..models import MonitoringPeriod, PenaltyNoticeMark, Rule, band_for
from ..school_age import COMPULSORY, compulsory_age_q
from .context import ABSENCE, CAT, Context, Finding, Window, figures_dict
from .lessons import LESSON_TRIGGERS


def _percent_rule(ctx: Context, rule: Rule, params: dict, test) -> list[Finding]:
    window = ctx.window(params)
    found = []
    for pupil_id, f in ctx.figures(window, params.get("ages")).items():
        if f.possible < (params.get("min_sessions") or 0) or not f.possible:
            continue
        if test(f):
            found.append(
                Finding(pupil_id, window.key, figures_dict(f), window, Q(code__category__in=ABSENCE), {"band": None})
            )
    return found


def attendance_below(ctx, rule, params):
    limit = float(params["percent"])
    if params.get("inclusive"):
        return _percent_rule(ctx, rule, params, lambda f: f.attendance_percent <= limit)
    return _percent_rule(ctx, rule, params, lambda f: f.attendance_percent < limit)


def band(ctx, rule, params):
    bands = ctx.bands(rule.policy)
    findings = _percent_rule(
        ctx, rule, params, lambda f: (b := band_for(bands, f.attendance_percent)) and (b.name == params["band"])
    )
    for finding in findings:
        finding.extra = {"band": params["band"]}
    return findings


def persistent_absence(ctx, rule, params):
    limit = float(params["percent"])
    return _percent_rule(ctx, rule, params, lambda f: 100 * f.absent >= limit * f.possible)


severe_absence = persistent_absence


def absence_sessions_over(ctx, rule, params):
    window = ctx.window(params)
    limit = int(params["sessions"])
    found = []
    for pupil_id, f in ctx.figures(window, params.get("ages")).items():
        count = f.unauthorised if params.get("unauthorised_only") else f.absent
        if count > limit:
            found.append(
                Finding(pupil_id, window.key, figures_dict(f), window, Q(code__category__in=ABSENCE), {"count": count})
            )
    return found


def penalty_threshold(ctx, rule, params):
    """The national threshold, over marks not already relied on by a penalty notice (and, by
    default, only sessions of compulsory school age). `N` counts and is reported as unresolved."""
    window, counts = ctx.threshold(int(params["weeks"]), params["ages"])
    mark_filter = Q(code__penalty_threshold=True) & ~Q(Exists(PenaltyNoticeMark.objects.filter(mark_id=OuterRef("pk"))))
    if params["ages"] == COMPULSORY:
        mark_filter &= compulsory_age_q(window.start, window.end)
    return [
        Finding(
            pupil_id,
            window.key,
            {"unauthorised_sessions": r["n"], "unresolved_n": r["unresolved"]},
            window,
            mark_filter,
            {
                "unresolved_n": r["unresolved"],
                "note": (
                    f"{r['unresolved']} session(s) still coded N: resolve them before a notice is requested."
                    if r["unresolved"]
                    else ""
                ),
            },
        )
        for pupil_id, r in counts.items()
        if r["n"] >= int(params["sessions"])
    ]


def _late_counts(ctx, start, end, codes):
    """Late marks per pupil, counted only while the pupil was on roll (as every figure is)."""
    return (
        counted_marks(school=ctx.school, date_from=start, date_to=end)
        .filter(code__code__in=codes)
        .values("pupil_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def lates_in_half_term(ctx, rule, params):
    window = Window("this half-term", ctx.half_term_start, ctx.on, ctx.ht_key)
    codes = params["codes"]
    return [
        Finding(r["pupil_id"], window.key, {"late_marks": r["n"]}, window, Q(code__code__in=codes))
        for r in _late_counts(ctx, window.start, window.end, codes)
        if r["n"] >= int(params["count"])
    ]


def lates_in_week(ctx, rule, params):
    week = ctx.today.week_number
    start = SchoolDay.objects.filter(school=ctx.school, week_number=week).aggregate(d=Min("date"))["d"]
    window = Window(f"school week {week}", start, ctx.on, f"w{week}")
    codes = params["codes"]
    return [
        Finding(r["pupil_id"], window.key, {"late_marks": r["n"]}, window, Q(code__code__in=codes))
        for r in _late_counts(ctx, window.start, window.end, codes)
        if r["n"] >= int(params["count"])
    ]


RUNS_SQL = """
WITH days AS (
    SELECT date, ROW_NUMBER() OVER (ORDER BY date) AS idx
    FROM registers_schoolday WHERE school_id = %(school)s AND date BETWEEN %(start)s AND %(end)s
),
absent AS (
    SELECT m.pupil_id, d.idx, d.date
    FROM registers_mark m
    JOIN registers_attendancecode c ON c.id = m.code_id
    JOIN days d ON d.date = m.date
    WHERE m.school_id = %(school)s AND m.date BETWEEN %(start)s AND %(end)s AND c.possible
      AND EXISTS (
          SELECT 1 FROM registers_enrolment e
          WHERE e.pupil_id = m.pupil_id AND e.admission_date <= m.date
            AND (e.leaving_date IS NULL OR e.leaving_date >= m.date) AND e.registration <> 'subsidiary')
    GROUP BY m.pupil_id, d.idx, d.date
    HAVING SUM(CASE WHEN {absent} THEN 1 ELSE 0 END) > 0
       AND SUM(CASE WHEN {absent} THEN 0 ELSE 1 END) = 0
),
runs AS (
    SELECT pupil_id, idx - ROW_NUMBER() OVER (PARTITION BY pupil_id ORDER BY idx) AS grp, idx, date FROM absent
)
SELECT pupil_id, MIN(date), MAX(date), COUNT(*), MAX(idx) FROM runs GROUP BY pupil_id, grp
"""


def absence_runs(school, start, end, codes=()):
    """Runs of consecutive school days on which every counted session (possible, while on roll)
    was an absence (of one of `codes`, if given): (pupil_id, first day, last day, days, index of the last day), and the
    index of the last school day in the range. One query, window functions over school days."""
    params = {"school": school.pk, "start": start, "end": end}
    if codes:
        names = ", ".join(f"%(code{i})s" for i in range(len(codes)))
        params.update({f"code{i}": c for i, c in enumerate(codes)})
        absent = f"c.code IN ({names})"
    else:
        absent = f"c.category IN ('{CAT.AUTHORISED}', '{CAT.UNAUTHORISED}')"
    with connection.cursor() as cursor:
        cursor.execute(RUNS_SQL.format(absent=absent), params)
        rows = cursor.fetchall()
    last = SchoolDay.objects.filter(school=school, date__range=(start, end)).count()
    return [(p, _as_date(a), _as_date(b), n, i) for p, a, b, n, i in rows], last


def _as_date(value):
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def consecutive_absence(ctx, rule, params):
    """Runs of school days of absence. With `count_closures`, INSET days and bank holidays
    inside a run count towards its length ("5 school days, or 4 if the absence spans an INSET
    day or bank holiday")."""
    days = int(params["days"])
    codes = params["codes"] or ()
    runs, last = absence_runs(ctx.school, ctx.year_start, ctx.on, codes)
    recent = int(params["recent_days"] or 10)
    closed = ctx.closed_weekdays() if params.get("count_closures") else []
    found = []
    for pupil_id, first, end, n, idx in runs:
        if idx <= last - recent:
            continue
        spanned = sum(1 for day in closed if first < day < end)
        length = n + spanned
        long_enough = length > days if params["comparison"] == "more_than" else length >= days
        if long_enough:
            window = Window("run of absence", first, end, f"run:{first.isoformat()}")
            mark_filter = Q(code__code__in=codes) if codes else Q(code__category__in=ABSENCE)
            figures = {"school_days": n, **({"closed_days_spanned": spanned} if spanned else {})}
            found.append(Finding(pupil_id, window.key, figures, window, mark_filter, {"days": length}))
    return found


def illness_periods_in_half_term(ctx, rule, params):
    codes = params["codes"] or ["I"]
    runs, _ = absence_runs(ctx.school, ctx.half_term_start, ctx.on, codes)
    periods = defaultdict(list)
    for pupil_id, first, end, n, _idx in runs:
        periods[pupil_id].append({"from": first.isoformat(), "to": end.isoformat(), "days": n})
    window = Window("this half-term", ctx.half_term_start, ctx.on, ctx.ht_key)
    return [
        Finding(p, window.key, {"periods_of_illness": len(spans)}, window, Q(code__code__in=codes), {"periods": spans})
        for p, spans in periods.items()
        if len(spans) >= int(params["count"])
    ]


def illness_days(ctx, rule, params):
    window = ctx.window(params)
    codes = params["codes"] or ["I"]
    marks = counted_marks(school=ctx.school, date_from=window.start, date_to=window.end).filter(code__code__in=codes)
    if params["ages"] == COMPULSORY:
        marks = marks.filter(compulsory_age_q(window.start, window.end))
    rows = marks.values("pupil_id").annotate(n=Count("id")).order_by()
    return [
        Finding(
            r["pupil_id"],
            window.key,
            {"sessions_of_illness": r["n"], "days": r["n"] / 2},
            window,
            Q(code__code__in=codes),
        )
        for r in rows
        if r["n"] >= 2 * int(params["days"])
    ]


def monitoring_review(ctx, rule, params):
    """Monitoring periods of this length whose review date has come: improved (attendance over
    the period above the baseline) or not. One figures query per distinct period."""
    periods = MonitoringPeriod.objects.filter(
        case__school=ctx.school, weeks=int(params["weeks"]), review_on__lte=ctx.on, reviewed_on__isnull=True
    ).select_related("case__stage")
    if params.get("at_stage") is not None:
        periods = periods.filter(case__stage__order=int(params["at_stage"]))
    by_range = defaultdict(list)
    for period in periods:
        by_range[(period.start, period.review_on)].append(period)
    found = []
    for (start, end), group in by_range.items():
        figures = pupil_figures(
            school=ctx.school, date_from=start, date_to=end, pupils=[p.case.pupil_id for p in group]
        )
        for period in group:
            f = figures.get(period.case.pupil_id, AttendanceFigures())
            baseline = period.baseline.get("attendance_percent")
            now = f.attendance_percent
            improved = now is not None and (baseline is None or now > baseline or now == 100)
            outcome = "improved" if improved else "not_improved"
            if outcome == params["outcome"]:
                window = Window(f"monitoring period from {start:%d %b %Y}", start, end, f"mp{period.pk}")
                found.append(
                    Finding(
                        period.case.pupil_id,
                        window.key,
                        {**figures_dict(f), "baseline_attendance_percent": baseline},
                        window,
                        Q(code__category__in=ABSENCE),
                        {"monitoring_period_id": period.pk, "outcome": outcome},
                    )
                )
    return found


TRIGGERS = {
    Rule.Trigger.ATTENDANCE_BELOW: attendance_below,
    Rule.Trigger.BAND: band,
    Rule.Trigger.PERSISTENT: persistent_absence,
    Rule.Trigger.SEVERE: severe_absence,
    Rule.Trigger.SESSIONS_OVER: absence_sessions_over,
    Rule.Trigger.PENALTY_THRESHOLD: penalty_threshold,
    Rule.Trigger.LATES_HALF_TERM: lates_in_half_term,
    Rule.Trigger.LATES_WEEK: lates_in_week,
    Rule.Trigger.CONSECUTIVE: consecutive_absence,
    Rule.Trigger.ILLNESS_PERIODS: illness_periods_in_half_term,
    Rule.Trigger.ILLNESS_DAYS: illness_days,
    Rule.Trigger.MONITORING: monitoring_review,
    **LESSON_TRIGGERS,
}
