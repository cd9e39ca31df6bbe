"""Support plans and their SMART targets: a plan is an action with targets, each saying what
will change, how it is measured and by when."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registers.models import Staff

from ..models import Action, Case, SupportTarget, TaskKind
from .actions import record_action


@transaction.atomic
def add_support_targets(*, action: Action, targets: list[dict]) -> list[SupportTarget]:
    """SMART targets: each says what (specific), how it is measured and by when; a target due
    before the plan was made cannot be met."""
    if action.kind != TaskKind.SUPPORT_PLAN:
        raise ValidationError("Targets belong to a support plan.")
    if not targets:
        raise ValidationError("Add at least one target.")
    plan_date = action.done_on or (timezone.localdate(action.created_at) if action.created_at else None)
    problems = []
    for i, t in enumerate(targets, start=1):
        if not (t.get("specific") or "").strip() or not (t.get("measure") or "").strip():
            problems.append(f"Target {i}: say what will change and how it will be measured.")
        if t.get("due_on") is None:
            problems.append(f"Target {i}: give the date it is reviewed by.")
        elif plan_date and t["due_on"] < plan_date:
            problems.append(f"Target {i}: the review date is before the plan was made ({plan_date:%d %b %Y}).")
    if problems:
        raise ValidationError(problems)
    return [SupportTarget.objects.create(action=action, **t) for t in targets]


@transaction.atomic
def add_support_plan(
    *, case: Case, on: dt.date, description: str, targets: list[dict], user=None, assigned_to: Staff | None = None
) -> Action:
    """A support plan and its SMART targets, together (a plan without targets is not a plan)."""
    if not Case.objects.filter(pk=case.pk, status=Case.Status.OPEN).exists():
        raise ValidationError("The case is closed: reopen it first.")
    plan = record_action(
        case=case,
        kind=TaskKind.SUPPORT_PLAN,
        user=user,
        on=on,
        done_on=on,
        description=description,
        assigned_to=assigned_to,
    )
    add_support_targets(action=plan, targets=targets)
    return plan


@transaction.atomic
def record_target_outcome(*, target: SupportTarget, met: bool | None) -> SupportTarget:
    """Met, not met, or back to in progress (None)."""
    if met not in (True, False, None):
        raise ValidationError("A target is met, not met or in progress.")
    target.met = met
    target.save()
    return target
