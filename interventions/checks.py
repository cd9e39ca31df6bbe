"""The threshold checks: a school's active policy applied to its marks, in the database, in bulk.

`run_checks(school=, on=)` is the single entry point (Celery tasks, the management command and
the benchmark call it). Each rule's trigger is evaluated for every pupil at once — one
`pupil_figures` aggregate per distinct window, a grouped count for lates and illness, window
functions over the school's days for runs of absence — never a Python loop over marks.

A finding becomes an `Alert` keyed by (school, pupil, rule, period key): running the checks
again, or for a past date, finds the same keys and creates nothing new. Checks only ever
propose; nothing punitive is done here.

Every run also leaves a snapshot of each pupil's figures for that date (`CheckRun`,
`PupilSnapshot`), computed from the same aggregates the rules used, so the attendance
officer's dashboard reads them instead of passing over the whole year again.

Which pupils a rule concerns is a parameter too: `years_from`/`years_to` (national curriculum
years) on every trigger, and `ages` on those that count sessions — persistent and severe
absence default to the national statistics' pupils aged 5 to 15, the penalty threshold to
sessions of compulsory school age (`interventions.school_age`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from registers.models import AttendanceCode, Holiday, Mark, Pupil, School, SchoolDay
from registers.selectors import (
    FIGURE_AGGREGATES,
    PENALTY_THRESHOLD_WEEKS,
    AttendanceFigures,
    counted_marks,
    pupil_figures,
)

from .models import (
    Alert,
    Band,
    CheckRun,
    MonitoringPeriod,
    PenaltyNoticeMark,
    Policy,
    PupilSnapshot,
    Rule,
    band_for,
)
from .school_age import ALL, COMPULSORY, NATIONAL, compulsory_age_q, national_age_bounds
from .triggers import with_defaults

CAT = AttendanceCode.Category
ABSENCE = (CAT.AUTHORISED, CAT.UNAUTHORISED)
ATTENDANCE = (CAT.PRESENT, CAT.APPROVED)
EVIDENCE_MARKS = 60  # marks listed on an alert (the figures always cover the whole window)


def figures_dict(f: AttendanceFigures | None) -> dict:
    f = f or AttendanceFigures()
    return {
        "possible": f.possible,
        "attended": f.attended,
        "authorised": f.authorised,
        "unauthorised": f.unauthorised,
        "absent": f.absent,
        "late_before_close": f.late_before_close,
        "late_after_close": f.late_after_close,
        "attendance_percent": f.attendance_percent,
        "absence_percent": f.absence_percent,
        "persistent": f.persistent,
        "severe": f.severe,
    }


@dataclass
class Window:
    name: str
    start: dt.date
    end: dt.date
    key: str


@dataclass
class Finding:
    pupil_id: int
    key: str
    figures: dict = field(default_factory=dict)
    window: Window | None = None
    mark_filter: Q | None = None
    extra: dict = field(default_factory=dict)


class Context:
    """What every trigger needs for one school on one date, computed once."""

    def __init__(self, school: School, on: dt.date):
        self.school, self.on = school, on
        days = SchoolDay.objects.filter(school=school, date__lte=on).select_related("term__academic_year")
        self.today = days.order_by("-date").first()
        self._figures: dict[tuple, dict[int, AttendanceFigures]] = {}
        self._bands: list[Band] | None = None
        self._weeks: dict[int, Window] = {}
        self._threshold: dict[tuple, dict[int, dict]] = {}
        self._pupils: dict[int, tuple[int, dt.date]] | None = None
        self._allowed: dict[tuple, set[int]] = {}
        self._closed: list[dt.date] | None = None
        if self.today is None:
            return
        term = self.today.term
        year = term.academic_year
        self.year, self.term = year, term
        self.year_start = max(year.start_date, SchoolDay.objects.filter(school=school).aggregate(d=Min("date"))["d"])
        ht = SchoolDay.objects.filter(
            school=school, half_term=self.today.half_term, date__range=(year.start_date, year.end_date)
        ).aggregate(start=Min("date"))
        self.half_term_start = ht["start"]
        self.ht_key = f"{year.name}:ht{self.today.half_term}"

    @property
    def ready(self) -> bool:
        return self.today is not None

    def weeks_window(self, weeks: int) -> Window:
        if weeks not in self._weeks:
            first_week = max(1, self.today.week_number - weeks + 1)
            start = SchoolDay.objects.filter(school=self.school, week_number=first_week).aggregate(d=Min("date"))["d"]
            self._weeks[weeks] = Window(f"last {weeks} school weeks", start, self.on, self.ht_key)
        return self._weeks[weeks]

    def window(self, params: dict) -> Window:
        period = params.get("period") or "year_to_date"
        if period == "term":
            return Window(f"{self.term.name} term", self.term.start_date, self.on, f"term{self.term.pk}")
        if period == "half_term":
            return Window("this half-term", self.half_term_start, self.on, self.ht_key)
        if period == "weeks":
            return self.weeks_window(int(params["weeks"]))
        return Window(f"academic year {self.year.name}", self.year_start, self.on, self.year.name)

    def figures(self, window: Window, ages: str | None = ALL) -> dict[int, AttendanceFigures]:
        """Figures per pupil over the window: one aggregate per window, shared by every rule.
        With `ages='compulsory'` only sessions of compulsory school age count (a second
        aggregate); the other age filter is per pupil (see `allowed`)."""
        compulsory = ages == COMPULSORY
        key = (window.start, window.end, compulsory)
        if key not in self._figures:
            if compulsory:
                marks = counted_marks(school=self.school, date_from=window.start, date_to=window.end).filter(
                    compulsory_age_q(window.start, window.end)
                )
                self._figures[key] = {
                    row.pop("pupil_id"): AttendanceFigures(**row)
                    for row in marks.values("pupil_id").annotate(**FIGURE_AGGREGATES).order_by()
                }
            else:
                self._figures[key] = pupil_figures(school=self.school, date_from=window.start, date_to=window.end)
        return self._figures[key]

    def threshold(self, weeks: int, ages: str | None) -> tuple[Window, dict[int, dict]]:
        """Sessions towards the penalty-notice threshold in the last `weeks` school weeks, per
        pupil (every pupil with one, so callers choose the count): marks already relied on by a
        notice are left out; `N` is counted and reported as unresolved."""
        window = self.weeks_window(weeks)
        compulsory = ages == COMPULSORY
        key = (weeks, compulsory)
        if key not in self._threshold:
            marks = (
                counted_marks(school=self.school, date_from=window.start, date_to=window.end)
                .filter(code__penalty_threshold=True)
                .exclude(Exists(PenaltyNoticeMark.objects.filter(mark_id=OuterRef("pk"))))
            )
            if compulsory:
                marks = marks.filter(compulsory_age_q(window.start, window.end))
            rows = (
                marks.values("pupil_id")
                .annotate(n=Count("id"), unresolved=Count("id", filter=Q(code__code="N")))
                .order_by()
            )
            self._threshold[key] = {r["pupil_id"]: {"n": r["n"], "unresolved": r["unresolved"]} for r in rows}
        return window, self._threshold[key]

    def closed_weekdays(self) -> list[dt.date]:
        """Weekdays inside this year's terms that are neither school days nor in a holiday
        break: INSET days and bank holidays (three small queries, once)."""
        if self._closed is None:
            start, end = self.year_start, self.on
            school_days = set(
                SchoolDay.objects.filter(school=self.school, date__range=(start, end)).values_list("date", flat=True)
            )
            terms = list(self.year.terms.values_list("start_date", "end_date"))
            breaks = list(
                Holiday.objects.filter(school=self.school, end_date__gte=start, start_date__lte=end).values_list(
                    "start_date", "end_date"
                )
            )
            days = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
            self._closed = [
                day
                for day in days
                if day.weekday() < 5
                and day not in school_days
                and any(a <= day <= b for a, b in terms)
                and not any(a <= day <= b for a, b in breaks)
            ]
        return self._closed

    def pupils(self) -> dict[int, tuple[int, dt.date]]:
        """The school's pupils as id -> (national curriculum year, date of birth): one query."""
        if self._pupils is None:
            rows = Pupil.objects.filter(school=self.school).values_list("pk", "year", "date_of_birth")
            self._pupils = {pk: (year, dob) for pk, year, dob in rows}
        return self._pupils

    def allowed(self, params: dict) -> set[int] | None:
        """The pupils a rule's pupil-level parameters admit (year groups; aged 5 to 15 at the
        start of the academic year), or None when it concerns every pupil."""
        low, high = params.get("years_from"), params.get("years_to")
        national = params.get("ages") == NATIONAL
        if low is None and high is None and not national:
            return None
        key = (low, high, national)
        if key not in self._allowed:
            earliest, latest = national_age_bounds(self.on)
            self._allowed[key] = {
                pk
                for pk, (year, dob) in self.pupils().items()
                if (low is None or year >= low)
                and (high is None or year <= high)
                and (not national or earliest <= dob <= latest)
            }
        return self._allowed[key]

    def bands(self, policy: Policy) -> list[Band]:
        if self._bands is None:
            self._bands = list(policy.bands.all())
        return self._bands


