"""The 2024 regulations' ground "failed to attend within 10 school days immediately after a granted
leave of absence ended" (RULES.md): pupils on roll whose last granted leave is followed by ten
school days (school days, not calendar days: half-terms and bank holidays do not count) on which
every session is coded G, N or O. A prompt for the joint enquiries with the LA; the deletion itself
is the office's decision (registers.leaving)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from registers.models import Enrolment, Mark, Pupil, SchoolDay

from ..models import LeaveRequest

SCHOOL_DAYS_TO_RETURN = 10


@dataclass
class NotReturned:
    pupil: Pupil
    leave: LeaveRequest
    leave_ended: dt.date
    tenth_day: dt.date  # the last of the ten school days the pupil did not come back in


def _latest_granted_leave(school, on: dt.date, pupils=None) -> dict[int, LeaveRequest]:
    """Each pupil's most recent granted leave that ended before `on`."""
    leaves = LeaveRequest.objects.filter(
        school=school, status=LeaveRequest.Status.GRANTED, granted_end_date__lt=on
    ).select_related("pupil__group")
    if pupils is not None:
        leaves = leaves.filter(pupil__in=pupils)
    latest: dict[int, LeaveRequest] = {}
    for leave in leaves.order_by("granted_end_date"):
        latest[leave.pupil_id] = leave
    return latest


def not_returned_after_leave(school, on: dt.date | None = None, pupils=None) -> list[NotReturned]:
    """Pupils on roll on `on` who meet the ground: the ten school days after their granted leave
    ended are all on or before `on`, and every one of those twenty sessions is coded G, N or O (a
    present mark, an authorised absence such as illness, or a session not yet recorded, is not
    "failing to attend" on the record)."""
    on = on or timezone.localdate()
    latest = _latest_granted_leave(school, on, pupils)
    if not latest:
        return []
    on_roll = set(
        Enrolment.objects.filter(pupil_id__in=latest, admission_date__lte=on)
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gte=on))
        .exclude(registration=Enrolment.Registration.SUBSIDIARY)
        .values_list("pupil_id", flat=True)
    )
    earliest = min(leave.granted_end_date for leave in latest.values())
    days = list(
        SchoolDay.objects.filter(school=school, date__gt=earliest, date__lte=on)
        .order_by("date")
        .values_list("date", flat=True)
    )
    windows = {}
    for pupil_id, leave in latest.items():
        after = [d for d in days if d > leave.granted_end_date][:SCHOOL_DAYS_TO_RETURN]
        if pupil_id in on_roll and len(after) == SCHOOL_DAYS_TO_RETURN:
            windows[pupil_id] = after
    if not windows:
        return []
    marks: dict[int, dict[dt.date, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for pupil_id, day, counts in Mark.objects.filter(
        pupil_id__in=windows, date__range=(min(w[0] for w in windows.values()), on)
    ).values_list("pupil_id", "date", "code__deletion_ground"):
        marks[pupil_id][day].append(counts)
    found = []
    for pupil_id, window in windows.items():
        by_day = marks[pupil_id]
        if all(len(by_day.get(day, [])) == 2 and all(by_day[day]) for day in window):
            leave = latest[pupil_id]
            found.append(NotReturned(leave.pupil, leave, leave.granted_end_date, window[-1]))
    return sorted(found, key=lambda r: (r.pupil.legal_surname, r.pupil.legal_forename))


def leave_ground_problem(pupil: Pupil, on: dt.date) -> str | None:
    """The check registers.leaving runs before recording this ground (None when it is met)."""
    if not_returned_after_leave(pupil.school, on, pupils=[pupil.pk]):
        return None
    return (
        f"{pupil.name} does not meet this ground on {on:%d %b %Y}: it needs a granted leave of absence that "
        f"has ended, followed by {SCHOOL_DAYS_TO_RETURN} school days on which every session is coded G, N or O."
    )
