"""Records that should, and should not, meet a rule — built from the rule's own parameters, so
every rule of every preset is tested on the real 2025/26 calendar."""

from __future__ import annotations

import datetime as dt
import math

from interventions.evaluation.context import Context
from interventions.models import Band, Case, MonitoringPeriod, Rule
from interventions.policy.triggers import with_defaults
from registers.models import SchoolDay
from registers.services import MarkEntry, record_marks
from tests.factories import SYSTEM, PupilFactory

T = Rule.Trigger


def school_days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def sessions(days):
    return [(d, s) for d in days for s in ("AM", "PM")]


def present(session):
    return "/" if session == "AM" else "\\"


def percent_record(n_sessions_days, k):
    """n days of sessions with the first k sessions absent (illness), the rest present."""
    out = {}
    for i, (d, s) in enumerate(sessions(n_sessions_days)):
        out[(d, s)] = "I" if i < k else present(s)
    return out


def build(school, rule: Rule, on: dt.date, hit: bool) -> tuple[object, dict]:
    """A pupil and their marks {(date, session): code or (code, minutes)}."""
    params = with_defaults(rule.trigger, rule.parameters)
    ctx = Context(school, on)
    # a pupil the rule concerns: in its year groups, of an age for every age filter
    year = params.get("years_from") if params.get("years_from") is not None else params.get("years_to") or 3
    pupil = PupilFactory(
        school=school,
        legal_forename="Hit" if hit else "Miss",
        legal_surname=rule.name[:60],
        year=year,
        date_of_birth=dt.date(2025 - 5 - year, 3, 14),
    )
    marks: dict = {}
    trig = rule.trigger
    if trig in (T.ATTENDANCE_BELOW, T.BAND, T.PERSISTENT, T.SEVERE):
        window = ctx.window(params)
        days = school_days(school, window.start, window.end)[-60:]
        n = 2 * len(days)
        if trig == T.ATTENDANCE_BELOW:
            p = params["percent"]
            k = next(
                k for k in range(n + 1) if (100 * (n - k) / n <= p if params["inclusive"] else 100 * (n - k) / n < p)
            )
            k = k if hit else k - 1
        elif trig == T.BAND:
            bands = sorted(Band.objects.filter(policy=rule.policy), key=lambda b: b.attendance_from)
            names = [b.name for b in bands]
            target = bands[names.index(params["band"])]
            if not hit:
                target = bands[-1] if target is not bands[-1] else bands[0]
            upper = next((float(b.attendance_from) for b in bands if b.attendance_from > target.attendance_from), 101)
            k = next(k for k in range(n + 1) if float(target.attendance_from) <= 100 * (n - k) / n < upper)
        else:
            p = params["percent"]
            k = math.ceil(p * n / 100)
            k = k if hit else k - 1
        marks = percent_record(days, k)
    elif trig == T.SESSIONS_OVER:
        window = ctx.window(params)
        need = params["sessions"] + (1 if hit else 0)
        slots = sessions(school_days(school, window.start, window.end))[-need:]
        marks = dict.fromkeys(slots, "O")
    elif trig == T.PENALTY_THRESHOLD:
        need = params["sessions"] - (0 if hit else 1)
        window = ctx.weeks_window(params["weeks"])
        slots = sessions(school_days(school, window.start, window.end))[-need:]
        marks = dict.fromkeys(slots, "O")
    elif trig in (T.LATES_HALF_TERM, T.LATES_WEEK) or (
        trig in (T.LESSON_LATES_HALF_TERM, T.LESSON_LATES_WEEK) and params["with_registers"]
    ):
        # lesson lateness rules that also count the registers are met by the registers' late
        # marks alone (tests/lessons/test_triggers.py counts the lessons themselves)
        start = (
            ctx.half_term_start
            if trig in (T.LATES_HALF_TERM, T.LESSON_LATES_HALF_TERM)
            else (
                SchoolDay.objects.filter(school=school, week_number=ctx.today.week_number).order_by("date").first().date
            )
        )
        need = params["count"] - (0 if hit else 1)
        slots = sessions(school_days(school, start, on))[-need:] if need else []
        marks = dict.fromkeys(slots, ("L", 5))
    elif trig == T.CONSECUTIVE:
        length = params["days"] + (1 if params["comparison"] == "more_than" else 0) - (0 if hit else 1)
        code = (params["codes"] or ["O"])[0]
        days = school_days(school, ctx.year_start, on)
        marks = {(d, s): present(s) for d, s in sessions(days[-length - 1 : -length])}
        marks.update(dict.fromkeys(sessions(days[-length:]), code))
    elif trig == T.ILLNESS_PERIODS:
        count = params["count"] - (0 if hit else 1)
        days = school_days(school, ctx.half_term_start, on)[-2 * count :]
        for i, d in enumerate(days):
            for s in ("AM", "PM"):
                marks[(d, s)] = "I" if i % 2 == 0 else present(s)
    elif trig == T.ILLNESS_DAYS:
        window = ctx.window(params)
        need = params["days"] - (0 if hit else 1)
        marks = dict.fromkeys(sessions(school_days(school, window.start, window.end)[-need:]), "I")
    elif trig == T.MONITORING:
        stage = rule.policy.stages.filter(order=params["at_stage"]).first() if params.get("at_stage") else None
        case = Case.objects.create(school=school, pupil=pupil, opened_on=on - dt.timedelta(weeks=8), stage=stage)
        start = on - dt.timedelta(weeks=params["weeks"]) + dt.timedelta(days=3)
        MonitoringPeriod.objects.create(
            case=case, start=start, weeks=params["weeks"], review_on=on, baseline={"attendance_percent": 90.0}
        )
        improved = (params["outcome"] == "improved") == hit
        days = school_days(school, start, on)
        marks = {(d, s): present(s) if improved or i % 2 else "I" for i, (d, s) in enumerate(sessions(days))}
    else:  # pragma: no cover
        raise AssertionError(f"no scenario for {trig}")
    return pupil, marks


def write_all(school, records: list[tuple[object, dict]]):
    entries = []
    for pupil, marks in records:
        for (day, session), value in marks.items():
            code, minutes = (value, None) if isinstance(value, str) else value
            entries.append(MarkEntry(pupil_id=pupil.pk, date=day, session=session, code=code, minutes_late=minutes))
    if entries:
        record_marks(school=school, entries=entries, actor=SYSTEM, source="import")
