"""What families tell the school and what the school decides: the functions that write.

Every mark goes through the register service (`registers.services.record_marks`), audited with
the report or request as the reason. Every function takes keyword arguments, runs in one
transaction and raises `AbsenceError` with a plain-English message when something is wrong."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import filetype
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from registers.calendar import describe_non_school_day
from registers.models import AM, PM, AttendanceCode, Closure, Contact, Mark, Pupil, SchoolDay, Staff
from registers.permissions import OFFICE_TEAM, staff_of
from registers.services import Actor, MarkEntry, MarkValidationError, record_marks

from .emails import queue_email
from .follow_up_presets import policy_for
from .models import (
    AbsenceReport,
    ContactAttempt,
    EvidenceFile,
    LeaveRequest,
    ParentInvite,
    deciders_for,
    session_index,
)

CAT = AttendanceCode.Category
# Sent after a leave decision is saved, for the letters issue to produce the decision letter
# (sender=LeaveRequest, leave_request=..., context=leave_decision_letter_context(...)).
leave_decided = Signal()

REPORT_PAST_LIMIT_DAYS = 31
MAX_FILES = 5
INVITE_VALID_DAYS = 14
# Codes the office may use to accept a report or resolve an N.
ABSENCE_CODES = ("I", "M", "R", "C", "T", "E", "O", "G", "U")
RESOLVE_CODES = ("I", "M", "R", "C", "C1", "J1", "S", "C2", "T", "E", "O", "G", "U", "/", "L", "B", "V", "P", "W", "K")


# django-simple-history keeps a change reason in 100 characters (the register service copies the
# mark's reason there), so reasons written to marks are kept within that.
REASON_MAX = 100


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


class AbsenceError(Exception):
    """A request the service refuses, with a message fit to show the person who made it."""

    def __init__(self, message: str, field: str | None = None):
        self.message, self.field = message, field
        super().__init__(message)


def _d(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


# --- who is who ---------------------------------------------------------------------------


def parent_contacts(user):
    """The user's contact records with parental responsibility (one per child)."""
    if user is None or not user.is_authenticated:
        return Contact.objects.none()
    return Contact.objects.filter(user=user, parental_responsibility=True)


def parent_pupils(user):
    """The children a signed-in parent may see: only those they have parental responsibility for."""
    return Pupil.objects.filter(pk__in=parent_contacts(user).values("pupil_id")).select_related("school", "group")


def is_office(user, school) -> bool:
    staff = staff_of(user)
    return bool(staff and staff.position in OFFICE_TEAM and staff.school_id == school.pk)


def can_decide_leave(user, school) -> bool:
    staff = staff_of(user)
    return bool(staff and deciders_for(school).filter(pk=staff.pk).exists())


def _require_office(user, school):
    if not is_office(user, school):
        raise PermissionDenied("Only the school's office team can do this.")


# --- sessions and dates -------------------------------------------------------------------


def sessions_between(school, pupil, start_date, start_session, end_date, end_session) -> list[tuple[dt.date, str]]:
    """The school sessions from (start_date, start_session) to (end_date, end_session), leaving
    out days the school does not meet and sessions of a planned closure for the pupil's year."""
    days = SchoolDay.objects.filter(school=school, date__range=(start_date, end_date)).values_list("date", flat=True)
    closures = list(
        Closure.objects.filter(school=school, kind=Closure.Kind.CLOSURE, date__range=(start_date, end_date))
    )
    first, last = session_index(start_date, start_session), session_index(end_date, end_session)
    sessions = []
    for day in days:
        for session in (AM, PM):
            if not first <= session_index(day, session) <= last:
                continue
            if any(c.date == day and c.covers(session, pupil.year) for c in closures):
                continue
            sessions.append((day, session))
    return sessions


def check_period(school, start_date, start_session, end_date, end_session) -> None:
    if end_date < start_date or (end_date == start_date and start_session == PM and end_session == AM):
        raise AbsenceError("The last day is before the first day. Please check the dates.", "end_date")
    school_days = set(
        SchoolDay.objects.filter(school=school, date__in=[start_date, end_date]).values_list("date", flat=True)
    )
    for day, field in ((start_date, "start_date"), (end_date, "end_date")):
        if day not in school_days:
            raise AbsenceError(
                f"{_d(day)} is not a school day: {describe_non_school_day(school, day)}. "
                "Please choose days when the school is open.",
                field,
            )


def check_evidence(upload, *, max_mb: int) -> str:
    """The file's real type, read from its content (never its name); refuses anything else."""
    if upload.size > max_mb * 1024 * 1024:
        raise AbsenceError(
            f"'{upload.name}' is {upload.size / 1024 / 1024:.1f} MB. Files can be up to {max_mb} MB: "
            "please send a smaller photo or scan.",
            "evidence",
        )
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime not in EvidenceFile.ALLOWED_TYPES:
        raise AbsenceError(
            f"'{upload.name}' is not a PDF, JPEG, PNG or HEIC file. Please attach a photo or a PDF.", "evidence"
        )
    return mime


