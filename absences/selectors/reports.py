"""Absence reports as the office sees them: the ones waiting for a decision, the ones decided
lately, and which pupils a report covers for a given session."""

from __future__ import annotations

import datetime as dt

from ..models import AbsenceReport


def open_reports(school):
    return (
        AbsenceReport.objects.filter(school=school, status__in=AbsenceReport.OPEN)
        .select_related("pupil", "pupil__group", "contact")
        .prefetch_related("evidence")
        .order_by("start_date", "created_at")
    )


def recently_decided_reports(school):
    """The last 20 reports the office accepted or declined."""
    return (
        AbsenceReport.objects.filter(school=school).exclude(status__in=AbsenceReport.OPEN).select_related("pupil")[:20]
    )


def reports_waiting(school) -> int:
    """For dashboards: how many reports wait for the office."""
    return AbsenceReport.objects.filter(school=school, status=AbsenceReport.Status.SUBMITTED).count()


def reported_pupil_ids(*, school, day: dt.date, session: str) -> set[int]:
    """Pupils whose parent/carer has reported an absence covering this session (waiting,
    queried or accepted — not declined): the office does not need to chase them first."""
    reports = AbsenceReport.objects.filter(school=school, start_date__lte=day, end_date__gte=day).exclude(
        status__in=(AbsenceReport.Status.DECLINED, AbsenceReport.Status.WITHDRAWN)
    )
    return {report.pupil_id for report in reports if report.covers(day, session)}
