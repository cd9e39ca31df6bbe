"""Staff pages: the home page by role, the pupil list and the pupil page.

Thin views: they decide who may see what (registers/permissions.py), call the
selectors and render. A pupil the user may not see is a 404, never a 403, so that a
pupil's existence is not leaked to staff of another class or school."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse

from . import timing
from .forms import PupilSearchForm
from .models import Pupil, Staff
from .permissions import AGGREGATE_ONLY, OFFICE_TEAM, TEACHERS, school_for, staff_of
from .pupil_calendar import calendar_strip
from .selectors import (
    AttendanceFigures,
    YearToDate,
    academic_year_choices,
    academic_year_period,
    amended_marks_history,
    find_pupils,
    groups_taught,
    pupil_figures,
    pupil_marks,
    registers_not_taken_count,
    total_figures,
    visible_groups,
    visible_pupils,
    year_to_date,
)
from .signals import Waiting, office_waiting, pupil_page_panels
from .years import year_label

PUPILS_PER_PAGE = 50
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]


def url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- home ---------------------------------------------------------------------------------


@login_required
def home(request):
    staff = staff_of(request.user)
    if staff is None and not request.user.is_superuser and request.user.contacts.exists():
        return redirect("absences:home")  # a parent or carer: their own children's page
    if staff is None:
        return render(request, "registers/home_admin.html", {"school": school_for(request)})
    if staff.position in TEACHERS:
        today_url = url_or_none("registers:today")
        if today_url:
            return redirect(today_url)
        return teacher_home(request, staff)
    if staff.position == staff.Position.ATTENDANCE_OFFICER:
        return redirect("interventions:dashboard")  # they work from one dashboard
    if staff.position in OFFICE_TEAM:
        return office_home(request, staff)
    if staff.position in AGGREGATE_ONLY:
        return redirect("reports:at-a-glance")  # figures without names: the reports app's home for them
    return teacher_home(request, staff)


def teacher_home(request, staff):
    return render(request, "registers/home_teacher.html", {"groups": groups_taught(staff)})


def office_home(request, staff):
    school = staff.school
    period = year_to_date(school)
    figures = total_figures(school=school, date_from=period.date_from, date_to=period.date_to)
    imports = reverse("imports:page") if request.user.has_perm("registers.import_data") else None
    waiting = [
        Waiting(
            "Registers not taken",
            registers_not_taken_count(school=school, now=timing.now()),
            reverse("registers:office_missing"),
            order=30,
        )
    ]
    for _, answer in office_waiting.send(sender=Staff, school=school, staff=staff):
        waiting.extend(answer or [])
    waiting.sort(key=lambda w: w.order)
    links = [
        (label, url)
        for label, url in [
            ("Today's attendance", url_or_none("absences:office_today")),
            ("Find a register", url_or_none("registers:office_registers")),
            ("Missing registers", url_or_none("registers:office_missing")),
            ("Sign in a late arrival", url_or_none("registers:office_late_arrival")),
            ("First-day calls", url_or_none("absences:office_follow_up")),
            ("Overdue N codes", url_or_none("absences:office_overdue")),
            ("Leave requests", url_or_none("absences:office_leave_list")),
            ("Take a register", url_or_none("registers:today")),
            ("All pupils", reverse("pupil-list")),
            ("Imports from the MIS", imports),
            ("School set-up (admin)", reverse("admin:index") if request.user.is_staff else None),
        ]
        if url
    ]
    return render(
        request,
        "registers/home_office.html",
        {"school": school, "period": period, "figures": figures, "links": links, "waiting": waiting},
    )


# --- the pupil list -----------------------------------------------------------------------


@dataclass
class PupilRow:
    pupil: Pupil
    figures: AttendanceFigures


@login_required
def pupil_list(request):
    if not request.user.has_perm("registers.view_pupil_list"):
        raise PermissionDenied
    school = school_for(request)
    pupils = visible_pupils(request.user, school) if school else None
    if pupils is None:
        raise PermissionDenied
    period = academic_year_period(school, request.GET.get("academic_year"))
    groups = visible_groups(request.user, school)
    form = PupilSearchForm(request.GET or None, groups=groups, years=academic_year_choices(school))
    filters = form.cleaned_data if form.is_valid() else {}
    pupils = find_pupils(pupils, school=school, period=period, filters=filters)
    page = Paginator(pupils, PUPILS_PER_PAGE).get_page(request.GET.get("page"))
    on_page = list(page.object_list)
    # One selector call for every pupil on the page, whatever their number.
    figures = pupil_figures(
        school=school,
        date_from=period.date_from,
        date_to=period.date_to,
        pupils=[p.pk for p in on_page],
        include_subsidiary=True,
    )
    rows = [PupilRow(p, figures.get(p.pk, AttendanceFigures())) for p in on_page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registers/pupil_list.html",
        {
            "school": school,
            "period": period,
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "whole_school": request.user.has_perm("registers.view_school_pupils"),
        },
    )


# --- the pupil page -----------------------------------------------------------------------


@dataclass
class MarkHistory:
    date: dt.date
    session: str
    mark_id: int
    versions: list = field(default_factory=list)


def marks_history(pupil: Pupil, period: YearToDate) -> list[MarkHistory]:
    rows = amended_marks_history(pupil=pupil, date_from=period.date_from, date_to=period.date_to)
    histories = []
    for mark_id, versions in groupby(rows, key=lambda r: r.id):
        versions = list(versions)
        histories.append(MarkHistory(versions[0].date, versions[0].session, mark_id, versions))
    return histories


@login_required
def pupil_detail(request, pk):
    pupil = get_object_or_404(Pupil.objects.select_related("group", "school"), pk=pk)
    if not request.user.has_perm("registers.view_pupil", pupil):
        raise Http404("No pupil found.")
    period = academic_year_period(pupil.school, request.GET.get("academic_year"))
    figures = pupil_figures(
        school=pupil.school,
        date_from=period.date_from,
        date_to=period.date_to,
        pupils=[pupil.pk],
        include_subsidiary=True,
    ).get(pupil.pk, AttendanceFigures())
    marks = list(pupil_marks(pupil=pupil, date_from=period.date_from, date_to=period.date_to))
    # The key to the calendar strip: every code used this year, most frequent first.
    counts = Counter(m.code_id for m in marks)
    codes = {m.code_id: m.code for m in marks}
    codes_used = [(codes[i], n) for i, n in sorted(counts.items(), key=lambda i: (-i[1], codes[i[0]].code))]
    details = request.user.has_perm("registers.view_pupil_details", pupil)
    answers = pupil_page_panels.send(sender=Pupil, pupil=pupil, request=request)
    panels = sorted((panel for _, panel in answers if panel is not None), key=lambda panel: panel.order)
    return render(
        request,
        "registers/pupil_detail.html",
        {
            "pupil": pupil,
            "year_label": year_label(pupil.year),
            "group_differs": pupil.group is not None and pupil.group.name != year_label(pupil.year),
            "period": period,
            "years": academic_year_choices(pupil.school),
            "figures": figures,
            "codes_used": codes_used,
            "strips": calendar_strip(pupil, period, marks),
            "weekdays": WEEKDAYS,
            "histories": marks_history(pupil, period),
            "enrolments": pupil.enrolments.all(),
            "deletions": pupil.register_deletions.all(),
            "can_manage_roll": request.user.has_perm("registers.manage_roll", pupil),
            "on_roll": pupil.enrolments.filter(leaving_date__isnull=True).exists(),
            "show_details": details,
            "contacts": pupil.contacts.all() if details else [],
            "back_url": reverse("pupil-list") if request.user.has_perm("registers.view_pupil_list") else None,
            "panels": panels,
        },
    )
