"""Why a pupil may be out of a lesson, as families told the school: a parent's report covering the
session (waiting, queried or accepted — a declined or withdrawn one is no reason) and leave the
head granted. Lessons asks through `registers.signals.known_reasons` before raising an
internal-truancy alert; this module answers."""

from __future__ import annotations

import datetime as dt

from ..models import AbsenceReport, LeaveRequest, describe_period, session_index


def known_reasons(*, school, day: dt.date, session: str, pupil_ids) -> dict[int, str]:
    """{pupil_id: the reason, as a sentence} for the pupils among `pupil_ids` with one (two queries)."""
    pupil_ids = list(pupil_ids)
    if not pupil_ids:
        return {}
    found: dict[int, str] = {}
    reports = (
        AbsenceReport.objects.filter(school=school, pupil_id__in=pupil_ids, start_date__lte=day, end_date__gte=day)
        .exclude(status__in=(AbsenceReport.Status.DECLINED, AbsenceReport.Status.WITHDRAWN))
        .order_by("created_at")
    )
    for report in reports:
        if report.covers(day, session):
            found.setdefault(
                report.pupil_id, f"Parent's report ({report.get_reason_display().lower()}): {report.period_text}"
            )
    leave = LeaveRequest.objects.filter(
        school=school,
        pupil_id__in=pupil_ids,
        status=LeaveRequest.Status.GRANTED,
        granted_start_date__lte=day,
        granted_end_date__gte=day,
    )
    wanted = session_index(day, session)
    for request in leave:
        start = session_index(request.granted_start_date, request.granted_start_session or "AM")
        end = session_index(request.granted_end_date, request.granted_end_session or "PM")
        if start <= wanted <= end:
            period = describe_period(
                request.granted_start_date,
                request.granted_start_session or "AM",
                request.granted_end_date,
                request.granted_end_session or "PM",
            )
            circumstance = request.get_circumstance_display().lower()
            found.setdefault(request.pupil_id, f"Leave granted ({circumstance}): {period}")
    return found


def answer_known_reasons(sender, *, school, date, session, pupil_ids, **kwargs) -> dict[int, str]:
    return known_reasons(school=school, day=date, session=session, pupil_ids=pupil_ids)
