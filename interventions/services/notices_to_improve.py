"""Notices to improve (national framework, 2024): issued to a parent with parental
responsibility, with an improvement period of 3 to 6 weeks, then an outcome."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from registers.models import Contact

from ..models import Case, NoticeToImprove


@transaction.atomic
def issue_notice_to_improve(
    *,
    case: Case,
    parent: Contact,
    issued_on: dt.date,
    weeks: int,
    record_summary: str,
    support_offered: str,
    sufficient_improvement: str,
    further_support: str = "",
) -> NoticeToImprove:
    if not NoticeToImprove.MIN_WEEKS <= weeks <= NoticeToImprove.MAX_WEEKS:
        raise ValidationError(f"The improvement period is 3 to 6 weeks; {weeks} weeks is outside it.")
    if parent.pupil_id != case.pupil_id:
        raise ValidationError("The parent must be a contact of the case's pupil.")
    if not parent.parental_responsibility:
        raise ValidationError(f"{parent} does not have parental responsibility.")
    if case.status != Case.Status.OPEN:
        raise ValidationError("The case is closed: reopen it first.")
    if not support_offered.strip() or not sufficient_improvement.strip():
        raise ValidationError("Say what support has been offered and what sufficient improvement means.")
    return NoticeToImprove.objects.create(
        case=case,
        parent=parent,
        issued_on=issued_on,
        record_summary=record_summary,
        support_offered=support_offered,
        further_support=further_support,
        improvement_weeks=weeks,
        sufficient_improvement=sufficient_improvement,
        period_ends_on=issued_on + dt.timedelta(weeks=weeks),
    )


@transaction.atomic
def record_notice_outcome(*, notice: NoticeToImprove, outcome: str, on: dt.date, note: str = "") -> NoticeToImprove:
    if outcome not in NoticeToImprove.Outcome.values:
        raise ValidationError("The outcome is sufficient improvement or not.")
    if on < notice.period_ends_on:
        raise ValidationError(f"The improvement period runs until {notice.period_ends_on:%d %b %Y}.")
    notice.outcome, notice.outcome_on, notice.outcome_note = outcome, on, note
    notice.save()
    return notice
