"""The lesson triggers of a policy (secondary timetables): lates to lessons and internal-truancy
alerts, per school week or per half-term, for every pupil at once.

Each count is one grouped query per school and window, shared by every rule that asks for it
(preset E's weekly ladder has four rules and reads the lesson lates once), so a nightly run
gains one aggregate per school, never one per pupil. Like every figure, a lesson mark or an
alert counts only while the pupil was on roll on its date.

A resolved internal-truancy alert still counts by default: the pupil was missing from the start
of the lesson with no known reason, and resolving it records where they were, not that they
were not missing (`include_resolved: false` counts only alerts still open at the check)."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, Min, Q

from lessons.models import LessonMark, TruancyAlert
from registers.models import SchoolDay
from registers.selectors import counted_marks, on_roll

from .context import Context, Finding, Window

EVIDENCE_ENTRIES = 60  # lessons listed on an alert (the figures always cover the whole window)
NO_MARKS = Q(pk__in=[])  # lesson triggers list lessons, not session marks, as their evidence


def week_window(ctx: Context) -> Window:
    """The current school week, up to the check date (one query, once per run)."""
    if "week" not in ctx.memo:
        week = ctx.today.week_number
        start = SchoolDay.objects.filter(school=ctx.school, week_number=week).aggregate(d=Min("date"))["d"]
        ctx.memo["week"] = Window(f"school week {week}", start, ctx.on, f"w{week}")
    return ctx.memo["week"]


def half_term_window(ctx: Context) -> Window:
    return Window("this half-term", ctx.half_term_start, ctx.on, ctx.ht_key)


def lesson_lates(window: Window, codes) -> Q:
    """The lesson marks a lateness rule counts, over the window."""
    return Q(date__range=(window.start, window.end), code__code__in=list(codes))


def late_counts(ctx: Context, window: Window, codes, with_registers: bool) -> dict[int, dict]:
    """Per pupil: lates to lessons and (with the registers) late AM/PM marks — one grouped
    query each, once per run for each window and set of codes. With the registers, a lesson
    whose period holds the statutory register is left out of the lesson count: that lateness
    is the register's own late mark."""
    key = ("lates", window.start, window.end, tuple(sorted(codes)), with_registers)
    if key not in ctx.memo:
        marks = LessonMark.objects.filter(school=ctx.school).filter(lesson_lates(window, codes), on_roll())
        if with_registers:
            marks = marks.filter(register__lesson__period__holds_session="")
        counts: dict[int, dict] = defaultdict(lambda: {"lesson_lates": 0})
        for row in marks.values("pupil_id").annotate(n=Count("id")).order_by():
            counts[row["pupil_id"]]["lesson_lates"] = row["n"]
        if with_registers:
            statutory = counted_marks(school=ctx.school, date_from=window.start, date_to=window.end)
            for row in statutory.filter(code__code__in=codes).values("pupil_id").annotate(n=Count("id")).order_by():
                counts[row["pupil_id"]]["register_lates"] = row["n"]
        ctx.memo[key] = dict(counts)
    return ctx.memo[key]


def _lates(ctx: Context, params: dict, window: Window) -> list[Finding]:
    codes, with_registers = params["codes"], bool(params["with_registers"])
    found = []
    for pupil_id, figures in late_counts(ctx, window, codes, with_registers).items():
        total = figures["lesson_lates"] + figures.get("register_lates", 0)
        if total >= int(params["count"]):
            mark_filter = Q(code__code__in=codes) if with_registers else NO_MARKS
            found.append(Finding(pupil_id, window.key, {**figures, "late_marks": total}, window, mark_filter))
    return found


def lesson_lates_in_week(ctx, rule, params):
    return _lates(ctx, params, week_window(ctx))


def lesson_lates_in_half_term(ctx, rule, params):
    return _lates(ctx, params, half_term_window(ctx))