def _save_evidence(*, school, uploads, user, max_mb, targets: list[dict]) -> None:
    """Store each upload once and link it to every target (a report per child)."""
    for upload in uploads:
        mime = check_evidence(upload, max_mb=max_mb)
        first = None
        for target in targets:
            evidence = EvidenceFile(
                school=school,
                original_name=upload.name[:200],
                content_type=mime,
                size=upload.size,
                uploaded_by=user,
                **target,
            )
            if first is None:
                evidence.file.save("upload", upload, save=False)
                first = evidence.file.name
            else:
                evidence.file.name = first
            evidence.save()


# --- absence reports ------------------------------------------------------------------------


@dataclass
class ReportInput:
    start_date: dt.date
    start_session: str
    end_date: dt.date
    end_session: str
    reason: str
    description: str = ""
    expected_return: dt.date | None = None


def _check_report(school, data: ReportInput, today: dt.date) -> None:
    check_period(school, data.start_date, data.start_session, data.end_date, data.end_session)
    if data.start_date < today - dt.timedelta(days=REPORT_PAST_LIMIT_DAYS):
        raise AbsenceError(
            f"That is more than {REPORT_PAST_LIMIT_DAYS} days ago. Please contact the school office about "
            "older absences.",
            "start_date",
        )
    if data.reason == AbsenceReport.Reason.OTHER and not data.description.strip():
        raise AbsenceError("Please tell us a little about the reason.", "description")
    if data.expected_return and data.expected_return < data.start_date:
        raise AbsenceError("The expected return is before the absence starts. Please check it.", "expected_return")


def _own_children(user, pupils) -> list[tuple[Pupil, Contact]]:
    contacts = {c.pupil_id: c for c in parent_contacts(user)}
    chosen = []
    for pupil in pupils:
        pid = getattr(pupil, "pk", pupil)
        if pid not in contacts:
            raise AbsenceError("You can only report absences for your own children.", "children")
        chosen.append((contacts[pid].pupil, contacts[pid]))
    if not chosen:
        raise AbsenceError("Please choose which child is absent.", "children")
    if len({p.school_id for p, _ in chosen}) > 1:
        raise AbsenceError("Please report children at different schools separately.", "children")
    return chosen


def submit_absence_report(
    *, user, pupils, data: ReportInput, submission_key: uuid.UUID, files=(), today: dt.date | None = None
) -> tuple[list[AbsenceReport], bool]:
    """One report per child. Sending the same form twice (same key) returns the first reports
    and creates nothing. Returns (reports, created). The e-mail is queued after the save commits."""
    today = today or timezone.localdate()
    existing = list(AbsenceReport.objects.filter(submission_key=submission_key, submitted_by=user))
    if existing:
        return existing, False
    children = _own_children(user, pupils)
    school = children[0][0].school
    _check_report(school, data, today)
    policy = policy_for(school)
    if len(files) > MAX_FILES:
        raise AbsenceError(f"Please attach no more than {MAX_FILES} files.", "evidence")
    try:
        with transaction.atomic():
            reports = []
            for pupil, contact in children:
                if not sessions_between(
                    school, pupil, data.start_date, data.start_session, data.end_date, data.end_session
                ):
                    raise AbsenceError(
                        f"There are no school sessions for {pupil.forename} in those dates.", "start_date"
                    )
                report = AbsenceReport(
                    school=school,
                    pupil=pupil,
                    contact=contact,
                    submitted_by=user,
                    submission_key=submission_key,
                    **data.__dict__,
                )
                report._change_reason = "reported by parent"
                report.save()
                reports.append(report)
            _save_evidence(
                school=school,
                uploads=files,
                user=user,
                max_mb=policy.max_evidence_mb,
                targets=[{"report": r} for r in reports],
            )
            _email_parent(user, "absences/email/report_received.txt", "We have your absence report", reports=reports)
    except IntegrityError:
        # The same form arrived twice at once: the other request saved it.
        existing = list(AbsenceReport.objects.filter(submission_key=submission_key, submitted_by=user))
        if existing:
            return existing, False
        raise
    return reports, True


