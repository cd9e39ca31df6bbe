"""Reports' part in imports the registers app runs: a joining pupil's attendance at their
previous school, from the Attendance block of the CTF the office imports on the Imports page."""

from __future__ import annotations

from django.dispatch import receiver

from registers.imports import CHANGED, CREATED, UNCHANGED, ctf_imported

from .exports import import_ctf_attendance
from .models import PreviousSchoolAttendance

FIELDS = (
    "sessions_possible",
    "sessions_authorised",
    "sessions_attended",
    "sessions_unauthorised",
    "attendance_start_date",
    "attendance_marks",
)


@receiver(ctf_imported, dispatch_uid="reports.previous_school_attendance")
def import_previous_school_attendance(sender, *, school, data, user, report, **kwargs):
    """Keep each YearData as the previous school's record (never as marks), and say in the
    import's report what was new or changed. Refusals (ValidationError) refuse the whole file."""
    before = {
        r.pk: tuple(getattr(r, f) for f in FIELDS)
        for r in PreviousSchoolAttendance.objects.filter(pupil__school=school)
    }
    for record in import_ctf_attendance(school=school, data=data, user=user):
        now = tuple(getattr(record, f) for f in FIELDS)
        outcome = CREATED if record.pk not in before else CHANGED if before[record.pk] != now else UNCHANGED
        pupil = record.pupil
        percent = record.attendance_percent
        report.add(
            "year of previous-school attendance",
            outcome,
            f"{pupil.legal_surname}, {pupil.legal_forename} ({pupil.upn}): {record.year}/{(record.year + 1) % 100:02d}"
            f" at {record.source_name or record.source_la + '/' + record.source_establishment}",
            [
                f"{record.sessions_attended} of {record.sessions_possible} sessions attended"
                + (f" ({percent}%)" if percent is not None else "")
            ],
        )
