"""What the Imports page reads: the school's recent imports, and the defaults its form offers."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..models import ImportRun, School, SchoolDay

RECENT_RUNS = 30


def recent_import_runs(school: School, limit: int = RECENT_RUNS):
    return ImportRun.objects.filter(school=school).select_related("uploaded_by", "confirmed_by")[:limit]


def next_school_day(school: School, after: dt.date | None = None) -> dt.date | None:
    """The first school day after `after` (default today): when a joining pupil usually starts."""
    after = after or timezone.localdate()
    return (
        SchoolDay.objects.filter(school=school, date__gt=after).order_by("date").values_list("date", flat=True).first()
    )
