"""What the notice-to-improve pages read: the record and the support so far, which a new notice
starts from, and the pupil's figures before the notice and during its improvement period."""

from __future__ import annotations

import datetime as dt

from registers.selectors import pupil_figures

from ..evaluation.context import figures_dict
from ..models import NoticeToImprove, TaskKind
from .figures import year_to_date_figures


def support_so_far(case) -> str:
    """The support recorded on the case (done actions other than letters and notes), newest
    first, one line each."""
    lines = [
        f"{a.get_kind_display()} ({a.done_on:%d %b %Y})" + (f": {a.description}" if a.description else "")
        for a in case.actions.filter(done_on__isnull=False).exclude(kind__in=[TaskKind.LETTER, TaskKind.NOTE])
    ]
    return "\n".join(reversed(lines))


def record_summary(case, today: dt.date) -> str:
    """The pupil's attendance this school year in a sentence (empty with no possible sessions)."""
    f = year_to_date_figures(case.pupil, today)
    if not f["possible"]:
        return ""
    return (
        f"This school year to {today:%d %B %Y}, {case.pupil.name} has attended "
        f"{f['attendance_percent']} % of sessions: "
        f"{f['absent']} of {f['possible']} sessions missed, {f['unauthorised']} of them unauthorised."
    )


def notice_figures(notice: NoticeToImprove, today: dt.date) -> tuple[dict, dict | None]:
    """The pupil's year-to-date figures the day before the notice, and their figures over the
    improvement period so far (None before it starts)."""
    case, pupil = notice.case, notice.case.pupil
    during = None
    if today >= notice.issued_on:
        figures = pupil_figures(
            school=case.school, date_from=notice.issued_on, date_to=min(today, notice.period_ends_on), pupils=[pupil.pk]
        )
        during = figures_dict(figures.get(pupil.pk))
    return year_to_date_figures(pupil, notice.issued_on - dt.timedelta(days=1)), during
