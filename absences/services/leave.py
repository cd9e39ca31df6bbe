"""Leave of absence: a parent's request, the head's (or named delegate's) decision, which
pre-enters the granted sessions through the register service, and refused leave later taken.
Each decision sends `absences.signals.leave_decided` for the letters app."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from registers.models import AM, PM, AttendanceCode, Mark
from registers.services import Actor, MarkEntry, MarkValidationError, record_marks

from ..emails import email_parent
from ..follow_up_presets import policy_for
from ..models import LeaveRequest
from ..permissions import can_decide_leave, require_office
from ..signals import leave_decided
from .decisions import short_reason, stamp_decision
from .errors import AbsenceError
from .periods import check_period, day_text, sessions_between
from .submissions import MAX_FILES, own_children, save_evidence

CAT = AttendanceCode.Category


@dataclass
class LeaveInput:
    start_date: dt.date
    start_session: str
    end_date: dt.date
    end_session: str
    circumstance: str
    reason: str


def submit_leave_request(
    *, user, pupils, data: LeaveInput, submission_key: uuid.UUID, files=(), today: dt.date | None = None
) -> tuple[list[LeaveRequest], bool]:
    today = today or timezone.localdate()
    existing = list(LeaveRequest.objects.filter(submission_key=submission_key, submitted_by=user))
    if existing:
        return existing, False
    children = own_children(user, pupils)
    school = children[0][0].school
    if data.start_date <= today:
        raise AbsenceError(
            "Leave of absence can only be agreed in advance: please choose a first day after today. "
            "If your child is already absent, please report the absence instead.",
            "start_date",
        )
    check_period(school, data.start_date, data.start_session, data.end_date, data.end_session)
    if data.circumstance not in LeaveRequest.Circumstance.values:
        raise AbsenceError("Please choose the reason for the leave.", "circumstance")
    if not data.reason.strip():
        raise AbsenceError("Please explain the circumstances.", "reason")
    policy = policy_for(school)
    if len(files) > MAX_FILES:
        raise AbsenceError(f"Please attach no more than {MAX_FILES} files.", "evidence")
    try:
        with transaction.atomic():
            requests = []
            for pupil, contact in children:
                request = LeaveRequest(
                    school=school,
                    pupil=pupil,
                    contact=contact,
                    submitted_by=user,
                    submission_key=submission_key,
                    **data.__dict__,
                )
                request._change_reason = "requested by parent"
                request.save()
                requests.append(request)
            save_evidence(
                school=school,
                uploads=files,
                user=user,
                max_mb=policy.max_evidence_mb,
                targets=[{"leave_request": r} for r in requests],
            )
            email_parent(
                user, "absences/email/leave_received.txt", "We have your leave of absence request", requests=requests
            )
    except IntegrityError:
        existing = list(LeaveRequest.objects.filter(submission_key=submission_key, submitted_by=user))
        if existing:
            return existing, False
        raise
    return requests, True


def _session_started(day: dt.date, session: str, now: dt.datetime) -> bool:
    local = timezone.localtime(now)
    today = local.date()
    if day != today:
        return day < today
    return session == AM or local.hour >= 12


def grant_leave(
    *,
    leave_request: LeaveRequest,
    user,
    start_date=None,
    start_session=None,
    end_date=None,
    end_session=None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> list[Mark]:
    """Grant all or part of the request. Never retrospective: every granted session must be
    still to come. Writes the 2024 code for the circumstance to each granted session."""
    now = now or timezone.now()
    if not can_decide_leave(user, leave_request.school):
        raise PermissionDenied("Only the headteacher or the school's named delegate can decide leave.")
    r = leave_request
    start_date, start_session = start_date or r.start_date, start_session or r.start_session
    end_date, end_session = end_date or r.end_date, end_session or r.end_session
    check_period(r.school, start_date, start_session, end_date, end_session)
    if not (r.covers(start_date, start_session) and r.covers(end_date, end_session)):
        raise AbsenceError("The leave granted must fall within the dates requested.", "start_date")
    if _session_started(start_date, start_session, now):
        raise AbsenceError(
            f"Leave can't be granted retrospectively: {day_text(start_date)} {start_session} has already begun. "
            "Grant only the sessions still to come.",
            "start_date",
        )
    code = LeaveRequest.CODES[r.circumstance]
    with transaction.atomic():
        r = LeaveRequest.objects.select_for_update().select_related("pupil", "school").get(pk=r.pk)
        if r.status != LeaveRequest.Status.SUBMITTED:
            raise AbsenceError(f"This request was already {r.get_status_display().lower()}.")
        sessions = sessions_between(r.school, r.pupil, start_date, start_session, end_date, end_session)
        why = short_reason(f"Leave request #{r.pk} granted: {r.get_circumstance_display()}")
        entries = [MarkEntry(pupil_id=r.pupil_id, date=d, session=s, code=code, reason=why) for d, s in sessions]
        actor = Actor.for_user(user)
        try:
            result = record_marks(
                school=r.school, entries=entries, actor=actor, source=Mark.Source.LEAVE_DECISION, reason=why, now=now
            )
        except MarkValidationError as exc:
            raise AbsenceError(f"The register refused the marks: {exc}")
        r.status = LeaveRequest.Status.GRANTED
        r.granted_start_date, r.granted_start_session = start_date, start_session
        r.granted_end_date, r.granted_end_session = end_date, end_session
        r.code = code
        r.decision_reason = reason.strip()
        r.decided_by_name, r.decided_by_position = actor.name, actor.position
        stamp_decision(r, user, f"granted with code {code}")
        r.save()
        email_parent(r.submitted_by, "absences/email/leave_decided.txt", "Your leave of absence request", request=r)
        transaction.on_commit(lambda: leave_decided.send(sender=LeaveRequest, leave_request=r))
    return result.created + result.amended


def refuse_leave(*, leave_request: LeaveRequest, user, reason: str) -> LeaveRequest:
    if not can_decide_leave(user, leave_request.school):
        raise PermissionDenied("Only the headteacher or the school's named delegate can decide leave.")
    if not reason.strip():
        raise AbsenceError("Please give the reason for refusing; the parent will see it.", "reason")
    with transaction.atomic():
        r = LeaveRequest.objects.select_for_update().get(pk=leave_request.pk)
        if r.status != LeaveRequest.Status.SUBMITTED:
            raise AbsenceError(f"This request was already {r.get_status_display().lower()}.")
        actor = Actor.for_user(user)
        r.status = LeaveRequest.Status.REFUSED
        r.decision_reason = reason.strip()
        r.decided_by_name, r.decided_by_position = actor.name, actor.position
        stamp_decision(r, user, "refused")
        r.save()
        email_parent(r.submitted_by, "absences/email/leave_decided.txt", "Your leave of absence request", request=r)
        transaction.on_commit(lambda: leave_decided.send(sender=LeaveRequest, leave_request=r))
    return r


def leave_decision_letter_context(leave_request: LeaveRequest) -> dict:
    """Hook for the letters issue: the merge fields of a leave decision letter."""
    r = leave_request
    contact = r.contact
    return {
        "school": r.school,
        "pupil": r.pupil,
        "contact": contact,
        "salutation": f"Dear {contact.title} {contact.surname}".replace("  ", " ")
        if contact
        else "Dear parent or carer",
        "address": contact.address if contact else "",
        "requested_period": r.period_text,
        "circumstance": r.get_circumstance_display(),
        "decision": r.get_status_display(),
        "granted_period": r.granted_period_text,
        "code": r.code,
        "reason": r.decision_reason,
        "decided_by": r.decided_by_name,
        "decided_by_position": r.decided_by_position,
        "decided_at": r.decided_at,
    }


TAKEN_CODES = ("G", "O")


def record_refused_leave_taken(*, leave_request: LeaveRequest, user, code: str, today=None) -> list[Mark]:
    """The pupil was away for refused leave: code the past sessions of the request G (holiday not
    granted) or O, through the register service. Sessions where the pupil was present stay."""
    require_office(user, leave_request.school)
    today = today or timezone.localdate()
    r = LeaveRequest.objects.select_related("pupil", "school").get(pk=leave_request.pk)
    if r.status != LeaveRequest.Status.REFUSED:
        raise AbsenceError("Only refused leave can be recorded as taken.")
    if code not in TAKEN_CODES:
        raise AbsenceError("Choose G (holiday not granted) or O (other unauthorised absence).", "code")
    end = min(r.end_date, today)
    if end < r.start_date:
        raise AbsenceError("None of these sessions has happened yet.")
    last_session = r.end_session if end == r.end_date else PM
    sessions = sessions_between(r.school, r.pupil, r.start_date, r.start_session, end, last_session)
    existing = {
        (m.date, m.session): m
        for m in Mark.objects.filter(pupil=r.pupil, date__range=(r.start_date, end)).select_related("code")
    }
    why = f"Refused leave request #{r.pk} taken"
    entries = []
    for day, session in sessions:
        mark = existing.get((day, session))
        if mark is not None and mark.code.category != CAT.UNAUTHORISED:
            continue
        entries.append(MarkEntry(pupil_id=r.pupil_id, date=day, session=session, code=code, reason=why))
    try:
        result = record_marks(
            school=r.school, entries=entries, actor=Actor.for_user(user), source=Mark.Source.OFFICE, reason=why
        )
    except MarkValidationError as exc:
        raise AbsenceError(f"The register refused the marks: {exc}")
    return result.created + result.amended