def alert_counts(ctx: Context, window: Window) -> dict[int, Counter]:
    """Internal-truancy alerts per pupil over the window, open and resolved (one query)."""
    key = ("truancy", window.start, window.end)
    if key not in ctx.memo:
        rows = (
            TruancyAlert.objects.filter(school=ctx.school, date__range=(window.start, window.end))
            .filter(on_roll())
            .values("pupil_id", "state")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts: dict[int, Counter] = defaultdict(Counter)
        for row in rows:
            counts[row["pupil_id"]][row["state"]] = row["n"]
        ctx.memo[key] = dict(counts)
    return ctx.memo[key]


def _truancy(ctx: Context, params: dict, window: Window) -> list[Finding]:
    found = []
    for pupil_id, states in alert_counts(ctx, window).items():
        opened = states[TruancyAlert.State.OPEN]
        resolved = states[TruancyAlert.State.RESOLVED]
        counted = opened + resolved if params["include_resolved"] else opened
        if counted >= int(params["count"]):
            figures = {"truancy_alerts": counted, "open": opened, "resolved": resolved}
            found.append(Finding(pupil_id, window.key, figures, window, NO_MARKS))
    return found


def truancy_alerts_in_week(ctx, rule, params):
    return _truancy(ctx, params, week_window(ctx))


def truancy_alerts_in_half_term(ctx, rule, params):
    return _truancy(ctx, params, half_term_window(ctx))


def _lesson_name(lesson) -> str:
    return f"{lesson.period.name} {lesson.group.subject} ({lesson.group.name})"


def lesson_evidence(ctx: Context, trigger: str, params: dict, findings: list[Finding]) -> dict[int, list[dict]]:
    """The lessons behind each new finding of a lesson trigger (one query per rule with new
    findings; none for the other triggers): the late lesson marks, or the truancy alerts."""
    if not findings or trigger not in LESSON_TRIGGERS:
        return {}
    window = findings[0].window
    pupils = [f.pupil_id for f in findings]
    out: dict[int, list[dict]] = defaultdict(list)
    if trigger.startswith("truancy"):
        alerts = TruancyAlert.objects.filter(school=ctx.school, pupil_id__in=pupils).filter(
            date__range=(window.start, window.end)
        )
        if not params["include_resolved"]:
            alerts = alerts.filter(state=TruancyAlert.State.OPEN)
        for alert in alerts.select_related("register__lesson__period", "register__lesson__group").order_by(
            "pupil_id", "-date", "-raised_at"
        ):
            if len(out[alert.pupil_id]) < EVIDENCE_ENTRIES:
                out[alert.pupil_id].append(
                    {
                        "date": alert.date.isoformat(),
                        "lesson": _lesson_name(alert.register.lesson),
                        "last_seen": alert.last_seen,
                        "state": alert.state,
                    }
                )
        return out
    marks = LessonMark.objects.filter(school=ctx.school, pupil_id__in=pupils).filter(
        lesson_lates(window, params["codes"])
    )
    if params["with_registers"]:
        marks = marks.filter(register__lesson__period__holds_session="")
    rows = marks.values_list(
        "id", "pupil_id", "date", "register__lesson__period__name", "register__lesson__group__subject", "code__code"
    ).order_by("pupil_id", "-date", "-register__lesson__period__starts")
    for mark_id, pupil_id, day, period, subject, code in rows:
        if len(out[pupil_id]) < EVIDENCE_ENTRIES:
            out[pupil_id].append(
                {"id": mark_id, "date": day.isoformat(), "lesson": f"{period} {subject}", "code": code}
            )
    return out


LESSON_TRIGGERS = {
    "lesson_lates_in_week": lesson_lates_in_week,
    "lesson_lates_in_half_term": lesson_lates_in_half_term,
    "truancy_alerts_in_week": truancy_alerts_in_week,
    "truancy_alerts_in_half_term": truancy_alerts_in_half_term,
}
