"""What families' reports, leave requests and unexplained absences leave waiting for the office:
the counts on the office's home page (answering `registers.signals.office_waiting`)."""

from __future__ import annotations

from django.urls import reverse

from registers.signals import Waiting

from .follow_up import overdue_n, unexplained_absences
from .leave import leave_requests_waiting
from .reports import reports_waiting


def office_waiting(school) -> list[Waiting]:
    return [
        Waiting(
            "Unexplained absences to follow up",
            len(unexplained_absences(school)),
            reverse("absences:office_follow_up"),
            order=10,
        ),
        Waiting("Reports from parents to process", reports_waiting(school), reverse("absences:office_inbox"), order=20),
        Waiting(
            "Leave requests to decide",
            leave_requests_waiting(school).count(),
            reverse("absences:office_leave_list"),
            order=40,
        ),
        Waiting("N codes overdue for a reason", len(overdue_n(school)), reverse("absences:office_overdue"), order=50),
    ]


def answer_office_waiting(sender, *, school, **kwargs) -> list[Waiting]:
    return office_waiting(school)
