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
from ..models import AM, Mark, Register, RegistrationGroup, SchoolDay, Staff
from ..notifications import send_register_reminder
from ..permissions import is_office_team, require_school, staff_of
from ..register_forms import LateArrivalForm, RegisterFinderForm
from ..register_selectors import register_time_subquery, register_times, registers_on, school_roll
from ..selectors import registers_past_late_time
from ..services import Actor, MarkEntry, MarkValidationError, open_registers, record_marks


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


@login_required
def office_late_arrival(request):
    """Sign in a pupil who arrived late: `L` before the register closes, `U` with minutes after,
    decided by the server from the arrival time; through the register service."""
    school = require_office(request)
    now = timing.now()
    day = timezone.localtime(now).date()
    pupils = school_roll(school, day)
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
    rt = register_times(school_id=school.pk, phase=phase, session=session)
    if rt is None:
        form.add_error(None, f"No register times are set for {phase} {session}.")
        return render(request, "registers/office_late.html", {"form": form, "day": day}, status=400)
    code, minutes = timing.arrival_mark(rt, day, session, arrival)
    register = None
    if pupil.group_id:
        register = open_registers(school=school, wanted=[(pupil.group, day, session)], user=request.user)[
            (pupil.group_id, day, session)
        ]
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
            actor=Actor.for_staff(request.user, staff_of(request.user)),
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
    return redirect(f"{reverse('absences:office_today')}?session={session}")
