"""Parents' absence reports and the office's decisions on them: submit and change a report;
accept it (its code written to every session it covers, through the register service), ask the
parent a question, or decline it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from registers.models import AttendanceCode, Mark
from registers.services import Actor, MarkEntry, MarkValidationError, record_marks

from ..emails import email_parent
from ..follow_up_presets import policy_for
from ..models import AbsenceReport
from ..permissions import parent_pupils, require_office
from .decisions import short_reason, stamp_decision
from .errors import AbsenceError
from .periods import check_period, sessions_between
from .submissions import MAX_FILES, own_children, save_evidence

CAT = AttendanceCode.Category
REPORT_PAST_LIMIT_DAYS = 31
# Codes the office may use to accept a report.
ABSENCE_CODES = ("I", "M", "R", "C", "T", "E", "O", "G", "U")


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


def submit_absence_report(
    *, user, pupils, data: ReportInput, submission_key: uuid.UUID, files=(), today: dt.date | None = None
) -> tuple[list[AbsenceReport], bool]:
    """One report per child. Sending the same form twice (same key) returns the first reports
    and creates nothing. Returns (reports, created). The e-mail is queued after the save commits."""
    today = today or timezone.localdate()
    existing = list(AbsenceReport.objects.filter(submission_key=submission_key, submitted_by=user))
    if existing:
        return existing, False
    children = own_children(user, pupils)
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
            save_evidence(
                school=school,
                uploads=files,
                user=user,
                max_mb=policy.max_evidence_mb,
                targets=[{"report": r} for r in reports],
            )
            email_parent(user, "absences/email/report_received.txt", "We have your absence report", reports=reports)
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
        save_evidence(
            school=report.school,
            uploads=files,
            user=user,
            max_mb=policy_for(report.school).max_evidence_mb,
            targets=[{"report": report}],
        )
    return report


def accept_report(*, report: AbsenceReport, user, code: str | None = None, note: str = "") -> list[Mark]:
    """Write the report's code to every session it covers (future ones are pre-entered as planned
    marks). A session where the pupil was marked present, or a closure, is left alone."""
    require_office(user, report.school)
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
            why = short_reason(f"{why} ({report.description})")
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
        stamp_decision(report, user, f"accepted with code {code}")
        report.save()
        email_parent(
            report.submitted_by,
            "absences/email/report_decided.txt",
            "Your absence report has been accepted",
            report=report,
        )
    return result.created + result.amended


def withdraw_absence_report(*, report: AbsenceReport, user) -> AbsenceReport:
    """A parent takes back a report the office has not yet decided (waiting, or with a question
    from the office). Nothing was written to the register for it, so nothing is undone."""
    if not parent_pupils(user).filter(pk=report.pupil_id).exists():
        raise PermissionDenied
    with transaction.atomic():
        report = AbsenceReport.objects.select_for_update().get(pk=report.pk)
        if not report.is_open:
            raise AbsenceError(
                f"The school has already dealt with this report ({report.get_status_display().lower()}), "
                "so it can't be withdrawn now. Please contact the office."
            )
        report.status = AbsenceReport.Status.WITHDRAWN
        report._change_reason = "withdrawn by parent"
        report.save()
    return report


def query_report(*, report: AbsenceReport, user, message: str) -> AbsenceReport:
    require_office(user, report.school)
    if not message.strip():
        raise AbsenceError("Please write the question for the parent.", "message")
    with transaction.atomic():
        report = AbsenceReport.objects.select_for_update().get(pk=report.pk)
        if not report.is_open:
            raise AbsenceError(f"This report was already {report.get_status_display().lower()}.")
        report.status = AbsenceReport.Status.QUERIED
        report.office_message = message.strip()
        stamp_decision(report, user, "queried by the office")
        report.save()
        email_parent(
            report.submitted_by,
            "absences/email/report_decided.txt",
            "The school has a question about your report",
            report=report,
        )
    return report


def decline_report(*, report: AbsenceReport, user, reason: str) -> AbsenceReport:
    require_office(user, report.school)
    if not reason.strip():
        raise AbsenceError("Please give the reason; the parent will see it.", "reason")
    with transaction.atomic():
        report = AbsenceReport.objects.select_for_update().get(pk=report.pk)
        if not report.is_open:
            raise AbsenceError(f"This report was already {report.get_status_display().lower()}.")
        report.status = AbsenceReport.Status.DECLINED
        report.office_message = reason.strip()
        stamp_decision(report, user, "declined by the office")
        report.save()
        email_parent(
            report.submitted_by,
            "absences/email/report_decided.txt",
            "Your absence report was not accepted",
            report=report,
        )
    return report
