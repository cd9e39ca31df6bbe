"""The officer's decision on an alert the checks raised: accepting it carries out what it
proposes (the case step, a task, a letter action, a monitoring period), never twice for the
same alert; dismissing it records the reason."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from registers.models import Enrolment, Pupil, Staff
from registers.selectors import pupils_on_roll

from ..models import Action, Alert, Case, CaseStep, LadderStage, TaskKind
from ..selectors.figures import year_to_date_figures
from .actions import record_action
from .cases import open_case, set_stage
from .monitoring import review_monitoring, start_monitoring


def accept_alert(
    *, alert: Alert, user=None, on: dt.date | None = None, owner: Staff | None = None, choose: list[int] | None = None
) -> Case:
    """Accept an alert: open (or reuse) the pupil's case and carry out the chosen proposals
    (all, by default): the stage step, a task for the named role, a letter, a monitoring period.
    Accepting twice does nothing more."""
    on = on or timezone.localdate()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("pupil__school", "rule").get(pk=alert.pk)
        if alert.status == Alert.Status.DISMISSED:
            raise ValidationError("This alert was dismissed.")
        if alert.status == Alert.Status.ACCEPTED and alert.case_id:
            return alert.case
        refuse_unless_on_roll(alert.pupil, on)
        case = open_case(pupil=alert.pupil, on=on, owner=owner, user=user)
        if owner and case.owner_id is None:
            case.owner = owner
            case.save()
        CaseStep.objects.get_or_create(
            case=case,
            alert=alert,
            kind=CaseStep.Kind.ALERT,
            defaults={
                "date": on,
                "note": alert.rule.name,
                "figures": year_to_date_figures(alert.pupil, on),
                "created_by": user,
            },
        )
        chosen = alert.proposals if choose is None else [p for i, p in enumerate(alert.proposals) if i in choose]
        for proposal in chosen:
            kind = proposal["type"]
            if kind == "stage":
                stage = LadderStage.objects.filter(pk=proposal["stage_id"]).first()
                if stage:
                    set_stage(case=case, stage=stage, on=on, user=user, alert=alert)
            elif kind == "task":
                assignee = (
                    Staff.objects.filter(school=case.school, position=proposal["role"]).order_by("pk").first()
                    if proposal.get("role")
                    else None
                )
                _action_once(
                    case=case,
                    alert=alert,
                    kind=proposal["kind"],
                    description=proposal.get("description", ""),
                    role=proposal.get("role", ""),
                    assigned_to=assignee,
                    due_on=on + dt.timedelta(days=7),
                    user=user,
                    on=on,
                )
            elif kind == "letter":
                _action_once(
                    case=case,
                    alert=alert,
                    kind=TaskKind.LETTER,
                    description=proposal["label"],
                    letter_template=proposal["template"],
                    role="attendance_officer",
                    due_on=on,
                    user=user,
                    on=on,
                )
            elif kind == "monitoring":
                start_monitoring(case=case, weeks=proposal["weeks"], start=on, alert=alert)
        if alert.monitoring_period_id:
            period = alert.monitoring_period
            if period.reviewed_on is None:
                review_monitoring(period=period, on=on, outcome=alert.evidence.get("outcome"))
        alert.status, alert.case = Alert.Status.ACCEPTED, case
        alert.decided_by, alert.decided_at = user, timezone.now()
        alert.save()
    return case


def refuse_unless_on_roll(pupil: Pupil, on: dt.date) -> None:
    """Nothing is proposed for, or sent to the family of, a pupil who is not on roll: accepting
    an alert about them would create tasks and letters after they left."""
    if pupils_on_roll(school=pupil.school, date_from=on, date_to=on).filter(pk=pupil.pk).exists():
        return
    left = (
        Enrolment.objects.filter(pupil=pupil, admission_date__lte=on, leaving_date__lt=on)
        .order_by("-leaving_date")
        .values_list("leaving_date", flat=True)
        .first()
    )
    when = f"left the school on {left:%d %B %Y}" if left else f"is not on roll on {on:%d %B %Y}"
    raise ValidationError(
        f"{pupil.name} {when}: nothing more is proposed or sent to the family. Close the case if it is still open."
    )


def _action_once(*, case, alert, kind, letter_template="", **fields) -> Action:
    existing = Action.objects.filter(alert=alert, kind=kind, letter_template=letter_template).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return record_action(case=case, alert=alert, kind=kind, letter_template=letter_template, **fields)
    except IntegrityError:
        return Action.objects.get(alert=alert, kind=kind, letter_template=letter_template)


@transaction.atomic
def dismiss_alert(*, alert: Alert, reason: str, user=None) -> Alert:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Please give a reason for dismissing the alert.")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.NEW:
        raise ValidationError(f"This alert has already been {alert.get_status_display().lower()}.")
    alert.status, alert.dismiss_reason = Alert.Status.DISMISSED, reason
    alert.decided_by, alert.decided_at = user, timezone.now()
    alert.save()
    return alert
