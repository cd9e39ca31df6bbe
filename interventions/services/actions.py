"""What the attendance team does on a case, recorded as an action (a call, a meeting, a
letter, a task for a role), with the pupil's figures on the day it was done."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registers.models import Staff

from ..models import Action, Alert, Case, TaskKind
from ..selectors.figures import year_to_date_figures


def record_action(
    *,
    case: Case,
    kind: str,
    user=None,
    on: dt.date | None = None,
    description: str = "",
    role: str = "",
    assigned_to: Staff | None = None,
    due_on: dt.date | None = None,
    done_on: dt.date | None = None,
    outcome: str = "",
    letter_template: str = "",
    alert: Alert | None = None,
) -> Action:
    if kind not in TaskKind.values:
        raise ValidationError(f"'{kind}' is not a kind of action.")
    on = on or timezone.localdate()
    return Action.objects.create(
        case=case,
        kind=kind,
        description=description,
        role=role,
        assigned_to=assigned_to,
        due_on=due_on,
        done_on=done_on,
        outcome=outcome,
        letter_template=letter_template,
        alert=alert,
        figures=year_to_date_figures(case.pupil, done_on or on),
        created_by=user,
    )


@transaction.atomic
def complete_action(*, action: Action, done_on: dt.date, outcome: str) -> Action:
    action.done_on, action.outcome = done_on, outcome
    action.figures = year_to_date_figures(action.case.pupil, done_on)
    action.save()
    return action
