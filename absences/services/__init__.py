"""What families tell the school and what the school decides: the functions that write, one
module per sub-domain.

- `reports`: parents' absence reports and the office's decisions on them;
- `leave`: leave of absence requests and the head's decisions;
- `follow_up`: the office's follow-up of unexplained absence (N codes replaced, contact attempts,
  safe-and-well decisions, referrals including children missing education);
- `parent_accounts`: invitations and parent accounts;
- `periods`, `submissions`, `decisions`, `errors`: what those share.

Every mark goes through the register service (`registers.services.record_marks`), audited with
the report or request as the reason. Every function takes keyword arguments, runs in one
transaction and raises `AbsenceError` with a plain-English message when something is wrong.

Other apps import the services from here (`absences.services`); inside absences, import from the
module that holds them."""

# Their homes are absences.permissions and absences.signals; the API (parent_contacts) and
# letters/apps.py (leave_decided) import them from here.
from ..permissions import parent_contacts
from ..signals import leave_decided
from .errors import AbsenceError
from .follow_up import log_contact_attempt, resolve_n_marks
from .leave import (
    LeaveInput,
    grant_leave,
    leave_decision_letter_context,
    record_refused_leave_taken,
    refuse_leave,
    submit_leave_request,
)
from .parent_accounts import accept_invite, find_invite, invite_contact
from .reports import (
    ReportInput,
    accept_report,
    decline_report,
    edit_absence_report,
    query_report,
    submit_absence_report,
    withdraw_absence_report,
)

__all__ = [
    "AbsenceError",
    "LeaveInput",
    "ReportInput",
    "accept_invite",
    "accept_report",
    "decline_report",
    "edit_absence_report",
    "find_invite",
    "grant_leave",
    "invite_contact",
    "leave_decided",
    "leave_decision_letter_context",
    "log_contact_attempt",
    "parent_contacts",
    "query_report",
    "record_refused_leave_taken",
    "refuse_leave",
    "resolve_n_marks",
    "submit_absence_report",
    "withdraw_absence_report",
    "submit_leave_request",
]
