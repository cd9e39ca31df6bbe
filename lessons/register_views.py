"""The lesson register page: a teacher (or whoever covers the lesson, or the office) takes one
lesson's register, on the statutory register's page and script (templates/registers/
register_page.html, static/js/register.js), in one plain form that works without JavaScript —
and offline, as the statutory page does: a submission the browser kept while offline is answered
in JSON by the same calls (`registers.register_views.offline`, reading the lesson's roll).

Thin, like the statutory page: it parses the form, asks `lessons.taking.take_lesson_register`
(the one register rule) to apply the lesson rules, and renders. Reading and submitting the page
are a constant number of SQL queries whatever the size of the class."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from registers import timing
from registers.calendar import describe_non_school_day
from registers.codes import codes_valid_on
from registers.models import SchoolDay
from registers.permissions import staff_of
from registers.register_forms import parse_register_post
from registers.register_selectors import recent_sessions
from registers.register_views import offline
from registers.register_views.register_page import build_rows, finish_rows
from registers.taking import MarkWish, Why, refusal_to_write

from .models import Lesson, LessonRegister, TimetableSettings
from .services import open_lesson_register
from .taking import (
    DEFAULT_LATE_AFTER_MINUTES,
    LessonBook,
    lesson_roll,
    lesson_taker,
    lesson_times,
    take_lesson_register,
)
from .timetable import lessons_on
from .truancy import raised_message

# What each refusal is on the page: forbidden to this taker now (403), someone else's change
# meanwhile (409), or a mistake in what was sent (400) — as on the statutory page.
STATUS = {Why.NOT_OPEN: 403, Why.CLOSED: 403, Why.CONFLICT: 409}


def _registers():
    """Lesson registers with their lesson, period, group, room, teacher, school, whether the day
    is a school day and the school's late minutes — one query."""
    return LessonRegister.objects.select_related(
        "school",
        "lesson__period",
        "lesson__group",
        "lesson__room",
        "lesson__teacher__user",
        "cover_teacher__user",
        "taken_by",
    ).annotate(
        is_school_day=Exists(SchoolDay.objects.filter(school=OuterRef("school_id"), date=OuterRef("date"))),
        late_after_minutes=Subquery(
            TimetableSettings.objects.filter(school=OuterRef("school_id")).values("late_after_minutes")[:1]
        ),
    )


def _load(request, pk):
    staff = staff_of(request.user)
    register = get_object_or_404(_registers(), pk=pk)
    if staff is not None and staff.school_id == register.school_id:
        staff.school = register.school  # already read with the register: the page header needs no query
    taker = lesson_taker(request.user, staff, register)
    if taker is None:
        raise PermissionDenied("You can take only the registers of lessons you teach or cover.")
    minutes = register.late_after_minutes
    times = lesson_times(register, DEFAULT_LATE_AFTER_MINUTES if minutes is None else minutes)
    return register, taker, times


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@login_required
def lesson_register(request, pk):
    register, taker, times = _load(request, pk)
    now = timing.now()
    if request.method == "POST":
        return _submit(request, register, taker, times, now)
    return _render(request, register, taker, times, now)


def _render(request, register, taker, times, now, *, submitted=None, problems=(), status=200, roll=None):
    teacher = taker.taken_by.teacher
    roll = lesson_roll(register) if roll is None else roll
    strip = recent_sessions(register, [p.pk for p in roll])
    rows = build_rows(register, roll, times=times, now=now, teacher=teacher, submitted=submitted, strip=strip)
    general = finish_rows(rows, problems, present=timing.present_symbol(register.session), office=not teacher)
    day, lesson = register.date, register.lesson
    closes = timing.closes_at(times, day)
    context = {
        "register": register,
        "lesson": lesson,
        "cover": taker.cover,
        "rows": rows,
        "times": times,
        "state": timing.state(times, day, now, taken=register.state != LessonRegister.State.NOT_TAKEN),
        "teacher": teacher,
        "office": not teacher,
        "present": timing.present_symbol(register.session),
        "strip_sessions": strip[0],
        "unmarked": sum(1 for r in rows if not r.code),
        "editable_any": any(r.editable for r in rows),
        "may_change": any(r.editable and r.version for r in rows),
        "closed": timing.is_closed(times, day, now),
        "opens_at": timing.opens_at(times, day),
        "closes_at": closes,
        "now_ms": _ms(now),
        "late_ms": _ms(timing.late_at(times, day)),
        "closes_ms": _ms(closes),
        "codes": codes_valid_on(day),
        "general_errors": general,
        "non_school_day": None if register.is_school_day else describe_non_school_day(register.school, day),
        "reason": submitted.reason if submitted else "",
        "taken_by_name": register.taken_by.get_full_name() if register.taken_by_id else "",
        "back_url": reverse("lessons:today" if teacher else "lessons:office"),
        "outbox": reverse("lessons:service_worker"),  # _submit answers a queued submission (offline.py)
    }
    return render(request, "registers/register_page.html", context, status=status)


