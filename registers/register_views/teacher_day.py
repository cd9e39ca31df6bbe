"""A teacher's day: every register of today (a morning one left untaken stays, after it closes,
until it is taken) and the next session's, each saying plainly whether it is taken, with the
office's reminders as they stand now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import timing
from ..models import AM, PM, Register, RegistrationGroup, Staff
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
    taken: bool = False
    may_take: bool = False  # the teacher may record marks in it now

    @property
    def closed(self) -> bool:
        return self.state == timing.State.CLOSED


def slots_for_today(school, now, times) -> list[tuple[dt.date, str]]:
    """Today's two sessions (if today is a school day) and the next session the teacher will take."""
    slots = sessions_to_show(school, now, times)
    today = timezone.localtime(now).date()
    if any(day == today for day, _ in slots):
        slots = [(today, AM), (today, PM)] + [slot for slot in slots if slot[0] != today]
    return slots


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
    slots = slots_for_today(school, now, times)
    wanted = [(g, d, s) for d, s in slots for g in groups]
    registers = open_registers(school=school, wanted=wanted, user=request.user)
    items = []
    for group, day, session in wanted:
        register = registers[(group.pk, day, session)]
        rt = times.get((group.phase, session))
        taken = register.state != Register.State.NOT_TAKEN
        state = timing.state(rt, day, now, taken=taken) if rt is not None else None
        may_take = rt is not None and not taken and timing.teacher_may_add_marks(rt, day, now)
        items.append(
            TodayItem(register, group, state, rt.closes if rt else None, rt.opens if rt else None, taken, may_take)
        )
    context = {
        "items": items,
        "slots": slots,
        "office": office,
        "reminders": unread_for(request.user, now=now),
        "now": timezone.localtime(now),
        "school": school,
    }
    return render(request, "registers/today.html", context)


@login_required
@require_POST
def dismiss_notification(request, pk):
    mark_read(user=request.user, notification_id=pk)
    return redirect("registers:today")
