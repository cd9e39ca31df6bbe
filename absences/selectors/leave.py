"""Leave requests as the head and the office see them: the facts for the head's decision, the
requests waiting and decided, and the marks during a request's dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from registers.models import Mark, SchoolDay
from registers.selectors import AttendanceFigures, pupil_figures

from ..follow_up_presets import policy_for
from ..models import AssessmentPeriod, LeaveRequest
from .school_days import year_range


def sessions_text(n: int) -> str:
    return f"{n} session{'' if n == 1 else 's'}"


@dataclass
class Fact:
    text: str
    concern: bool = False


def leave_facts(request: LeaveRequest, today: dt.date | None = None) -> list[Fact]:
    """The school's rules as facts about this pupil and this request, for the head to weigh;
    none of them decides anything by itself."""
    today = today or timezone.localdate()
    policy = policy_for(request.school)
    facts = []
    asked = timezone.localtime(request.created_at).date()
    notice = (request.start_date - asked).days
    facts.append(
        Fact(
            f"Requested {notice} days before the first day; the school's policy asks for {policy.leave_notice_days}.",
            notice < policy.leave_notice_days,
        )
    )
    sessions = (
        SchoolDay.objects.filter(school=request.school, date__range=(request.start_date, request.end_date)).count() * 2
        - (request.start_session == "PM")
        - (request.end_session == "AM")
    )
    facts.append(Fact(f"The request covers {sessions_text(sessions)} ({sessions / 2:g} school days)."))
    periods = AssessmentPeriod.objects.filter(
        school=request.school, start_date__lte=request.end_date, end_date__gte=request.start_date
    )
    for period in periods:
        facts.append(
            Fact(
                f"It overlaps {period}."
                + (
                    " The policy refuses leave during assessment periods."
                    if policy.refuse_leave_in_assessment_periods
                    else ""
                ),
                True,
            )
        )
    if not periods:
        facts.append(Fact("It does not overlap an assessment period."))
    start, end = year_range(request.school, today)
    figures = pupil_figures(
        school=request.school, date_from=start, date_to=end, pupils=[request.pupil_id], include_subsidiary=True
    ).get(request.pupil_id, AttendanceFigures())
    if figures.possible:
        limit = policy.leave_authorised_limit_percent
        text = (
            f"This year so far: attendance {figures.attendance_percent:.1f} %, authorised absence "
            f"{figures.authorised_percent:.1f} % ({sessions_text(figures.authorised)}), unauthorised absence "
            f"{figures.unauthorised_percent:.1f} % ({sessions_text(figures.unauthorised)})."
        )
        facts.append(Fact(text))
        if limit is not None:
            over = figures.authorised_percent > float(limit)
            facts.append(
                Fact(
                    f"Authorised absence is {'above' if over else 'within'} the policy's {limit} % limit.",
                    over,
                )
            )
        if figures.unauthorised:
            facts.append(
                Fact(
                    f"The record shows {sessions_text(figures.unauthorised)} of unauthorised absence this year."
                    + (" The policy refuses leave in that case." if policy.leave_refuse_if_unauthorised else ""),
                    policy.leave_refuse_if_unauthorised,
                )
            )
    else:
        facts.append(Fact("No attendance recorded yet this year."))
    others = LeaveRequest.objects.filter(pupil=request.pupil, status=LeaveRequest.Status.GRANTED).exclude(pk=request.pk)
    if others.exists():
        facts.append(Fact(f"{others.count()} earlier leave request(s) granted for this pupil."))
    if request.start_date <= today:
        facts.append(Fact("The first day has passed: leave can't be granted retrospectively.", True))
    return facts


def leave_requests_waiting(school):
    """Requests waiting for the head's decision, the soonest first."""
    return (
        LeaveRequest.objects.filter(school=school, status=LeaveRequest.Status.SUBMITTED)
        .select_related("pupil")
        .order_by("start_date")
    )


def leave_requests_decided(school):
    """The last 30 requests granted or refused."""
    return (
        LeaveRequest.objects.filter(school=school)
        .exclude(status=LeaveRequest.Status.SUBMITTED)
        .select_related("pupil")[:30]
    )


def marks_during(leave_request):
    """The pupil's marks from the first to the last day requested."""
    return Mark.objects.filter(
        pupil=leave_request.pupil, date__range=(leave_request.start_date, leave_request.end_date)
    ).select_related("code")