def _submit(request, register, taker, times, now):
    # A submission kept offline and sent by the page's script asks for JSON: the same result, told as data.
    as_json = offline.wants_json(request)
    if as_json and (someone_else := offline.queued_by_someone_else(request)):
        return someone_else
    book = LessonBook(taker)
    refusal = refusal_to_write(register=register, times=times, taken_by=taker.taken_by, now=now, book=book)
    if refusal is not None:
        if as_json:
            return offline.refused(register, [refusal], status=STATUS.get(refusal.kind, 400), roll=lesson_roll)
        return _refuse(request, register, taker, times, now, [refusal])
    roll = lesson_roll(register)
    submitted = parse_register_post(request.POST, session=register.session)
    if any(submitted.rows[p.pk].errors for p in roll if p.pk in submitted.rows):
        if as_json:
            return offline.invalid(submitted)
        return _render(request, register, taker, times, now, submitted=submitted, status=400, roll=roll)
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
    result = take_lesson_register(
        register=register,
        taker=taker,
        roll=roll,
        wishes=wishes,
        now=now,
        times=times,
        reason=submitted.reason,
        all_present=submitted.action == "all_present",
    )
    if result.refusals:
        if as_json:
            status = max(STATUS.get(r.kind, 400) for r in result.refusals)
            return offline.refused(register, result.refusals, status=status, roll=lesson_roll)
        return _refuse(request, register, taker, times, now, result.refusals, submitted=submitted, roll=roll)
    _report(request, register, roll, result)
    if as_json:
        return offline.saved(register, result, roll=lesson_roll)
    return redirect(reverse("lessons:register", args=[register.pk]), permanent=False)


def _refuse(request, register, taker, times, now, refusals, *, submitted=None, roll=None):
    """The page again, saying what was refused and where (nothing was saved)."""
    conflicted = {r.pupil_id for r in refusals if r.conflict}
    status = max((STATUS.get(r.kind, 400) for r in refusals), default=400)
    problems = []
    if any(r.kind == Why.NOT_ON_ROLL for r in refusals):
        problems.append((None, "Nothing was saved: a pupil is no longer in this class. Reload the page."))
        refusals = [r for r in refusals if r.kind != Why.NOT_ON_ROLL]
        status = 400
    elif conflicted:
        status, roll = 409, None  # read again: the conflicting rows show what is there now
        for pupil_id in conflicted:
            submitted.rows.pop(pupil_id, None)
        problems.append(
            (
                None,
                "Nothing was saved: someone else changed this register while you had it open. "
                "Their marks are shown below for the pupils concerned; check them and save again.",
            )
        )
    elif all(r.pupil_id is not None for r in refusals):
        problems.append((None, "Nothing was saved. Please check the pupils marked below."))
    for refusal in refusals:
        suffix = " Check it and save again." if refusal.conflict else ""
        problems.append((refusal.pupil_id, ("conflict:" if refusal.conflict else "") + refusal.message + suffix))
    return _render(
        request, register, taker, times, now, submitted=submitted, problems=problems, status=status, roll=roll
    )


def _report(request, register, roll, result):
    """Say what was saved and whether the register is complete."""
    counts = defaultdict(int)
    for entry in result.entries:
        counts[entry.code] += 1
    if not result.entries:
        messages.info(request, "No changes to save.")
    else:
        text = f"Saved {len(result.created)} new mark(s)"
        if result.amended:
            text += f" and {len(result.amended)} correction(s)"
        messages.success(request, f"{text}: {', '.join(f'{n} × {c}' for c, n in sorted(counts.items()))}.")
    names = {pupil.pk: pupil.name for pupil in roll}
    if result.became_u:
        late = ", ".join(f"{names[pupil_id]} ({minutes} min)" for pupil_id, minutes in result.became_u)
        messages.warning(request, f"Recorded as U (arrived after the lesson ended): {late}.")
    if result.unmarked:
        missing = [names[pupil_id] for pupil_id in result.unmarked]
        listed = ", ".join(missing[:8]) + (" …" if len(missing) > 8 else "")
        messages.warning(request, f"The register is not complete: {len(missing)} pupil(s) have no mark ({listed}).")
    elif result.taken:
        messages.success(request, f"The {register} register is taken.")
    raised = raised_message(result.register) if result.entries else ""
    if raised:  # the check ran when the marks were committed
        messages.warning(request, raised)


@login_required
def lesson_register_for(request, lesson_id, day):
    """Open (creating if need be) a lesson's register for a date."""
    try:
        day = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404("No such date")
    lesson = get_object_or_404(Lesson.objects.select_related("school", "period", "group"), pk=lesson_id)
    staff = staff_of(request.user)
    probe = LessonRegister(school=lesson.school, lesson=lesson, date=day)
    taker = lesson_taker(request.user, staff, probe)
    if taker is None:
        raise PermissionDenied("You can take only the registers of lessons you teach or cover.")
    if not SchoolDay.objects.filter(school=lesson.school, date=day).exists():
        raise Http404(f"There is no register: {describe_non_school_day(lesson.school, day)}.")
    if not lessons_on(lesson.school, day).filter(pk=lesson.pk).exists():
        raise Http404(f"{lesson} does not happen on {day:%A %d %B %Y}.")
    register = open_lesson_register(lesson=lesson, day=day, user=request.user, cover_teacher=taker.cover)
    return redirect("lessons:register", pk=register.pk)
