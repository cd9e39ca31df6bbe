"""What the penalty-notice pages read: the sessions a new notice may rely on (the pupil's
unauthorised sessions in the national threshold's window, each with the notice that already
relies on it, if any), and the sessions an issued notice relies on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registers.selectors import (
    PENALTY_THRESHOLD_WEEKS,
    counted_marks,
    penalty_threshold,
    penalty_window,
)

from ..models import PenaltyNotice, PenaltyNoticeMark


def _used_by(mark):
    try:
        return mark.penalty_link.notice
    except PenaltyNoticeMark.DoesNotExist:
        return None


@dataclass
class ThresholdSessions:
    """The national threshold's window on a date for one pupil: `counted` is the pupil's row of
    `registers.selectors.penalty_threshold` (None without unauthorised sessions); each of `marks`
    carries `used_by` (the notice already relying on it, or None) and `eligible` (free, and no
    longer coded N)."""

    window: object
    counted: object
    marks: list

    @property
    def eligible(self) -> list:
        return [m for m in self.marks if m.eligible]

    @property
    def used_count(self) -> int:
        return sum(1 for m in self.marks if m.used_by)

    @property
    def unauthorised(self) -> int:
        return self.counted.unauthorised_sessions if self.counted else 0


def threshold_sessions(case, on: dt.date) -> ThresholdSessions:
    """The case's pupil's unauthorised sessions in the threshold window ending `on`."""
    window = penalty_window(school=case.school, on=on, weeks=PENALTY_THRESHOLD_WEEKS)
    rows = penalty_threshold(school=case.school, on=on, sessions=1, pupils=[case.pupil_id])
    marks = []
    if window is not None:
        marks = list(
            counted_marks(school=case.school, date_from=window.start, date_to=window.end, pupils=[case.pupil_id])
            .filter(code__penalty_threshold=True)
            .select_related("code", "penalty_link__notice")
            .order_by("date", "session")
        )
    for mark in marks:
        mark.used_by = _used_by(mark)
        mark.eligible = mark.used_by is None and mark.code.code != "N"
    return ThresholdSessions(window, rows[0] if rows else None, marks)


def notices_to(pupil, parent):
    """The penalty notices issued to this parent for this pupil, oldest first."""
    return PenaltyNotice.objects.filter(pupil=pupil, parent=parent).order_by("issued_on")


def relied_on(notice: PenaltyNotice):
    """The sessions a notice relies on, in date order."""
    return notice.marks.select_related("code").order_by("date", "session")
