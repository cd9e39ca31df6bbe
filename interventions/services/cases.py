"""A pupil's case: opening it (or finding the open one), linking siblings as a family, its
stage on the ladder, its owner, closing and reopening it. Each step keeps the pupil's figures
as they stood, to show the effect of support."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from registers.models import Pupil, Staff

from ..models import Alert, Case, CaseStep, Family, LadderStage
from ..permissions import CASE_MANAGERS
from ..selectors.figures import year_to_date_figures


def open_case(*, pupil: Pupil, on: dt.date, owner: Staff | None = None, user=None) -> Case:
    """The pupil's open case, or a new one."""
    case = Case.objects.filter(pupil=pupil, status=Case.Status.OPEN).first()
    if case:
        return case
    with transaction.atomic():
        family = pupil.families.order_by("pk").first()
        case = Case.objects.create(school=pupil.school, pupil=pupil, owner=owner, opened_on=on, family=family)
        CaseStep.objects.create(
            case=case, kind=CaseStep.Kind.OPENED, date=on, figures=year_to_date_figures(pupil, on), created_by=user
        )
    return case


@transaction.atomic
def link_siblings(*, pupils: list[Pupil], name: str) -> Family:
    """Siblings worked together: one family, shared by their cases (open ones now, new ones later)."""
    schools = {p.school_id for p in pupils}
    if len(pupils) < 2 or len(schools) != 1:
        raise ValidationError("A family links two or more pupils of the same school.")
    family = Family.objects.create(school_id=schools.pop(), name=name)
    family.pupils.set(pupils)
    for case in Case.objects.filter(pupil__in=pupils, status=Case.Status.OPEN, family__isnull=True):
        case.family = family
        case.save()
    return family


@transaction.atomic
def set_stage(*, case: Case, stage: LadderStage, on: dt.date, user=None, alert: Alert | None = None, note="") -> None:
    case.stage = stage
    case.save()
    values = {
        "date": on,
        "stage": stage,
        "note": note,
        "figures": year_to_date_figures(case.pupil, on),
        "created_by": user,
    }
    if alert is None:
        CaseStep.objects.create(case=case, kind=CaseStep.Kind.STAGE, **values)
    else:
        CaseStep.objects.get_or_create(case=case, kind=CaseStep.Kind.STAGE, alert=alert, defaults=values)


CLOSE_OUTCOMES = {
    "improved": "Attendance improved",
    "left": "The pupil left the school",
    "local_authority": "Passed to the local authority",
    "legal": "Legal intervention concluded",
    "other": "Other",
}


@transaction.atomic
def close_case(*, case: Case, on: dt.date, outcome: str, reason: str, user=None) -> Case:
    """Close with an outcome and a reason, kept on a closing step with the figures then."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.OPEN:
        raise ValidationError("This case is already closed.")
    if outcome not in CLOSE_OUTCOMES:
        raise ValidationError("Choose the outcome of the case.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the case is being closed.")
    if on < case.opened_on:
        raise ValidationError(f"A case cannot close before it opened ({case.opened_on:%d %b %Y}).")
    case.status, case.closed_on = Case.Status.CLOSED, on
    case.save()
    CaseStep.objects.create(
        case=case,
        kind=CaseStep.Kind.CLOSED,
        date=on,
        note=f"{CLOSE_OUTCOMES[outcome]}: {reason}",
        figures=year_to_date_figures(case.pupil, on),
        created_by=user,
    )
    return case


@transaction.atomic
def reopen_case(*, case: Case, on: dt.date, reason: str, user=None) -> Case:
    """Reopen a closed case (a pupil has one open case at a time), with the reason on a step."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.CLOSED:
        raise ValidationError("This case is open.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the case is being reopened.")
    if Case.objects.filter(pupil=case.pupil_id, status=Case.Status.OPEN).exists():
        raise ValidationError(f"{case.pupil.name} already has an open case: add to that one instead.")
    if case.closed_on and on < case.closed_on:
        raise ValidationError(f"The case closed on {case.closed_on:%d %b %Y}; it cannot reopen before then.")
    case.status, case.closed_on = Case.Status.OPEN, None
    case.save()
    CaseStep.objects.create(
        case=case,
        kind=CaseStep.Kind.OPENED,
        date=on,
        note=f"Reopened: {reason}",
        figures=year_to_date_figures(case.pupil, on),
        created_by=user,
    )
    return case


@transaction.atomic
def set_case_owner(*, case: Case, owner: Staff | None) -> Case:
    """Hand the case to a member of staff of the school who works cases (or to nobody)."""
    if owner is not None and (owner.school_id != case.school_id or owner.position not in CASE_MANAGERS):
        raise ValidationError("The owner must be a member of the school's attendance team who works cases.")
    case.owner = owner
    case.save()
    return case