def edit_absence_report(*, report: AbsenceReport, user, data: ReportInput, files=(), today=None) -> AbsenceReport:
    """A parent may change a report until the office has acted on it; answering a question sends
    it back to the office."""
    today = today or timezone.localdate()
    if report.submitted_by_id != user.pk and not parent_pupils(user).filter(pk=report.pupil_id).exists():
        raise PermissionDenied
    with transaction.atomic():
        report = AbsenceReport.objects.select_for_update().get(pk=report.pk)
        if not report.is_open:
            raise AbsenceError("The school has already dealt with this report, so it can't be changed now.")
        _check_report(report.school, data, today)
        if not sessions_between(
            report.school, report.pupil, data.start_date, data.start_session, data.end_date, data.end_session
        ):
            raise AbsenceError("There are no school sessions in those dates.", "start_date")
        for name, value in data.__dict__.items():
            setattr(report, name, value)
        report.status = AbsenceReport.Status.SUBMITTED
        report._change_reason = "changed by parent"
        report.save()
        _save_evidence(
            school=report.school,
            uploads=files,
            user=user,
            max_mb=policy_for(report.school).max_evidence_mb,
            targets=[{"report": report}],
        )
    return report


def _email_parent(user, template, subject, **context):
    if user is not None and user.email:
        queue_email(to=user.email, template=template, subject=subject, context={"user": user, **context})


def _decided(obj, user, why: str):
    obj.decided_by = user
    obj.decided_at = timezone.now()
    obj._history_user = user
    obj._change_reason = why


def accept_report(*, report: AbsenceReport, user, code: str | None = None, note: str = "") -> list[Mark]:
    """Write the report's code to every session it covers (future ones are pre-entered as planned
    marks). A session where the pupil was marked present, or a closure, is left alone."""
    _require_office(user, report.school)
    code = (code or AbsenceReport.DEFAULT_CODES.get(report.reason) or "").upper()
    if code not in ABSENCE_CODES:
        raise AbsenceError("Please choose the code to record for these sessions.", "code")
    with transaction.atomic():
        report = AbsenceReport.objects.select_for_update().select_related("pupil", "school").get(pk=report.pk)
        if not report.is_open:
            raise AbsenceError(f"This report was already {report.get_status_display().lower()}.")
        sessions = sessions_between(
            report.school, report.pupil, report.start_date, report.start_session, report.end_date, report.end_session
        )
        existing = {
            (m.date, m.session): m
            for m in Mark.objects.filter(
                pupil=report.pupil, date__range=(report.start_date, report.end_date)
            ).select_related("code")
        }
        why = f"Absence report #{report.pk} accepted: {report.get_reason_display()}"
        if report.description:
            why = _short(f"{why} ({report.description})")
        entries = []
        for day, session in sessions:
            mark = existing.get((day, session))
            if mark is not None and mark.code.category in (CAT.PRESENT, CAT.APPROVED, CAT.NOT_COUNTED):
                continue  # the pupil was here (or the session does not count): the register stands
            entries.append(MarkEntry(pupil_id=report.pupil_id, date=day, session=session, code=code, reason=why))
        try:
            result = record_marks(
                school=report.school,
                entries=entries,
                actor=Actor.for_user(user),
                source=Mark.Source.PARENT_REPORT,
                reason=why,
            )
        except MarkValidationError as exc:
            raise AbsenceError(f"The register refused the marks: {exc}")
        report.status = AbsenceReport.Status.ACCEPTED
        report.code = code
        report.office_message = note
        _decided(report, user, f"accepted with code {code}")
        report.save()
        _email_parent(
            report.submitted_by,
            "absences/email/report_decided.txt",
            "Your absence report has been accepted",
            report=report,
        )
    return result.created + result.amended


def query_report(*, report: AbsenceReport, user, message: str) -> AbsenceReport:
    _require_office(user, report.school)
    if not message.strip():
        raise AbsenceError("Please write the question for the parent.", "message")
    with transaction.atomic():
        report = AbsenceReport.objects.select_for_update().get(pk=report.pk)
        if not report.is_open:
            raise AbsenceError(f"This report was already {report.get_status_display().lower()}.")
        report.status = AbsenceReport.Status.QUERIED
        report.office_message = message.strip()
        _decided(report, user, "queried by the office")
        report.save()
        _email_parent(
            report.submitted_by,
            "absences/email/report_decided.txt",
            "The school has a question about your report",
            report=report,
        )
    return report


def decline_report(*, report: AbsenceReport, user, reason: str) -> AbsenceReport:
    _require_office(user, report.school)
    if not reason.strip():
        raise AbsenceError("Please give the reason; the parent will see it.", "reason")
    with transaction.atomic():
        report = AbsenceReport.objects.select_for_update().get(pk=report.pk)
        if not report.is_open:
            raise AbsenceError(f"This report was already {report.get_status_display().lower()}.")
        report.status = AbsenceReport.Status.DECLINED
        report.office_message = reason.strip()
        _decided(report, user, "declined by the office")
        report.save()
        _email_parent(
            report.submitted_by,
            "absences/email/report_decided.txt",
            "Your absence report was not accepted",
            report=report,
        )
    return report


