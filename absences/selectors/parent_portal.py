"""What a parent sees of their children: the year's figures, the recent and planned marks in a
parent's words, and the reports and leave requests they have sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from registers.models import AttendanceCode, Mark, Pupil
from registers.pupil_calendar import calendar_strip
from registers.selectors import AttendanceFigures, pupil_figures, pupil_marks, year_to_date

from ..models import AbsenceReport, LeaveRequest
from .school_days import school_days_before, year_range

# What each code means, in the words a parent would use (the code table's meaning otherwise).
PLAIN = {
    "/": "In school",
    "\\": "In school",
    "L": "Arrived late, before the register closed (counts as in school)",
    "U": "Arrived after the register closed (counts as an unauthorised absence)",
    "I": "Ill (authorised absence)",
    "M": "Medical or dental appointment (authorised absence)",
    "R": "Religious observance (authorised absence)",
    "C": "Leave agreed by the headteacher (authorised absence)",
    "C1": "Leave agreed for a performance or job abroad (authorised absence)",
    "C2": "Part-time timetable agreed with the school (authorised absence)",
    "J1": "Interview (authorised absence)",
    "S": "Study leave (authorised absence)",
    "N": "Absent: the school doesn't know the reason yet. Please tell us",
    "O": "Absent without a reason the school could authorise (unauthorised absence)",
    "G": "Holiday the school did not agree (unauthorised absence)",
    "#": "School closed",
    "V": "Educational visit or trip",
    "P": "Approved sporting activity",
    "B": "Approved educational activity",
    "W": "Work experience",
    "K": "Education arranged by the local authority",
    "E": "Suspended or excluded, no other education arranged (authorised absence)",
    "T": "Travelling with the family's work (authorised absence)",
}


def plain_meaning(code) -> str:
    return PLAIN.get(code.code, code.meaning)


@dataclass
class ChildSummary:
    pupil: Pupil
    figures: AttendanceFigures
    recent: list
    date_from: dt.date
    date_to: dt.date
    planned: list = field(default_factory=list)

    @property
    def days_missed(self) -> float:
        return self.figures.absent / 2

    @property
    def recent_rows(self):
        return [(m, plain_meaning(m.code)) for m in self.recent]

    @property
    def planned_rows(self):
        return [(m, plain_meaning(m.code)) for m in self.planned]


def child_summary(pupil: Pupil, today: dt.date | None = None, recent_days: int = 10) -> ChildSummary:
    today = today or timezone.localdate()
    start, end = year_range(pupil.school, today)
    figures = pupil_figures(
        school=pupil.school, date_from=start, date_to=end, pupils=[pupil.pk], include_subsidiary=True
    ).get(pupil.pk, AttendanceFigures())
    days = school_days_before(pupil.school, end, recent_days)
    recent = list(Mark.objects.filter(pupil=pupil, date__in=days).select_related("code").order_by("-date", "-session"))
    planned = list(
        Mark.objects.filter(pupil=pupil, date__gt=today)
        .exclude(code__code="#")
        .select_related("code")
        .order_by("date", "session")[:20]
    )
    return ChildSummary(pupil, figures, recent, start, end, planned)


WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]
MISSED = (AttendanceCode.Category.AUTHORISED, AttendanceCode.Category.UNAUTHORISED)


@dataclass
class ChildYear:
    """A child's school year for their family: the calendar of every session (as the staff pupil
    page draws it, without staff notes or amendment history), every session missed, and the key
    to the codes used — each in plain words."""

    strips: list
    missed: list[Mark]
    codes_used: list[tuple[str, str, int]]  # (code, what it means in plain words, sessions)
    date_from: dt.date
    date_to: dt.date


def child_year(pupil: Pupil, today: dt.date | None = None) -> ChildYear:
    """Two queries for the marks and the school days, whatever the length of the year."""
    period = year_to_date(pupil.school, today)
    marks = list(pupil_marks(pupil=pupil, date_from=period.date_from, date_to=period.date_to))
    counts: dict[str, list] = {}
    for mark in marks:
        mark.plain = plain_meaning(mark.code)
        counts.setdefault(mark.code.code, [mark.plain, 0])[1] += 1
    codes_used = sorted(((code, plain, n) for code, (plain, n) in counts.items()), key=lambda c: (-c[2], c[0]))
    missed = [mark for mark in marks if mark.code.category in MISSED]
    return ChildYear(calendar_strip(pupil, period, marks), missed, codes_used, period.date_from, period.date_to)


def family_reports(pupils):
    """The latest absence reports for these children (20 at most)."""
    return AbsenceReport.objects.filter(pupil__in=pupils).select_related("pupil")[:20]


def family_leave_requests(pupils):
    """The latest leave requests for these children (20 at most)."""
    return LeaveRequest.objects.filter(pupil__in=pupils).select_related("pupil")[:20]


def reports_sent_together(submission_key, pupils):
    """The reports one form created (one per child), among these children's."""
    return AbsenceReport.objects.filter(submission_key=submission_key, pupil__in=pupils)
