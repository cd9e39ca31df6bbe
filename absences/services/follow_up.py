"""The office's follow-up of unexplained absence: N codes replaced once the reason is known, and
every contact attempt, safe-and-well decision and referral (CME, social care, the LA) on record."""

from __future__ import annotations

from django.utils import timezone

from registers.models import Mark
from registers.services import Actor, MarkEntry, MarkValidationError, record_marks

from ..models import ContactAttempt
from ..permissions import require_office
from .decisions import short_reason
from .errors import AbsenceError

# Codes the office may use to resolve an N.
RESOLVE_CODES = ("I", "M", "R", "C", "C1", "J1", "S", "C2", "T", "E", "O", "G", "U", "/", "L", "B", "V", "P", "W", "K")


def resolve_n_marks(*, school, user, mark_ids, code: str, reason: str) -> list[Mark]:
    """Replace N marks with the code now known (or O), with the reason recorded."""
    require_office(user, school)
    code = (code or "").strip().upper()
    if code not in RESOLVE_CODES:
        raise AbsenceError("Choose the code that replaces the N.", "code")
    if not reason.strip():
        raise AbsenceError("Please record why (for example who told you and how).", "reason")
    marks = list(Mark.objects.filter(school=school, pk__in=mark_ids, code__code="N"))
    if not marks:
        raise AbsenceError("Choose at least one N to resolve.", "marks")
    entries = [
        MarkEntry(pupil_id=m.pupil_id, date=m.date, session=m.session, code=code, reason=short_reason(reason))
        for m in marks
    ]
    try:
        result = record_marks(
            school=school,
            entries=entries,
            actor=Actor.for_user(user),
            source=Mark.Source.OFFICE,
            reason=short_reason(reason),
        )
    except MarkValidationError as exc:
        raise AbsenceError(str(exc))
    return result.amended


def log_contact_attempt(
    *,
    pupil,
    user,
    absence_date,
    action,
    outcome,
    channel=ContactAttempt.Channel.PHONE,
    contact=None,
    notes="",
    decision="",
    rationale="",
    now=None,
) -> ContactAttempt:
    require_office(user, pupil.school)
    if contact is not None and contact.pupil_id != pupil.pk:
        raise AbsenceError("That contact is not one of this pupil's contacts.", "contact")
    needs_rationale = action in (
        ContactAttempt.Action.PREPARE_VISIT,
        ContactAttempt.Action.HOME_VISIT,
        ContactAttempt.Action.REFERRAL,
        ContactAttempt.Action.CME_REFERRAL,
        ContactAttempt.Action.DELETION_REVIEW,
    )
    if needs_rationale and not (decision.strip() and rationale.strip()):
        raise AbsenceError("Record the decision and the rationale for it.", "rationale")
    actor = Actor.for_user(user)
    attempt = ContactAttempt(
        school=pupil.school,
        pupil=pupil,
        absence_date=absence_date,
        action=action,
        contact=contact,
        channel=channel,
        outcome=outcome,
        notes=notes.strip(),
        decision=decision.strip(),
        rationale=rationale.strip(),
        made_by=user,
        made_by_name=actor.name,
        made_by_position=actor.position,
        made_at=now or timezone.now(),
    )
    attempt._history_user = user
    attempt.save()
    return attempt
