"""The office's live views of registers: registers still missing after their late time (with
reminders to their teachers) and late arrivals signed in at the office. (Today's attendance,
which joins the register with parents' reports, is absences' `office_today`.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import timing
from ..calendar import describe_non_school_day
from ..models import AM, Register, RegistrationGroup, SchoolDay, Staff
from ..notifications import send_register_reminder
from ..permissions import is_office_team, require_school, staff_of
from ..register_forms import LateArrivalForm, RegisterFinderForm
from ..register_selectors import (
    register_time_subquery,
    register_times,
    registers_on,
    roll_with_marks,
    school_roll,
)
from ..selectors import registers_past_late_time, search_pupils
from ..services import Actor, open_registers
from ..taking import MarkWish, TakenBy, Taker, take_register


def require_office(request):
    """The school of a member of the office team (or an administrator); 403 for anyone else."""
    if not (request.user.is_superuser or is_office_team(request.user)):
        raise PermissionDenied("This page is for the school office.")
    return require_school(request)


# --- missing registers ------------------------------------------------------------------------


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
    opening the day's registers as needed."""
    today_ = timezone.localtime(now).date()
    past_late = registers_past_late_time(school=school, now=now)
    times = {(group.pk, session): rt for group, session, rt in past_late}
    due = [(group, today_, session) for group, session, _ in past_late]
    registers = open_registers(school=school, wanted=due)
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
    school = require_office(request)
    now = timing.now()
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
    school = require_office(request)
    register = get_object_or_404(
        Register.objects.select_related("group")
        .filter(school=school)
        .annotate(rt_closes=register_time_subquery("closes")),
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


# --- any register, past or today -------------------------------------------------------------


@login_required
def office_registers(request):
    """Find any register (a date, a session, a group; taken or not) to open and amend it."""
    school = require_office(request)
    today = timezone.localtime(timing.now()).date()
    groups = list(RegistrationGroup.objects.filter(school=school).order_by("year", "name"))
    form = RegisterFinderForm(request.GET or None, groups=groups, initial={"day": today})
    day, session, group_id = today, "", None
    if form.is_bound and form.is_valid():
        day, session, group_id = form.cleaned_data["day"], form.cleaned_data["session"], form.cleaned_data["group"]
    school_day = SchoolDay.objects.filter(school=school, date=day).exists()
    listings = registers_on(school, day, session=session, group_id=group_id) if school_day else []
    context = {
        "form": form,
        "day": day,
        "today": today,
        "listings": listings,
        "not_school_day": None if school_day else describe_non_school_day(school, day),
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
    }
    return render(request, "registers/office_registers.html", context, status=400 if form.errors else 200)


# --- late arrivals --------------------------------------------------------------------------


LATE_SEARCH_RESULTS = 20


def _late_context(request, school, day, form, *, pupil=None):
    query = (request.GET.get("q") or "").strip()
    roll = school_roll(school, day)
    matches = list(search_pupils(roll, query)[:LATE_SEARCH_RESULTS]) if query and pupil is None else []
    return {"form": form, "day": day, "query": query, "matches": matches, "pupil": pupil, "limit": LATE_SEARCH_RESULTS}


@login_required
def office_late_arrival(request):
    """Sign in a pupil who arrived late: find them by name or UPN (a plain search, with type-ahead
    when JavaScript runs), then give the arrival time; the register rule (`registers.taking`)
    decides present, L or U and the minutes from it."""
    school = require_office(request)
    now = timing.now()
    day = timezone.localtime(now).date()
    chosen = request.POST.get("pupil") or request.GET.get("pupil")
    pupil = school_roll(school, day).filter(pk=chosen).first() if (chosen or "").isdigit() else None
    initial = {"arrived": timezone.localtime(now).strftime("%H:%M"), "session": request.GET.get("session", AM)}
    if pupil is not None:
        initial["pupil"] = pupil.pk
    form = LateArrivalForm(request.POST or None, initial=initial)
    if request.method == "GET" and request.GET.get("fragment"):
        context = _late_context(request, school, day, form)
        return JsonResponse(
            {
                "count": len(context["matches"]),
                "html": render_to_string("registers/_late_results.html", context, request=request),
            }
        )
    if request.method != "POST" or not form.is_valid() or pupil is None:
        if request.method == "POST" and pupil is None and not form.errors.get("pupil"):
            form.add_error(None, "That pupil is not on roll today: search for them again.")
        context = _late_context(request, school, day, form, pupil=pupil)
        return render(request, "registers/office_late.html", context, status=400 if form.errors else 200)
    return _sign_in_late(request, school, form, pupil, now)


def _sign_in_late(request, school, form, pupil, now):
    day = timezone.localtime(now).date()
    session = form.cleaned_data["session"]
    arrival = form.arrival(day)

    def refuse(message):
        form.add_error(None, message)
        context = _late_context(request, school, day, form, pupil=pupil)
        return render(request, "registers/office_late.html", context, status=400)

    if pupil.group_id is None:
        return refuse(f"{pupil.name} is in no registration group, so there is no register to sign them into.")
    register = Register.objects.filter(group=pupil.group, date=day, session=session).select_related(
        "group", "school"
    ).first() or Register(school=school, group=pupil.group, date=day, session=session)
    register.school = school
    taken_by = TakenBy(Taker.OFFICE, Actor.for_staff(request.user, staff_of(request.user)))
    wish = MarkWish(pupil.pk, "L", arrived=form.cleaned_data["arrived"], comment=form.cleaned_data["comment"])
    result = take_register(
        register=register,
        times=register_times(school_id=school.pk, phase=pupil.group.phase, session=session),
        roll=roll_with_marks(register),
        wishes=[wish],
        taken_by=taken_by,
        now=now,
        reason=f"late arrival signed in at the office at {arrival:%H:%M}",
    )
    if result.refusals:
        return refuse(" ".join(r.message for r in result.refusals))
    if result.entries:
        entry = result.entries[0]
        late = f" ({entry.minutes_late} min late)" if entry.minutes_late is not None else ""
        messages.success(request, f"{pupil.name} signed in at {arrival:%H:%M}: recorded as {entry.code}{late}.")
    else:
        messages.info(request, f"{pupil.name} already had that mark; nothing changed.")
    return redirect(f"{reverse('absences:office_today')}?session={session}")
