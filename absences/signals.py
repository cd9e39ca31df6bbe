"""Signals for the apps above absences: absences cannot call them, so it says what happened and
they connect in their `apps.py` (letters produces the leave decision letter)."""

from django.dispatch import Signal

# Sent once a leave decision (grant or refusal) is committed, for the letters app to produce the
# decision letter: sender=LeaveRequest, leave_request=<the request>. The letter's merge fields
# come from `absences.services.leave.leave_decision_letter_context`.
leave_decided = Signal()