# --- triggers: each returns the findings for every pupil at once ---------------------------


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
    return (
        Mark.objects.filter(school=ctx.school, date__range=(start, end), code__code__in=codes)
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
    """Runs of consecutive school days on which every counted session was an absence (of one of
    `codes`, if given): (pupil_id, first day, last day, days, index of the last day), and the
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
}


@dataclass
class CheckResult:
    school_id: int
    on: dt.date
    found: int = 0
    created: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)


def evaluate(ctx: Context, rule: Rule) -> list[Finding]:
    params = with_defaults(rule.trigger, rule.parameters or {})
    findings = TRIGGERS[rule.trigger](ctx, rule, params)
    allowed = ctx.allowed(params)
    return findings if allowed is None else [f for f in findings if f.pupil_id in allowed]


def _evidence_marks(ctx, rule, findings) -> dict[int, list[dict]]:
    """The marks behind each finding: one query per rule for all its pupils."""
    if not findings:
        return {}
    start = min(f.window.start for f in findings)
    end = max(f.window.end for f in findings)
    windows = {f.pupil_id: f.window for f in findings}
    mark_filter = findings[0].mark_filter or Q()
    rows = (
        Mark.objects.filter(school=ctx.school, pupil_id__in=list(windows), date__range=(start, end))
        .filter(mark_filter)
        .values_list("id", "pupil_id", "date", "session", "code__code")
        .order_by("pupil_id", "-date", "-session")
    )
    out: dict[int, list[dict]] = defaultdict(list)
    for mark_id, pupil_id, day, session, symbol in rows:
        w = windows[pupil_id]
        if w.start <= day <= w.end and len(out[pupil_id]) < EVIDENCE_MARKS:
            out[pupil_id].append({"id": mark_id, "date": day.isoformat(), "session": session, "code": symbol})
    return out


def run_checks(*, school: School, on: dt.date, rules=None) -> CheckResult:
    """Run the school's active policy for `on` (today or any past date); returns what it found
    and how many alerts are new. Idempotent."""
    result = CheckResult(school.pk, on)
    ctx = Context(school, on)
    if not ctx.ready:
        return result
    policy = Policy.objects.filter(school=school, active=True).first()
    if rules is None:
        rules = [] if policy is None else list(policy.rules.filter(active=True).select_related("stage", "policy"))
    for rule in rules:
        findings = evaluate(ctx, rule)
        result.found += len(findings)
        if not findings:
            result.by_rule[rule.name] = 0
            continue
        existing = set(
            Alert.objects.filter(school=school, rule=rule, pupil_id__in=[f.pupil_id for f in findings]).values_list(
                "pupil_id", "period_key"
            )
        )
        fresh = [f for f in findings if (f.pupil_id, f.key) not in existing]
        marks = _evidence_marks(ctx, rule, fresh)
        proposals = rule.proposals
        alerts = [
            Alert(
                school=school,
                pupil_id=f.pupil_id,
                rule=rule,
                period_key=f.key,
                found_on=on,
                proposals=proposals,
                monitoring_period_id=f.extra.get("monitoring_period_id"),
                evidence={
                    "rule": rule.name,
                    "trigger": rule.trigger,
                    "parameters": {
                        k: v for k, v in with_defaults(rule.trigger, rule.parameters or {}).items() if v is not None
                    },
                    "window": {
                        "name": f.window.name,
                        "from": f.window.start.isoformat(),
                        "to": f.window.end.isoformat(),
                    },
                    "figures": f.figures,
                    "marks": marks.get(f.pupil_id, []),
                    **{k: v for k, v in f.extra.items() if v not in (None, "")},
                },
            )
            for f in fresh
        ]
        created = _create(alerts)
        result.created += created
        result.by_rule[rule.name] = created
    write_snapshot(ctx)
    return result


# --- the snapshot the dashboard reads -----------------------------------------------------

SNAPSHOT_THRESHOLD_WEEKS = PENALTY_THRESHOLD_WEEKS
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
    window, counts = ctx.threshold(SNAPSHOT_THRESHOLD_WEEKS, COMPULSORY)
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


def _create(alerts: list[Alert]) -> int:
    if not alerts:
        return 0
    try:
        with transaction.atomic():
            bulk_create_with_history(alerts, Alert, batch_size=500)
        return len(alerts)
    except IntegrityError:
        # another run created some of them meanwhile: fall back to one at a time
        created = 0
        for alert in alerts:
            try:
                with transaction.atomic():
                    alert.pk = None
                    alert.save()
                created += 1
            except IntegrityError:
                pass
        return created
