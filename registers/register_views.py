"""Taking registers in the browser (teachers) and the office's live view of missing registers.

Thin views: they read the clock once per request, ask `registers.timing` what the rules allow,
and write marks only through the register service (`record_marks`, `mark_register_taken`).
The register page and its submission use a constant number of SQL queries whatever the
size of the group (the roll, today's marks and the pupils' recent marks are one query each)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from . import timing
from .calendar import describe_non_school_day
from .codes import read_code_table
from .models import (
    AM,
    PM,
    AttendanceCode,
    Enrolment,
    Mark,
    Pupil,
    Register,
    RegisterTime,
    RegistrationGroup,
    SchoolDay,
    Staff,
)
from .notifications import mark_read, send_register_reminder, unread_for
from .permissions import is_office_team, require_school, staff_of
from .register_forms import LateArrivalForm, parse_register_post
from .selectors import registers_past_late_time
from .services import Actor, MarkEntry, MarkValidationError, record_marks, take_register_if_complete

CAT = AttendanceCode.Category
STRIP_SESSIONS = 10
PLANNED_SOURCES = {
    Mark.Source.LEAVE_DECISION: "Approved leave",
    Mark.Source.PARENT_REPORT: "Parent/carer reported",
    Mark.Source.CLOSURE: "Planned closure",
    Mark.Source.OFFICE: "Entered by the office",
    Mark.Source.IMPORT: "Imported",
    Mark.Source.API: "From another system",
}
TEACHER_CODES = ("/", "L", "N")


# --- helpers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Times:
    opens: dt.time
    late_after: dt.time
    closes: dt.time


def _now() -> dt.datetime:
    return timezone.now()


def _office(user) -> bool:
    return bool(user.is_superuser or is_office_team(user))


def _actor(user, staff) -> Actor:
    if staff is not None:
        return Actor(user=user, name=staff.display_name, position=staff.get_position_display())
    return Actor.for_user(user)


def mark_css(code: str | None, category: str | None) -> str:
    if not code:
        return "none"
    if code == "L":
        return "late"
    return category or "none"


def _rt_subquery(field_name: str):
    return Subquery(
        RegisterTime.objects.filter(
            school=OuterRef("school_id"), phase=OuterRef("group__phase"), session=OuterRef("session")
        ).values(field_name)[:1]
    )


def register_queryset(staff: Staff | None):
    """Registers with their group, school, register times, whether the day is a school day,
    and whether `staff` teaches the group — one query."""
    qs = Register.objects.select_related("group", "school").annotate(
        rt_opens=_rt_subquery("opens"),
        rt_late=_rt_subquery("late_after"),
        rt_closes=_rt_subquery("closes"),
        is_school_day=Exists(SchoolDay.objects.filter(school=OuterRef("school_id"), date=OuterRef("date"))),
    )
    if staff is not None:
        teaches = RegistrationGroup.teachers.through.objects.filter(
            registrationgroup_id=OuterRef("group_id"), staff_id=staff.pk
        )
        qs = qs.annotate(is_teacher=Exists(teaches))
    return qs


def times_of(register) -> Times | None:
    if register.rt_opens is None:
        return None
    return Times(register.rt_opens, register.rt_late, register.rt_closes)


def roll_with_marks(register):
    """Pupils of the group on roll on the register's date, each with this session's mark (if
    any) annotated — one query."""
    day = register.date
    marks = Mark.objects.filter(pupil_id=OuterRef("pk"), date=day, session=register.session)
    on_roll = Enrolment.objects.filter(pupil_id=OuterRef("pk"), admission_date__lte=day).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=day)
    )
    return (
        Pupil.objects.filter(group_id=register.group_id)
        .filter(Exists(on_roll))
        .annotate(
            mark_id=Subquery(marks.values("id")[:1]),
            mark_code=Subquery(marks.values("code__code")[:1]),
            mark_category=Subquery(marks.values("code__category")[:1]),
            mark_minutes=Subquery(marks.values("minutes_late")[:1]),
            mark_version=Subquery(marks.values("version")[:1]),
            mark_source=Subquery(marks.values("source")[:1]),
            mark_by=Subquery(marks.values("recorded_by_name")[:1]),
            mark_at=Subquery(marks.values("recorded_at")[:1]),
        )
        .order_by("legal_surname", "legal_forename", "pk")
    )


def recent_sessions(register, pupil_ids) -> tuple[list[tuple[dt.date, str]], dict[int, dict]]:
    """The last ten school sessions before this one and each pupil's marks in them (two queries)."""
    days = sorted(
        SchoolDay.objects.filter(school_id=register.school_id, date__lt=register.date)
        .order_by("-date")
        .values_list("date", flat=True)[: STRIP_SESSIONS // 2 + 1]
    )
    sessions = [(d, s) for d in days for s in (AM, PM)]
    if register.session == PM:
        sessions.append((register.date, AM))
    sessions = sessions[-STRIP_SESSIONS:]
    found: dict[int, dict] = defaultdict(dict)
    if sessions and pupil_ids:
        rows = Mark.objects.filter(
            pupil_id__in=pupil_ids, date__gte=sessions[0][0], date__lte=sessions[-1][0]
        ).values_list("pupil_id", "date", "session", "code__code", "code__category")
        for pupil_id, day, session, code, category in rows:
            found[pupil_id][(day, session)] = (code, category)
    return sessions, found


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


def build_rows(register, roll, *, times, now, teacher: bool, submitted=None, strip=None) -> list[Row]:
    present = timing.present_symbol(register.session)
    sessions, found = strip if strip is not None else ([], {})
    may_change = (not teacher) or (times is not None and timing.teacher_may_change_marks(times, register.date, now))
    may_add = (not teacher) or (times is not None and timing.teacher_may_add_marks(times, register.date, now))
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
        if submitted is not None and pupil.pk in submitted.rows and row.editable:
            sub = submitted.rows[pupil.pk]
            if sub.code:
                code = sub.code
                row.minutes = sub.minutes
            if sub.version is not None:
                row.version = sub.version
            if sub.was is not None:
                row.was = f"{sub.was[0]}|{'' if sub.was[1] is None else sub.was[1]}"
            row.errors.extend(f"{pupil.name}: {e}" for e in sub.errors)
        if code in (present, "/", "\\"):
            row.chosen = present
        elif code in ("L", "N"):
            row.chosen = code
        else:
            row.other = code
        row.code = code
        row.css = mark_css(code, pupil.mark_category if code == pupil.mark_code else None)
        row.strip = []
        for day, session in sessions:
            symbol, category = found.get(pupil.pk, {}).get((day, session), ("", None))
            row.strip.append(
                {"code": symbol or "·", "css": mark_css(symbol, category), "title": f"{day:%a %d %b} {session}"}
            )
        row.strip_html = strip_html(row.strip)
        rows.append(row)
    return rows


def strip_html(strip: list[dict]):
    """A pupil's recent marks as one accessible strip. Built here rather than in the template:
    ten marks for thirty pupils is most of the page's rendering time."""
    label = ", ".join(f"{s['title']} {s['code']}" for s in strip) or "none"
    marks = format_html_join(
        "",
        '<span class="mark {}" title="{}: {}">{}</span>',
        ((s["css"], s["title"], s["code"], s["code"]) for s in strip),
    )
    return format_html('<span class="strip" role="img" aria-label="Last sessions: {}">{}</span>', label, marks)


def _codes_for_js(day: dt.date) -> list[str]:
    """National codes valid on `day`, from the reference table (no query)."""
    return [
        row["code"]
        for row in read_code_table()
        if (row["valid_from"] is None or row["valid_from"] <= day)
        and (row["valid_to"] is None or day <= row["valid_to"])
    ]


def _epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _load_register(request, pk):
    staff = staff_of(request.user)
    register = get_object_or_404(register_queryset(staff), pk=pk)
    teacher = bool(getattr(register, "is_teacher", False))
    if not teacher and not request.user.has_perm("registers.take_register", register):
        raise PermissionDenied("You can take only the registers of your own groups.")
    return register, staff, teacher


# --- the register page ---------------------------------------------------------------------


@login_required
def register_page(request, pk):
    register, staff, teacher = _load_register(request, pk)
    now = _now()
    times = times_of(register)
    if request.method == "POST":
        return _submit(request, register, staff, teacher, times, now)
    return _render_register(request, register, times, now, teacher=teacher)


def _render_register(request, register, times, now, *, teacher, submitted=None, problems=(), status=200, roll=None):
    roll = list(roll_with_marks(register)) if roll is None else roll
    strip = recent_sessions(register, [p.pk for p in roll])
    rows = build_rows(register, roll, times=times, now=now, teacher=teacher, submitted=submitted, strip=strip)
    state = timing.state(times, register.date, now, taken=register.state != Register.State.NOT_TAKEN) if times else None
    by_pupil = defaultdict(list)
    for problem in problems:
        by_pupil[problem[0]].append(problem[1])
    for row in rows:
        for message in by_pupil.get(row.pupil.pk, []):
            if message.startswith("conflict:"):
                row.conflict = message.removeprefix("conflict:")
            else:
                row.errors.append(message)
    general = by_pupil.get(None, [])
    closes = timing.closes_at(times, register.date) if times else None
    context = {
        "register": register,
        "rows": rows,
        "times": times,
        "state": state,
        "teacher": teacher,
        "office": not teacher,
        "present": timing.present_symbol(register.session),
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
        "codes": _codes_for_js(register.date),
        "general_errors": general,
        "non_school_day": None if register.is_school_day else describe_non_school_day(register.school, register.date),
        "reason": submitted.reason if submitted else "",
        "taken_by_name": register.taken_by.get_full_name() if register.taken_by_id else "",
    }
    return render(request, "registers/register_page.html", context, status=status)


def _refuse(request, register, times, now, teacher, message, *, submitted=None, status=400, roll=None):
    return _render_register(
        request,
        register,
        times,
        now,
        teacher=teacher,
        submitted=submitted,
        problems=[(None, message)],
        status=status,
        roll=roll,
    )


def _submit(request, register, staff, teacher, times, now):
    when = f"{register.date:%A %d %B}"
    if not register.is_school_day:
        why = describe_non_school_day(register.school, register.date)
        return _refuse(request, register, times, now, teacher, f"Nothing was saved: {why}, so there is no register.")
    if times is None:
        return _refuse(
            request,
            register,
            times,
            now,
            teacher,
            f"Nothing was saved: no register times are set for {register.group.get_phase_display().lower()} "
            f"{register.session}. Ask the office to set them.",
        )
    if teacher and not timing.has_opened(times, register.date, now):
        return _refuse(
            request,
            register,
            times,
            now,
            teacher,
            f"Nothing was saved: this register opens at {times.opens:%H:%M} on {when}.",
            status=403,
        )
    if teacher and not timing.teacher_may_add_marks(times, register.date, now):
        return _refuse(
            request,
            register,
            times,
            now,
            teacher,
            f"Nothing was saved: the {when} register closed at {times.closes:%H:%M}. "
            "Only the office can change it now — ask them, with the reason.",
            status=403,
        )

    roll = list(roll_with_marks(register))
    by_id = {p.pk: p for p in roll}
    submitted = parse_register_post(request.POST, roll_ids=set(by_id), session=register.session)
    if submitted.unknown_pupil_ids:
        names = (
            ", ".join(
                p.name for p in Pupil.objects.filter(pk__in=submitted.unknown_pupil_ids, school_id=register.school_id)
            )
            or "a pupil"
        )
        return _refuse(
            request,
            register,
            times,
            now,
            teacher,
            f"Nothing was saved: {names} is not on the {register.group.name} roll on {when}. "
            "Reload the page to see the current roll.",
            submitted=submitted,
            roll=roll,
        )
    if submitted.has_errors:
        return _render_register(
            request, register, times, now, teacher=teacher, submitted=submitted, status=400, roll=roll
        )

    present = timing.present_symbol(register.session)
    closed = timing.is_closed(times, register.date, now)
    entries, problems, became_u = [], [], []
    for pupil in roll:
        sub = submitted.rows.get(pupil.pk)
        code = sub.code if sub else ""
        minutes = sub.minutes if sub else None
        if not code:
            if submitted.action == "all_present" and not pupil.mark_id:
                code = present
            else:
                continue
        if code in ("L", "U"):
            if teacher:
                code, minutes = timing.teacher_late_mark(times, register.date, now, minutes)
                if code == "U" and (sub is None or sub.code != "U"):
                    became_u.append(f"{pupil.name} ({minutes} min)")
            elif minutes is None:
                minutes = timing.minutes_late(times, register.date, now)
        elif code not in ("L", "U"):
            minutes = None
        if sub is not None and sub.was is not None and (code, minutes) == sub.was and pupil.mark_id:
            continue  # the row as shown, untouched
        if pupil.mark_id and (code, minutes) == (pupil.mark_code, pupil.mark_minutes):
            continue  # already recorded (a second submission of the same page)
        if teacher and closed and pupil.mark_id:
            problems.append(
                (
                    pupil.pk,
                    f"{pupil.name} already has {pupil.mark_code}; the register closed at {times.closes:%H:%M}, "
                    "so only the office can change it.",
                )
            )
            continue
        entries.append(
            MarkEntry(
                pupil_id=pupil.pk,
                date=register.date,
                session=register.session,
                code=code,
                minutes_late=minutes,
                expected_version=sub.version if sub is not None and sub.version is not None else None,
            )
        )
    if problems:
        problems.insert(0, (None, "Nothing was saved. Please check the pupils marked below."))
        return _render_register(
            request,
            register,
            times,
            now,
            teacher=teacher,
            submitted=submitted,
            problems=problems,
            status=403,
            roll=roll,
        )

    if teacher:
        reason = timing.TEACHER_CORRECTION_REASON if not closed else ""
        source = Mark.Source.TEACHER
    else:
        reason = submitted.reason or (timing.OFFICE_CORRECTION_REASON if not closed else "")
        source = Mark.Source.OFFICE
    actor = _actor(request.user, staff)
    marked = {p.pk for p in roll if p.mark_id} | {e.pupil_id for e in entries}
    missing = [p for p in roll if p.pk not in marked]  # for the message after saving
    try:
        # The marks and "register taken" are saved together or not at all (one commit).
        with transaction.atomic():
            result = record_marks(
                school=register.school,
                entries=entries,
                actor=actor,
                source=source,
                reason=reason,
                register=register,
                now=now,
            )
            take_register_if_complete(
                register=register, roll=[p.pk for p in roll], marked=marked, actor=actor, now=now, by_teacher=teacher
            )
    except MarkValidationError as error:
        return _after_validation_error(request, register, times, now, teacher, submitted, error)
    _report(request, register, roll, entries, result, missing, became_u, closes=times.closes)
    return redirect(reverse("registers:register", args=[register.pk]), permanent=False)


def _after_validation_error(request, register, times, now, teacher, submitted, error):
    roll = list(roll_with_marks(register))  # fresh: conflicting rows show what is there now
    problems = [(None, "Nothing was saved.")]
    conflicted = set()
    for problem in error.problems:
        pupil_id = problem.entry.pupil_id
        if problem.conflict:
            conflicted.add(pupil_id)
            problems.append((pupil_id, "conflict:" + problem.message + " Check it and save again."))
        else:
            problems.append((pupil_id, problem.message))
    if conflicted:
        problems[0] = (
            None,
            "Nothing was saved: someone else changed this register while you had it open. "
            "Their marks are shown below for the pupils concerned; check them and save again.",
        )
        for pupil_id in conflicted:
            submitted.rows.pop(pupil_id, None)  # show their mark and its new version
    status = 409 if conflicted else 400
    return _render_register(
        request, register, times, now, teacher=teacher, submitted=submitted, problems=problems, status=status, roll=roll
    )


def _report(request, register, roll, entries, result, missing, became_u, *, closes):
    counts = defaultdict(int)
    for entry in entries:
        counts[entry.code] += 1
    if not entries:
        messages.info(request, "No changes to save.")
    else:
        parts = [f"{n} × {code}" for code, n in sorted(counts.items())]
        text = f"Saved {len(result.created)} new mark(s)"
        if result.amended:
            text += f" and {len(result.amended)} correction(s)"
        messages.success(request, f"{text}: {', '.join(parts)}.")
    if became_u:
        messages.warning(
            request,
            f"Recorded as U (arrived after the register closed at {closes:%H:%M}): {', '.join(became_u)}.",
        )
    if missing:
        names = ", ".join(p.name for p in missing[:8]) + (" …" if len(missing) > 8 else "")
        messages.warning(
            request, f"The register is not complete: {len(missing)} pupil(s) still have no mark ({names})."
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
    register = _ensure_registers(group.school, [(group, day, session)], request.user)[(group.pk, day, session)]
    return redirect("registers:register", pk=register.pk)


def _ensure_registers(school, wanted, user) -> dict:
    """Get or create the registers for (group, date, session) triples (lazily, on first view)."""
    if not wanted:
        return {}
    dates = {d for _, d, _ in wanted}
    found = {
        (r.group_id, r.date, r.session): r
        for r in Register.objects.filter(school=school, date__in=dates, group_id__in={g.pk for g, _, _ in wanted})
    }
    for group, day, session in wanted:
        key = (group.pk, day, session)
        if key not in found:
            register = Register(school=school, group=group, date=day, session=session)
            register._history_user = user if user and user.is_authenticated else None
            register._change_reason = "register opened"
            register.save()
            found[key] = register
    return found


# --- a teacher's day ------------------------------------------------------------------------


@dataclass
class TodayItem:
    register: Register
    group: RegistrationGroup
    state: timing.State | None
    closes: dt.time | None
    opens: dt.time | None


def _sessions_to_show(school, now) -> list[tuple[dt.date, str]]:
    """This session and the next (school days only)."""
    today = timezone.localtime(now).date()
    days = list(
        SchoolDay.objects.filter(school=school, date__gte=today).order_by("date").values_list("date", flat=True)[:2]
    )
    times = {(t.phase, t.session): t for t in RegisterTime.objects.filter(school=school)}
    if not days:
        return []
    pm_opens = min((t.opens for (phase, s), t in times.items() if s == PM), default=None)
    if days[0] != today:
        return [(days[0], AM), (days[0], PM)]
    this, _next = timing.current_and_next_sessions(pm_opens, now)
    if this == AM:
        return [(today, AM), (today, PM)]
    result = [(today, PM)]
    if len(days) > 1:
        result.append((days[1], AM))
    return result


@login_required
def today(request):
    staff = staff_of(request.user)
    now = _now()
    office = _office(request.user)
    school = require_school(request)
    if staff is not None and staff.position in (Staff.Position.GOVERNOR, Staff.Position.TRUST_LEADER):
        raise PermissionDenied("Registers are for staff who take or manage them.")
    groups = list(staff.groups.filter(school=school).order_by("year", "name")) if staff is not None else []
    slots = _sessions_to_show(school, now)
    wanted = [(g, d, s) for d, s in slots for g in groups]
    registers = _ensure_registers(school, wanted, request.user)
    times = {(t.phase, t.session): t for t in RegisterTime.objects.filter(school=school)}
    items = []
    for group, day, session in wanted:
        register = registers[(group.pk, day, session)]
        rt = times.get((group.phase, session))
        state = timing.state(rt, day, now, taken=register.state != Register.State.NOT_TAKEN) if rt is not None else None
        items.append(TodayItem(register, group, state, rt.closes if rt else None, rt.opens if rt else None))
    context = {
        "items": items,
        "slots": slots,
        "office": office,
        "notifications": unread_for(request.user),
        "now": timezone.localtime(now),
        "school": school,
    }
    return render(request, "registers/today.html", context)


@login_required
@require_POST
def dismiss_notification(request, pk):
    mark_read(user=request.user, notification_id=pk)
    return redirect("registers:today")


# --- the office ------------------------------------------------------------------------------


def _require_office(request):
    if not _office(request.user):
        raise PermissionDenied("This page is for the school office.")
    return require_school(request)


@dataclass
class MissingRegister:
    register: Register
    group: RegistrationGroup
    teachers: list[Staff]
    overdue: int
    closes: dt.time
    closed: bool


def missing_registers(school, now) -> list[MissingRegister]:
    """Every register of today not taken by its late time (groups with pupils on roll),
    creating the day's registers as needed."""
    today_ = timezone.localtime(now).date()
    past_late = registers_past_late_time(school=school, now=now)
    times = {(group.pk, session): rt for group, session, rt in past_late}
    due = [(group, today_, session) for group, session, _ in past_late]
    registers = _ensure_registers(school, due, None)
    result = []
    for group, day, session in due:
        register = registers[(group.pk, day, session)]
        if register.state != Register.State.NOT_TAKEN:
            continue
        rt = times[(group.pk, session)]
        result.append(
            MissingRegister(
                register=register,
                group=group,
                teachers=list(group.teachers.all()),
                overdue=timing.minutes_overdue(rt, day, now),
                closes=rt.closes,
                closed=timing.is_closed(rt, day, now),
            )
        )
    result.sort(key=lambda m: (-m.overdue, m.group.year, m.group.name))
    return result


@login_required
def office_missing(request):
    school = _require_office(request)
    now = _now()
    missing = missing_registers(school, now)
    context = {
        "missing": missing,
        "now": timezone.localtime(now),
        "school": school,
        "poll_seconds": getattr(settings, "REGISTERS_OFFICE_POLL_SECONDS", 20),
    }
    if request.GET.get("fragment") or request.headers.get("X-Requested-With") == "fetch":
        html = render_to_string("registers/office_missing_table.html", context, request=request)
        return JsonResponse({"count": len(missing), "html": html, "at": f"{timezone.localtime(now):%H:%M:%S}"})
    return render(request, "registers/office_missing.html", context)


@login_required
@require_POST
def office_remind(request, pk):
    school = _require_office(request)
    register = get_object_or_404(
        Register.objects.select_related("group").filter(school=school).annotate(rt_closes=_rt_subquery("closes")),
        pk=pk,
    )
    teachers = list(register.group.teachers.select_related("user"))
    if not teachers:
        messages.warning(request, f"{register.group.name} has no teacher to remind.")
    elif register.state != Register.State.NOT_TAKEN:
        messages.info(request, f"The {register.group.name} register has been taken meanwhile; no reminder sent.")
    else:
        sent = send_register_reminder(
            register=register,
            sender=request.user,
            teachers=teachers,
            closes=register.rt_closes,
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
        names = ", ".join(t.display_name for t in teachers)
        messages.success(request, f"Reminder sent to {names} ({len(sent)} in-app, and by e-mail where we have one).")
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    return redirect("registers:office_missing")


def _absence_rows(school, day, session):
    return (
        Mark.objects.filter(school=school, date=day, session=session)
        .select_related("pupil__group", "code")
        .order_by("pupil__group__year", "pupil__group__name", "pupil__legal_surname", "pupil__legal_forename")
    )


@login_required
def office_today(request):
    """Today's attendance: counts by year and group, every `N`, and every absence with no
    parent report, for one session (the current one unless chosen)."""
    school = _require_office(request)
    now = _now()
    day = timezone.localtime(now).date()
    session = request.GET.get("session", "").upper()
    if session not in (AM, PM):
        pm = RegisterTime.objects.filter(school=school, session=PM).order_by("opens").first()
        session = PM if pm is not None and timezone.localtime(now).time() >= pm.opens else AM
    on_roll = Enrolment.objects.filter(pupil_id=OuterRef("pk"), admission_date__lte=day).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=day)
    )
    marks = Mark.objects.filter(pupil_id=OuterRef("pk"), date=day, session=session)
    per_group = (
        Pupil.objects.filter(school=school)
        .filter(Exists(on_roll))
        .annotate(
            category=Subquery(marks.values("code__category")[:1]), symbol=Subquery(marks.values("code__code")[:1])
        )
        .values("year", "group__name")
        .annotate(
            on_roll=Count("id"),
            present=Count("id", filter=Q(category__in=[CAT.PRESENT, CAT.APPROVED])),
            absent=Count("id", filter=Q(category__in=[CAT.AUTHORISED, CAT.UNAUTHORISED])),
            n_marks=Count("id", filter=Q(symbol="N")),
            not_counted=Count("id", filter=Q(category=CAT.NOT_COUNTED)),
            unmarked=Count("id", filter=Q(category__isnull=True)),
        )
        .order_by("year", "group__name")
    )
    groups = list(per_group)
    years: dict[int, dict] = {}
    for row in groups:
        y = years.setdefault(row["year"], {"year": row["year"], "on_roll": 0, "present": 0, "absent": 0, "n_marks": 0})
        for key in ("on_roll", "present", "absent", "n_marks"):
            y[key] += row[key]
    totals = {k: sum(g[k] for g in groups) for k in ("on_roll", "present", "absent", "n_marks", "unmarked")}
    absences = list(
        _absence_rows(school, day, session)
        .filter(code__code__in=("N", "O", "G", "U"))
        .order_by("code__code", "pupil__group__name", "pupil__legal_surname")
    )
    # "Absent with no parent report": an unexplained absence code (N, O, G or U) this session
    # and no report from a parent/carer covering it — the list the first-day calls start from.
    from absences.selectors import reported_pupil_ids

    reported = reported_pupil_ids(school=school, day=day, session=session)
    context = {
        "day": day,
        "session": session,
        "groups": groups,
        "years": sorted(years.values(), key=lambda y: y["year"]),
        "totals": totals,
        "n_pupils": [m for m in absences if m.code.code == "N"],
        "no_report": [m for m in absences if m.pupil_id not in reported],
        "now": timezone.localtime(now),
    }
    return render(request, "registers/office_today.html", context)


def _roll_for_late_form(school, day):
    on_roll = Enrolment.objects.filter(pupil_id=OuterRef("pk"), admission_date__lte=day).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=day)
    )
    return (
        Pupil.objects.filter(school=school)
        .filter(Exists(on_roll))
        .select_related("group")
        .order_by("group__year", "group__name", "legal_surname", "legal_forename")
    )


