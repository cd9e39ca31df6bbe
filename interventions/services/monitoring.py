"""Monitoring periods: a number of school weeks from a start date, against a baseline of the
pupil's figures the day before; reviewed at the end, improved or not."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from registers.selectors import pupil_figures

from ..evaluation.context import figures_dict
from ..models import Alert, Case, MonitoringPeriod
from ..selectors.figures import add_school_weeks, year_to_date_figures


def start_monitoring(*, case: Case, weeks: int, start: dt.date, alert: Alert | None = None) -> MonitoringPeriod:
    """A monitoring period from `start` for `weeks` school weeks; its review date is the end.
    The baseline is the pupil's year-to-date figures on the day before it starts."""
    if not 1 <= weeks <= 12:
        raise ValidationError("A monitoring period is between 1 and 12 weeks.")
    if alert is not None:
        existing = MonitoringPeriod.objects.filter(alert=alert).first()
        if existing:
            return existing
    return MonitoringPeriod.objects.create(
        case=case,
        start=start,
        weeks=weeks,
        review_on=add_school_weeks(case.school, start, weeks),
        baseline=year_to_date_figures(case.pupil, start - dt.timedelta(days=1)),
        alert=alert,
    )


@transaction.atomic
def review_monitoring(*, period: MonitoringPeriod, on: dt.date, outcome: str | None = None) -> MonitoringPeriod:
    figures = pupil_figures(
        school=period.case.school,
        date_from=period.start,
        date_to=min(on, period.review_on),
        pupils=[period.case.pupil_id],
    )
    period.result = figures_dict(figures.get(period.case.pupil_id))
    if outcome is None:
        base, now = period.baseline.get("attendance_percent"), period.result.get("attendance_percent")
        outcome = "improved" if now is not None and (base is None or now > base or now == 100) else "not_improved"
    period.outcome, period.reviewed_on = outcome, on
    period.save()
    return period
