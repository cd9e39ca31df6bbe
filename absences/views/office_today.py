"""The office's "today's attendance" page: this session's register figures by year and group,
every `N`, and every unexplained absence no parent/carer has reported — the list the first-day
calls start from. It lives here, above the register, because it joins the register's marks with
what families have told the school."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from registers import timing
from registers.models import AM, PM
from registers.permissions import is_office_team, require_school
from registers.register_selectors import session_attendance, session_under_way

from ..selectors import reported_pupil_ids


@login_required
def office_today(request):
    """Today's attendance for one session (the one under way unless chosen with `?session=`)."""
    if not (request.user.is_superuser or is_office_team(request.user)):
        raise PermissionDenied("This page is for the school office.")
    school = require_school(request)
    now = timing.now()
    day = timezone.localtime(now).date()
    session = request.GET.get("session", "").upper()
    if session not in (AM, PM):
        session = session_under_way(school, now)
    attendance = session_attendance(school=school, day=day, session=session)
    # "Absent with no parent report": an unexplained absence code (N, O, G or U) this session
    # and no report from a parent/carer covering it.
    reported = reported_pupil_ids(school=school, day=day, session=session)
    context = {
        "day": day,
        "session": session,
        "groups": attendance.groups,
        "years": attendance.years,
        "totals": attendance.totals,
        "n_pupils": attendance.n_marks,
        "no_report": [m for m in attendance.unexplained if m.pupil_id not in reported],
        "now": timezone.localtime(now),
        "nav_section": "office-registers",  # in the staff menu it is one of the office's register pages
    }
    return render(request, "absences/office_today.html", context)