@login_required
def office_late_arrival(request):
    """Sign in a pupil who arrived late: `L` before the register closes, `U` with minutes after,
    decided by the server from the arrival time; through the register service."""
    school = _require_office(request)
    now = _now()
    day = timezone.localtime(now).date()
    pupils = _roll_for_late_form(school, day)
    initial = {"arrived": timezone.localtime(now).strftime("%H:%M"), "session": request.GET.get("session", AM)}
    form = LateArrivalForm(request.POST or None, pupils=pupils, initial=initial)
    if request.method != "POST" or not form.is_valid():
        return render(
            request, "registers/office_late.html", {"form": form, "day": day}, status=400 if form.errors else 200
        )
    pupil = next(p for p in pupils if p.pk == form.cleaned_data["pupil"])
    session = form.cleaned_data["session"]
    arrival = form.arrival(day)
    if arrival > now + dt.timedelta(minutes=1):
        form.add_error("arrived", "The arrival time is in the future.")
        return render(request, "registers/office_late.html", {"form": form, "day": day}, status=400)
    phase = pupil.group.phase if pupil.group_id else school.register_phases[0]
    rt = RegisterTime.objects.filter(school=school, phase=phase, session=session).first()
    if rt is None:
        form.add_error(None, f"No register times are set for {phase} {session}.")
        return render(request, "registers/office_late.html", {"form": form, "day": day}, status=400)
    code, minutes = timing.arrival_mark(rt, day, session, arrival)
    register = None
    if pupil.group_id:
        register = _ensure_registers(school, [(pupil.group, day, session)], request.user)[
            (pupil.group_id, day, session)
        ]
    actor = _actor(request.user, staff_of(request.user))
    try:
        record_marks(
            school=school,
            entries=[
                MarkEntry(
                    pupil_id=pupil.pk,
                    date=day,
                    session=session,
                    code=code,
                    minutes_late=minutes,
                    comment=form.cleaned_data["comment"],
                )
            ],
            actor=actor,
            source=Mark.Source.OFFICE,
            reason=f"late arrival signed in at the office at {arrival:%H:%M}",
            register=register,
            now=now,
        )
    except MarkValidationError as error:
        for problem in error.problems:
            form.add_error(None, problem.message)
        return render(request, "registers/office_late.html", {"form": form, "day": day}, status=400)
    late = f" ({minutes} min late)" if minutes is not None else ""
    messages.success(request, f"{pupil.name} signed in at {arrival:%H:%M}: recorded as {code}{late}.")
    return redirect(f"{reverse('registers:office_today')}?session={session}")
