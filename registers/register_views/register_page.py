"""The register page: a teacher (or the office, for a teacher) takes a group's register for one
session, in one plain form that works without JavaScript.

Thin: it parses the form, asks `registers.taking.take_register` to apply the legal rule, and
renders. Reading and submitting the page are a constant number of SQL queries whatever the size
of the group (the roll with this session's marks and the pupils' recent marks are one query each)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from .. import timing
from ..calendar import describe_non_school_day
from ..codes import codes_valid_on
from ..models import AM, PM, Mark, Pupil, Register, RegistrationGroup, SchoolDay
from ..permissions import staff_of
from ..register_forms import parse_register_post
from ..register_selectors import recent_sessions, register_for_page, roll_with_marks, times_of
from ..services import MINUTES_IN_A_DAY, Actor, open_registers
from ..signals import suggestions_for
from ..taking import MarkWish, TakenBy, Taker, Why, refusal_to_write, take_register
from . import offline
from .register_rows import row_html, strip_html

PLANNED_SOURCES = {
    Mark.Source.LEAVE_DECISION: "Approved leave",
    Mark.Source.PARENT_REPORT: "Parent/carer reported",
    Mark.Source.CLOSURE: "Planned closure",
    Mark.Source.OFFICE: "Entered by the office",
    Mark.Source.IMPORT: "Imported",
    Mark.Source.API: "From another system",
}


# --- the rows of the page -------------------------------------------------------------------


def mark_css(code: str | None, category: str | None) -> str:
    if not code:
        return "none"
    if code == "L":
        return "late"
    return category or "none"


@dataclass
class Row:
    pupil: Pupil
    code: str = ""
    minutes: int | None = None
    version: int = 0
    was: str = "|"
    chosen: str = ""  # the radio: present / L / N (or "" when another code applies)
    other: str = ""
    editable: bool = True
    flags: list[str] = field(default_factory=list)
    strip: list[dict] = field(default_factory=list)
    strip_html: str = ""
    errors: list[str] = field(default_factory=list)
    conflict: str = ""
    css: str = "none"
    arrived: str = ""  # HH:MM a late pupil arrived, shown in the row's "Arrived at" box
    reason: str = ""  # the office's reason for changing this row's mark
    html: str = ""  # the row's markup (register_rows.row_html), once its errors are known


def build_rows(register, roll, *, times, now, teacher: bool, submitted=None, strip=None, suggested=None) -> list[Row]:
    """The page's rows. `suggested`: {pupil id: Suggestion} pre-filled for editable unmarked rows
    (`registers.signals.register_suggestions`), shown as chosen but written only when submitted."""
    present = timing.present_symbol(register.session)
    sessions, found = strip if strip is not None else ([], {})
    may_change = (not teacher) or (times is not None and timing.teacher_may_change_marks(times, register.date, now))
    may_add = (not teacher) or (times is not None and timing.teacher_may_add_marks(times, register.date, now))
    titles = [((day, session), f"{day:%a %d %b} {session}") for day, session in sessions]  # once, not per row
    rows = []
    for pupil in roll:
        row = Row(pupil=pupil)
        if pupil.mark_id:
            row.code = pupil.mark_code
            row.minutes = pupil.mark_minutes
            row.version = pupil.mark_version
            row.was = f"{pupil.mark_code}|{'' if pupil.mark_minutes is None else pupil.mark_minutes}"
            if pupil.mark_source in PLANNED_SOURCES and pupil.mark_source != Mark.Source.OFFICE:
                row.flags.append(f"{PLANNED_SOURCES[pupil.mark_source]}: {pupil.mark_code}")
            elif pupil.mark_source == Mark.Source.OFFICE:
                row.flags.append(f"Entered by the office ({pupil.mark_by}): {pupil.mark_code}")
        row.editable = may_change if pupil.mark_id else may_add
        if pupil.medical_note:
            row.flags.insert(0, f"Medical: {pupil.medical_note}")
        code = row.code
        suggestion = (suggested or {}).get(pupil.pk) if row.editable and not pupil.mark_id else None
        if suggestion is not None and (submitted is None or pupil.pk not in submitted.rows):
            code = suggestion.code
            row.arrived = f"{suggestion.arrived:%H:%M}" if suggestion.arrived else ""
            row.flags.append(f"Suggested from {suggestion.source}: {suggestion.code} (not saved yet)")
        if submitted is not None and pupil.pk in submitted.rows and row.editable:
            sub = submitted.rows[pupil.pk]
            if sub.code:
                code = sub.code
                row.minutes = sub.minutes
            if sub.version is not None:
                row.version = sub.version
            if sub.was is not None:
                row.was = f"{sub.was[0]}|{'' if sub.was[1] is None else sub.was[1]}"
            row.arrived = sub.arrived_raw
            row.reason = sub.reason
            row.errors.extend(f"{pupil.name}: {e}" for e in sub.errors)
        if code in (present, "/", "\\"):
            row.chosen = present
        elif code in ("L", "N"):
            row.chosen = code
        else:
            row.other = code
        row.code = code
        shown = row.minutes is not None and 0 <= row.minutes <= MINUTES_IN_A_DAY  # not 2**70 typed by hand
        if not row.arrived and code in ("L", "U") and shown and times is not None:
            row.arrived = f"{timezone.localtime(timing.arrival_from_minutes(times, register.date, row.minutes)):%H:%M}"
        row.css = mark_css(code, pupil.mark_category if code == pupil.mark_code else None)
        marks = found.get(pupil.pk, {})
        row.strip = []
        for key, title in titles:
            symbol, category = marks.get(key, ("", None))
            row.strip.append({"code": symbol or "·", "css": mark_css(symbol, category), "title": title})
        row.strip_html = strip_html(row.strip)
        rows.append(row)
    return rows


def finish_rows(rows: list[Row], problems, *, present: str, office: bool) -> list[str]:
    """Give each row its problems (`(pupil id, message)`; a "conflict:" message is the row's
    conflict) and its markup; returns the problems about no one row. Shared with lesson registers."""
    by_pupil = defaultdict(list)
    for pupil_id, message in problems:
        by_pupil[pupil_id].append(message)
    for row in rows:
        for message in by_pupil.get(row.pupil.pk, []):
            if message.startswith("conflict:"):
                row.conflict = message.removeprefix("conflict:")
            else:
                row.errors.append(message)
        row.html = row_html(row, present=present, office=office)
    return by_pupil.get(None, [])


def _epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _load_register(request, pk):
    staff = staff_of(request.user)
    register = register_for_page(pk, staff)
    if register is None:
        raise Http404("No such register")
    if staff is not None and staff.school_id == register.school_id:
        staff.school = register.school  # already read with the register: the page header needs no query
    teacher = bool(getattr(register, "is_teacher", False))
    if not teacher and not request.user.has_perm("registers.take_register", register):
        raise PermissionDenied("You can take only the registers of your own groups.")
    return register, staff, teacher


# --- the register page ---------------------------------------------------------------------


@login_required
def register_page(request, pk):
    register, staff, teacher = _load_register(request, pk)
    now = timing.now()
    times = times_of(register)
    if request.method == "POST":
        return _submit(request, register, staff, teacher, times, now)
    return _render_register(request, register, times, now, teacher=teacher)


def _render_register(request, register, times, now, *, teacher, submitted=None, problems=(), status=200, roll=None):
    roll = roll_with_marks(register) if roll is None else roll
    strip = recent_sessions(register, [p.pk for p in roll])
    suggested = suggestions_for(register, [p.pk for p in roll if not p.mark_id])
    rows = build_rows(
        register, roll, times=times, now=now, teacher=teacher, submitted=submitted, strip=strip, suggested=suggested
    )
    state = timing.state(times, register.date, now, taken=register.state != Register.State.NOT_TAKEN) if times else None
    present = timing.present_symbol(register.session)
    general = finish_rows(rows, problems, present=present, office=not teacher)
    closes = timing.closes_at(times, register.date) if times else None
    context = {
        "register": register,
        "rows": rows,
        "times": times,
        "state": state,
        "teacher": teacher,
        "office": not teacher,
        "present": present,
        "strip_sessions": strip[0],
        "unmarked": sum(1 for r in rows if not r.code),
        "editable_any": any(r.editable for r in rows),
        "may_change": any(r.editable and r.version for r in rows),
        "closed": bool(times and timing.is_closed(times, register.date, now)),
        "opens_at": timing.opens_at(times, register.date) if times else None,
        "closes_at": closes,
        "now_ms": _epoch_ms(now),
        "late_ms": _epoch_ms(timing.late_at(times, register.date)) if times else 0,
        "closes_ms": _epoch_ms(closes) if closes else 0,
        "codes": codes_valid_on(register.date),
        "general_errors": general,
        "non_school_day": None if register.is_school_day else describe_non_school_day(register.school, register.date),
        "reason": submitted.reason if submitted else "",
        "taken_by_name": register.taken_by.get_full_name() if register.taken_by_id else "",
        "outbox": reverse("registers:service_worker"),  # _submit answers a queued submission (offline.py)
    }
    return render(request, "registers/register_page.html", context, status=status)


# What each refusal of `take_register` is on the page: forbidden to this taker now (403),
# someone else's change meanwhile (409), or a mistake in what was sent (400).
STATUS = {Why.NOT_OPEN: 403, Why.CLOSED: 403, Why.CONFLICT: 409}


def _submit(request, register, staff, teacher, times, now):
    # A submission kept offline and sent by the page's script asks for JSON: the same result, told as data.
    as_json = offline.wants_json(request)
    if as_json and (someone_else := offline.queued_by_someone_else(request)):
        return someone_else
    taken_by = TakenBy(Taker.TEACHER if teacher else Taker.OFFICE, Actor.for_staff(request.user, staff))
    refusal = refusal_to_write(register=register, times=times, taken_by=taken_by, now=now)
    if refusal is not None:
        if as_json:
            return offline.refused(register, [refusal], status=STATUS.get(refusal.kind, 400))
        return _refuse(request, register, times, now, teacher, [refusal])
    roll = roll_with_marks(register)
    submitted = parse_register_post(request.POST, session=register.session)
    if any(submitted.rows[p.pk].errors for p in roll if p.pk in submitted.rows):
        if as_json:
            return offline.invalid(submitted)
        return _render_register(
            request, register, times, now, teacher=teacher, submitted=submitted, status=400, roll=roll
        )
    wishes = [
        MarkWish(
            pupil_id=row.pupil_id,
            code=row.code,
            minutes_late=row.minutes,
            arrived=row.arrived,
            expected_version=row.version,
            shown=row.was,
            reason=row.reason,
        )
        for row in submitted.rows.values()
    ]
    result = take_register(
        register=register,
        times=times,
        roll=roll,
        wishes=wishes,
        taken_by=taken_by,
        now=now,
        reason=submitted.reason,
        all_present=submitted.action == "all_present",
    )
    if result.refusals:
        if as_json:
            status = max(STATUS.get(r.kind, 400) for r in result.refusals)
            return offline.refused(register, result.refusals, status=status)
        return _refuse(request, register, times, now, teacher, result.refusals, submitted=submitted, roll=roll)
    _report(request, register, roll, result, closes=times.closes)
    if as_json:
        return offline.saved(register, result)
    return redirect(reverse("registers:register", args=[register.pk]), permanent=False)


def _refuse(request, register, times, now, teacher, refusals, *, submitted=None, roll=None):
    """The page again, saying what was refused and where (nothing was saved)."""
    if any(r.kind == Why.NOT_ON_ROLL for r in refusals):
        # The page is out of date: a pupil has left the group's roll (or joined another's).
        # (an id no row can hold is looked up by nobody: SQLite would overflow on it)
        ids = [r.pupil_id for r in refusals if r.kind == Why.NOT_ON_ROLL and 0 < r.pupil_id < 2**63]
        names = ", ".join(p.name for p in Pupil.objects.filter(pk__in=ids, school_id=register.school_id)) or "a pupil"
        message = (
            f"Nothing was saved: {names} is not on the {register.group.name} roll on {register.date:%A %d %B}. "
            "Reload the page to see the current roll."
        )
        return _render_register(
            request,
            register,
            times,
            now,
            teacher=teacher,
            submitted=submitted,
            problems=[(None, message)],
            status=400,
            roll=roll,
        )
    conflicted = {r.pupil_id for r in refusals if r.conflict}
    status = max((STATUS.get(r.kind, 400) for r in refusals), default=400)
    if conflicted:
        status = 409
        roll = None  # read again: the conflicting rows show what is there now
        for pupil_id in conflicted:
            submitted.rows.pop(pupil_id, None)  # show their mark and its new version
        problems = [
            (
                None,
                "Nothing was saved: someone else changed this register while you had it open. "
                "Their marks are shown below for the pupils concerned; check them and save again.",
            )
        ]
    elif any(r.pupil_id is None for r in refusals):
        problems = []
    elif any(r.kind == Why.CLOSED for r in refusals):
        problems = [(None, "Nothing was saved. Please check the pupils marked below.")]
    else:
        problems = [(None, "Nothing was saved.")]
    for refusal in refusals:
        if refusal.conflict:
            problems.append((refusal.pupil_id, f"conflict:{refusal.message} Check it and save again."))
        else:
            problems.append((refusal.pupil_id, refusal.message))
    return _render_register(
        request, register, times, now, teacher=teacher, submitted=submitted, problems=problems, status=status, roll=roll
    )


def _report(request, register, roll, result, *, closes):
    """Say what was saved, who became U, and whether the register is complete."""
    counts = defaultdict(int)
    for entry in result.entries:
        counts[entry.code] += 1
    if not result.entries:
        messages.info(request, "No changes to save.")
    else:
        parts = [f"{n} × {code}" for code, n in sorted(counts.items())]
        text = f"Saved {len(result.created)} new mark(s)"
        if result.amended:
            text += f" and {len(result.amended)} correction(s)"
        messages.success(request, f"{text}: {', '.join(parts)}.")
    names = {pupil.pk: pupil.name for pupil in roll}
    if result.became_u:
        late = ", ".join(f"{names[pupil_id]} ({minutes} min)" for pupil_id, minutes in result.became_u)
        messages.warning(request, f"Recorded as U (arrived after the register closed at {closes:%H:%M}): {late}.")
    if result.unmarked:
        missing = [names[pupil_id] for pupil_id in result.unmarked]
        listed = ", ".join(missing[:8]) + (" …" if len(missing) > 8 else "")
        messages.warning(
            request, f"The register is not complete: {len(missing)} pupil(s) still have no mark ({listed})."
        )
    elif register.state != Register.State.NOT_TAKEN:
        messages.success(request, f"The {register.group.name} {register.session} register is taken.")


@login_required
def register_for(request, group_id, day, session):
    """Open (creating if need be) the register of a group for a date and session."""
    session = session.upper()
    if session not in (AM, PM):
        raise Http404("No such session")
    try:
        day = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404("No such date")
    group = get_object_or_404(RegistrationGroup.objects.select_related("school"), pk=group_id)
    probe = Register(school=group.school, group=group, date=day, session=session)
    if not request.user.has_perm("registers.take_register", probe):
        raise PermissionDenied("You can take only the registers of your own groups.")
    if not SchoolDay.objects.filter(school=group.school, date=day).exists():
        return render(
            request,
            "registers/register_none.html",
            {"group": group, "day": day, "session": session, "why": describe_non_school_day(group.school, day)},
            status=404,
        )
    register = open_registers(school=group.school, wanted=[(group, day, session)], user=request.user)[
        (group.pk, day, session)
    ]
    return redirect("registers:register", pk=register.pk)
