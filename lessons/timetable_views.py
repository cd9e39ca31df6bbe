"""The timetable pages for the people who keep it: the week grid (filterable by teacher, group,
room and year), the timetable settings, periods and rooms. Teaching groups, their pupils and
lessons are in `timetable_views_groups`. Thin: the forms parse, `timetable_services` writes
(dated changes), `timetable_grid` reads."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from registers.models import ImportRun, Staff
from registers.years import year_label

from .imports.dated import holding_from
from .models import Dated, Period, Room, TeachingGroup, TimetableSettings
from .timetable_forms import PeriodForm, RoomForm, SettingsForm
from .timetable_grid import Filters, week_grid
from .timetable_permissions import timetable_school
from .timetable_services import TimetableError, save_period


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value and len(value) == 10 else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@login_required
def grid(request):
    school = timetable_school(request)
    on = _day(request.GET.get("on"))
    filters = Filters.from_query(request.GET)
    week = week_grid(school=school, on=on, week=request.GET.get("week"), filters=filters)
    groups = list(TeachingGroup.objects.filter(school=school))
    years = sorted({g.year for g in groups})
    return render(
        request,
        "lessons/timetable/grid.html",
        {
            "school": school,
            "grid": week,
            "filters": filters,
            "teachers": Staff.objects.filter(school=school, lessons__isnull=False)
            .distinct()
            .select_related("user")
            .order_by("user__last_name"),
            "groups": groups,
            "rooms": Room.objects.filter(school=school),
            "years": [(y, year_label(y)) for y in years],
            "counts": {
                "periods": Period.objects.filter(school=school).filter(Dated.on(on)).count(),
                "rooms": Room.objects.filter(school=school).count(),
                "groups": len(groups),
            },
            "import_kind": ImportRun.Kind.TIMETABLE,
        },
    )


@login_required
def settings_page(request):
    school = timetable_school(request)
    settings, _ = TimetableSettings.objects.get_or_create(school=school)
    form = SettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        form.instance._change_reason = "timetable settings page"
        form.save()
        messages.success(request, "The timetable settings are saved.")
        return redirect("lessons:timetable:settings")
    return render(request, "lessons/timetable/settings.html", {"school": school, "form": form})


@login_required
def periods(request):
    school = timetable_school(request)
    on = _day(request.GET.get("on"))
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save_period(request, form, school, None):
        return redirect("lessons:timetable:periods")
    listed = Period.objects.filter(school=school).filter(holding_from(on))  # now and changes to come
    return render(
        request, "lessons/timetable/periods.html", {"school": school, "form": form, "periods": listed, "on": on}
    )


@login_required
def period_edit(request, pk):
    school = timetable_school(request)
    period = get_object_or_404(Period, pk=pk, school=school)
    form = PeriodForm(request.POST or None, instance=period)
    if request.method == "POST" and form.is_valid() and _save_period(request, form, school, period):
        return redirect("lessons:timetable:periods")
    history = Period.objects.filter(school=school, phase=period.phase, name=period.name).order_by("valid_from")
    return render(
        request,
        "lessons/timetable/period_edit.html",
        {"school": school, "form": form, "period": period, "history": history},
    )


def _save_period(request, form, school, period) -> bool:
    data = form.cleaned_data
    values = {k: data[k] for k in ("phase", "name", "starts", "ends", "holds_session")}
    try:
        saved = save_period(school=school, period=period, values=values, day=data["valid_from"])
    except TimetableError as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(request, f"{saved.name} is saved, from {saved.valid_from:%d/%m/%Y}.")
    return True


@login_required
def rooms(request):
    school = timetable_school(request)
    form = RoomForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        form.instance.school = school
        form.instance._change_reason = "timetable rooms page"
        room = form.save()
        messages.success(request, f"Room {room.code} is added.")
        return redirect("lessons:timetable:rooms")
    return render(
        request,
        "lessons/timetable/rooms.html",
        {"school": school, "form": form, "rooms": Room.objects.filter(school=school)},
    )


@login_required
def room_edit(request, pk):
    school = timetable_school(request)
    room = get_object_or_404(Room, pk=pk, school=school)
    form = RoomForm(request.POST or None, instance=room, school=school)
    if request.method == "POST" and form.is_valid():
        form.instance._change_reason = "timetable rooms page"
        form.save()
        messages.success(request, f"Room {room.code} is saved.")
        return redirect("lessons:timetable:rooms")
    return render(request, "lessons/timetable/room_edit.html", {"school": school, "form": form, "room": room})
