"""What the exports page lists: the school's recent exports, the previous-school attendance it
has imported, and recent leavers (whose CTF attendance can be exported)."""

from __future__ import annotations

from registers.models import Enrolment, Pupil, School

from ..models import ExportLog, PreviousSchoolAttendance


def recent_exports(school: School, limit: int = 20):
    return ExportLog.objects.filter(school=school).select_related("user")[:limit]


def imported_attendance(school: School, limit: int = 20):
    return PreviousSchoolAttendance.objects.filter(pupil__school=school).select_related("pupil")[:limit]


def recent_leavers(school: School, limit: int = 50) -> list[Pupil]:
    return [
        e.pupil
        for e in Enrolment.objects.filter(pupil__school=school, leaving_date__isnull=False)
        .select_related("pupil")
        .order_by("-leaving_date")[:limit]
    ]


def school_pupil(school: School, pk: int) -> Pupil | None:
    return Pupil.objects.filter(pk=pk, school=school).first()
