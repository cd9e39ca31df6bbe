"""Importing the school and its calendar (JSON): register times, terms, half-term breaks,
closures and INSET days, and registration groups.

An import with any bad item writes nothing and reports every problem. Re-running the same
file changes nothing. A calendar never quietly overrides the register: a file that would take
away school days that already have marks (an INSET day, a holiday, shorter terms) is refused with
the list of those marks; a planned closure, new or widened to more year groups, recodes the marks
of its sessions `#` through the register service, with the closure as the reason."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ..calendar import describe_non_school_day, rebuild_school_days
from ..models import (
    AcademicYear,
    Closure,
    Holiday,
    Mark,
    RegisterTime,
    RegistrationGroup,
    School,
    SchoolDay,
    Term,
)
from ..services import Actor, MarkValidationError, apply_closure
from ..years import parse_year
from .base import ImportProblem, ImportRejected, _message, parse_date, parse_time, save_if_changed

# --- school and calendar ---------------------------------------------------------------

SCHOOL_SESSIONS = {"AM": Closure.Session.AM, "PM": Closure.Session.PM, "BOTH": Closure.Session.BOTH}


def import_school(data: dict, *, actor: Actor | None = None) -> School:
    problems: list[ImportProblem] = []

    def problem(message):
        problems.append(ImportProblem(None, message))

    for key in ("urn", "name", "la_number", "establishment_number", "phase"):
        if not str(data.get(key) or "").strip():
            problem(f"'{key}' is missing")
    phase = data.get("phase")
    if phase and phase not in School.Phase.values:
        problem(f"phase '{phase}' is not one of {', '.join(School.Phase.values)}")

    def items(key: str) -> list[dict]:
        """The list under `key`, keeping only objects; anything else is reported."""
        value = data.get(key) or []
        if not isinstance(value, list):
            problem(f"'{key}' should be a list")
            return []
        for i, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                problem(f"{key}[{i}] should be an object, not {item!r}")
        return [item if isinstance(item, dict) else {} for item in value]

    times = []
    register_times = data.get("register_times") or {}
    if not isinstance(register_times, dict):
        problem("'register_times' should map 'primary'/'secondary' to their AM and PM times")
        register_times = {}
    for time_phase, sessions in register_times.items():
        if time_phase not in ("primary", "secondary"):
            problem(f"register_times: phase '{time_phase}' should be 'primary' or 'secondary'")
            continue
        for session, t in (sessions or {}).items():
            try:
                if str(session).upper() not in ("AM", "PM"):
                    raise ValueError(f"session '{session}' should be 'am' or 'pm'")
                if not isinstance(t, dict):
                    raise ValueError('give the times as {"opens": "08:50", "late_after": …, "closes": …}')
                rt = RegisterTime(
                    phase=time_phase,
                    session=session.upper(),
                    opens=parse_time(t.get("opens"), f"{time_phase} {session} opens"),
                    late_after=parse_time(t.get("late_after"), f"{time_phase} {session} late_after"),
                    closes=parse_time(t.get("closes"), f"{time_phase} {session} closes"),
                )
                rt.clean()
                times.append(rt)
            except (ValueError, ValidationError) as exc:
                problem(f"register_times {time_phase} {session}: {_message(exc)}")

    # RULES.md: a register stays open no more than 30 minutes, "the same length for every session"
    # (times already held for the school count too, unless this file replaces them).
    held = RegisterTime.objects.filter(school__urn=str(data.get("urn") or "").strip())
    replaced = {(rt.phase, rt.session) for rt in times}  # the file wins
    kept = [rt for rt in held if (rt.phase, rt.session) not in replaced]
    if unequal := RegisterTime.unequal_lengths([*kept, *times]):
        problem(f"register_times: {unequal}")

    terms = []
    for i, term in enumerate(items("terms"), start=1):
        try:
            start, end = parse_date(term.get("start"), "start"), parse_date(term.get("end"), "end")
            if end < start:
                raise ValueError(f"ends ({end}) before it starts ({start})")
            terms.append((term.get("name") or f"Term {i}", start, end))
        except ValueError as exc:
            problem(f"terms[{i}] {term.get('name', '')}: {exc}")
    terms.sort(key=lambda t: t[1])
    for (name_a, _, end_a), (name_b, start_b, _) in zip(terms, terms[1:], strict=False):
        if start_b <= end_a:
            problem(f"terms '{name_a}' and '{name_b}' overlap")

    breaks = []
    for i, item in enumerate(items("half_term_breaks"), start=1):
        try:
            start, end = parse_date(item.get("start"), "start"), parse_date(item.get("end"), "end")
            if end < start:
                raise ValueError(f"ends ({end}) before it starts ({start})")
            breaks.append((item.get("name") or "Half-term", start, end))
        except ValueError as exc:
            problem(f"half_term_breaks[{i}]: {exc}")

    closures = []
    for i, item in enumerate(items("closures"), start=1):
        try:
            day = parse_date(item.get("date"), "date")
            session = SCHOOL_SESSIONS.get(str(item.get("session", "both")).upper())
            if session is None:
                raise ValueError(f"session '{item.get('session')}' should be AM, PM or both")
            kind = item.get("kind", Closure.Kind.CLOSURE)
            if kind not in Closure.Kind.values:
                raise ValueError(f"kind '{kind}' should be 'closure' or 'inset'")
            years = item.get("year_groups") or []
            if not isinstance(years, list) or not all(isinstance(y, int) for y in years):
                raise ValueError("year_groups should be a list of year numbers, e.g. [5, 6]")
            if not str(item.get("reason") or "").strip():
                raise ValueError("a reason is required")
            closures.append((day, session, kind, str(item["reason"]).strip(), sorted(years)))
        except ValueError as exc:
            problem(f"closures[{i}]: {exc}")

    groups = []
    for i, item in enumerate(items("groups"), start=1):
        name = str(item.get("name") or "").strip()
        if not name:
            problem(f"groups[{i}]: a name is required")
            continue
        try:
            year = parse_year(item.get("year"))  # 3, "3", "R", "N2", "Year 6", "X"
        except ValueError as exc:
            problem(f"groups[{i}] {name}: {exc}")
            continue
        # A school with one register timetable puts every group on it (X included); an all-through
        # school's groups follow their year.
        phases = School(phase=phase).register_phases
        group_phase = item.get("phase") or (phases[0] if len(phases) == 1 else "secondary" if year >= 7 else "primary")
        if group_phase not in ("primary", "secondary"):
            problem(f"groups[{i}] {name}: phase should be 'primary' or 'secondary'")
            continue
        groups.append((name, year, group_phase, item.get("room", "")))

    if problems:
        raise ImportRejected(problems)

    try:
        return _write_school(data, phase, times, terms, breaks, closures, groups, actor)
    except ValidationError as exc:
        # A value the checks above let through but the model refuses (too long, badly formed):
        # the transaction has rolled back, so report it like any other problem.
        raise ImportRejected([ImportProblem(None, _message(exc))]) from None


def _write_school(data, phase, times, terms, breaks, closures, groups, actor) -> School:
    reason = "imported from the school's data file"
    with transaction.atomic():
        school = School.objects.filter(urn=str(data["urn"])).first() or School(urn=str(data["urn"]))
        save_if_changed(
            school,
            {
                "name": data["name"],
                "la_number": str(data["la_number"]),
                "establishment_number": str(data["establishment_number"]),
                "phase": phase,
                **{k: data[k] for k in ("address", "telephone", "email") if k in data},
            },
            reason=reason,
        )
        for rt in times:
            current = RegisterTime.objects.filter(school=school, phase=rt.phase, session=rt.session).first()
            save_if_changed(
                current or RegisterTime(school=school, phase=rt.phase, session=rt.session),
                {"opens": rt.opens, "late_after": rt.late_after, "closes": rt.closes},
                reason=reason,
            )
        for name, start, end in terms:
            year_name = AcademicYear.name_for(start)
            year, _ = AcademicYear.objects.get_or_create(
                school=school, name=year_name, defaults={"start_date": start, "end_date": end}
            )
            save_if_changed(
                year,
                {"start_date": min(year.start_date, start), "end_date": max(year.end_date, end)},
                reason=reason,
            )
            term = Term.objects.filter(school=school, start_date=start).first()
            save_if_changed(
                term or Term(school=school, start_date=start),
                {"name": name, "end_date": end, "academic_year": year},
                reason=reason,
            )
        for name, start, end in breaks:
            holiday = Holiday.objects.filter(school=school, start_date=start).first()
            save_if_changed(
                holiday or Holiday(school=school, start_date=start), {"name": name, "end_date": end}, reason=reason
            )
        new_closures = []
        for day, session, kind, why, years in closures:
            closure = Closure.objects.filter(school=school, date=day, session=session, kind=kind).first()
            if closure is None:
                closure = Closure(school=school, date=day, session=session, kind=kind)
            if save_if_changed(closure, {"reason": why, "year_groups": years}, reason=reason):
                new_closures.append(closure)  # new, or closing other year groups than before
        for name, year, group_phase, room in groups:
            group = RegistrationGroup.objects.filter(school=school, name=name).first()
            save_if_changed(
                group or RegistrationGroup(school=school, name=name),
                {"year": year, "phase": group_phase, "room": room or (group.room if group else "")},
                reason=reason,
            )
        days_before = set(SchoolDay.objects.filter(school=school).values_list("date", flat=True))
        rebuild_school_days(school)
        # A planned closure closes sessions: one on a weekend, a bank holiday or in a holiday
        # is a mistake in the file (raising here rolls the whole import back).
        school_days = set(SchoolDay.objects.filter(school=school).values_list("date", flat=True))
        off = [
            ImportProblem(
                None,
                f"closures: {day:%d %b %Y} ({why}) is not a school day — "
                f"{describe_non_school_day(school, day)} — so there is no session to close",
            )
            for day, _, kind, why, _ in closures
            if kind == Closure.Kind.CLOSURE and day not in school_days
        ]
        if off:
            raise ImportRejected(off)
        if stranded := _marks_on_lost_days(school, days_before - school_days):
            raise ImportRejected(stranded)
        actor = actor or Actor(None, "School data import", "Data import")
        for closure in new_closures:
            if closure.kind == Closure.Kind.CLOSURE:
                try:
                    apply_closure(closure=closure, actor=actor)
                except MarkValidationError as exc:
                    raise ImportRejected(
                        [ImportProblem(None, f"closure on {closure.date:%d %b %Y}: {p}") for p in exc.problems]
                    ) from None
    return school


MAX_LISTED = 200


def _marks_on_lost_days(school: School, lost: set) -> list[ImportProblem]:
    """The marks recorded on days this calendar stops counting as school days: refused, one
    problem per mark, since a mark on a day with no sessions would still count in every figure.
    Marks can't be deleted (the register keeps them six years), so the way forward is named."""
    if not lost:
        return []
    marks = list(
        Mark.objects.filter(school=school, date__in=lost)
        .select_related("pupil", "code")
        .order_by("date", "session", "pupil__legal_surname", "pupil__legal_forename")
    )
    if not marks:
        return []
    days = sorted({m.date for m in marks})
    problems = [
        ImportProblem(
            None,
            f"{len(marks)} mark{'s are' if len(marks) != 1 else ' is'} already recorded on "
            f"{len(days)} day{'s' if len(days) != 1 else ''} this calendar would no longer count as school days. "
            "Keep those days as school days, or — if the school really was closed — "
            "record them as planned closures (closures with kind 'closure'), which recodes their marks # "
            "with the closure as the reason.",
        )
    ]
    why = {day: describe_non_school_day(school, day) for day in days}
    for mark in marks[:MAX_LISTED]:
        problems.append(
            ImportProblem(
                None,
                f"{mark.pupil.name} ({mark.pupil.upn}), {mark.date:%a %d %b %Y} {mark.session}: "
                f"{mark.code.code} — {why[mark.date]}",
            )
        )
    if len(marks) > MAX_LISTED:
        problems.append(ImportProblem(None, f"… and {len(marks) - MAX_LISTED} more marks on those days"))
    return problems
