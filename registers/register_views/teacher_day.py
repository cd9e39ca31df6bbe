"""A teacher's day: this session's and the next session's registers of their groups, with their
state and closing time, and the office's reminders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import timing
from ..models import Register, RegistrationGroup, Staff
from ..notifications import mark_read, unread_for
from ..permissions import is_office_team, require_school, staff_of
from ..register_selectors import register_times_by_phase, sessions_to_show
from ..services import open_registers


@dataclass
class TodayItem:
    register: Register
    group: RegistrationGroup
    state: timing.State | None
    closes: dt.time | None
    opens: dt.time | None


@login_required
def today(request):
    staff = staff_of(request.user)
    now = timing.now()
    office = bool(request.user.is_superuser or is_office_team(request.user))
    school = require_school(request)
    if staff is not None and staff.position in (Staff.Position.GOVERNOR, Staff.Position.TRUST_LEADER):
        raise PermissionDenied("Registers are for staff who take or manage them.")
    groups = list(staff.groups.filter(school=school).order_by("year", "name")) if staff is not None else []
    times = register_times_by_phase(school)
    slots = sessions_to_show(school, now, times)
    wanted = [(g, d, s) for d, s in slots for g in groups]
    registers = open_registers(school=school, wanted=wanted, user=request.user)
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