# --- leave of absence ---------------------------------------------------------------------


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
    children = _own_children(user, pupils)
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
            _save_evidence(
                school=school,
                uploads=files,
                user=user,
                max_mb=policy.max_evidence_mb,
                targets=[{"leave_request": r} for r in requests],
            )
            _email_parent(
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
            f"Leave can't be granted retrospectively: {_d(start_date)} {start_session} has already begun. "
            "Grant only the sessions still to come.",
            "start_date",
        )
    code = LeaveRequest.CODES[r.circumstance]
    with transaction.atomic():
        r = LeaveRequest.objects.select_for_update().select_related("pupil", "school").get(pk=r.pk)
        if r.status != LeaveRequest.Status.SUBMITTED:
            raise AbsenceError(f"This request was already {r.get_status_display().lower()}.")
        sessions = sessions_between(r.school, r.pupil, start_date, start_session, end_date, end_session)
        why = _short(f"Leave request #{r.pk} granted: {r.get_circumstance_display()}")
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
        _decided(r, user, f"granted with code {code}")
        r.save()
        _email_parent(r.submitted_by, "absences/email/leave_decided.txt", "Your leave of absence request", request=r)
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
        _decided(r, user, "refused")
        r.save()
        _email_parent(r.submitted_by, "absences/email/leave_decided.txt", "Your leave of absence request", request=r)
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
    _require_office(user, leave_request.school)
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


# --- the office: N codes and follow-up ------------------------------------------------------


def resolve_n_marks(*, school, user, mark_ids, code: str, reason: str) -> list[Mark]:
    """Replace N marks with the code now known (or O), with the reason recorded."""
    _require_office(user, school)
    code = (code or "").strip().upper()
    if code not in RESOLVE_CODES:
        raise AbsenceError("Choose the code that replaces the N.", "code")
    if not reason.strip():
        raise AbsenceError("Please record why (for example who told you and how).", "reason")
    marks = list(Mark.objects.filter(school=school, pk__in=mark_ids, code__code="N"))
    if not marks:
        raise AbsenceError("Choose at least one N to resolve.", "marks")
    entries = [
        MarkEntry(pupil_id=m.pupil_id, date=m.date, session=m.session, code=code, reason=_short(reason)) for m in marks
    ]
    try:
        result = record_marks(
            school=school,
            entries=entries,
            actor=Actor.for_user(user),
            source=Mark.Source.OFFICE,
            reason=_short(reason),
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
    _require_office(user, pupil.school)
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


# --- parent accounts ----------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_contact(*, contact: Contact, user, base_url: str = "") -> tuple[ParentInvite, str]:
    """Create (or reuse) the contact's account and e-mail them a one-time link to set a password.
    Only contacts with parental responsibility and an e-mail address can be invited."""
    _require_office(user, contact.pupil.school)
    if not contact.parental_responsibility:
        raise AbsenceError("Only contacts with parental responsibility can have a parent account.")
    if not contact.email:
        raise AbsenceError("This contact has no e-mail address; add one first.")
    User = get_user_model()
    email = contact.email.strip().lower()
    with transaction.atomic():
        account = contact.user or User.objects.filter(username=email).first()
        if account is None:
            account = User(username=email, email=email, first_name=contact.forename, last_name=contact.surname)
            account.set_unusable_password()
            account.save()
        if Staff.objects.filter(user=account).exists():
            raise AbsenceError("That e-mail address belongs to a member of staff; use a personal address.")
        if contact.user_id != account.pk:
            contact.user = account
            contact._change_reason = "linked to a parent account"
            contact.save()
        token = secrets.token_urlsafe(32)
        invite = ParentInvite.objects.create(
            contact=contact,
            user=account,
            token_hash=_hash(token),
            created_by=user,
            expires_at=timezone.now() + dt.timedelta(days=INVITE_VALID_DAYS),
        )
        link = base_url + reverse("absences:invite", args=[token])
        queue_email(
            to=email,
            template="absences/email/invite.txt",
            subject=f"Your parent account at {contact.pupil.school}",
            context={"contact": contact, "link": link, "days": INVITE_VALID_DAYS, "username": account.username},
        )
    return invite, token


def find_invite(token: str) -> ParentInvite | None:
    invite = ParentInvite.objects.select_related("user", "contact").filter(token_hash=_hash(token or "")).first()
    if invite is None or invite.used_at is not None or invite.expires_at < timezone.now():
        return None
    return invite


def accept_invite(*, token: str, password: str):
    with transaction.atomic():
        invite = find_invite(token)
        if invite is None:
            raise AbsenceError("This link has expired or has already been used. Please ask the school for a new one.")
        invite = ParentInvite.objects.select_for_update().get(pk=invite.pk)
        if invite.used_at is not None:
            raise AbsenceError("This link has already been used.")
        invite.used_at = timezone.now()
        invite.save(update_fields=["used_at"])
        account = invite.user
        account.set_password(password)
        account.is_active = True
        account.save()
    return account
