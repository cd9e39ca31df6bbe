"""A decided leave request makes its decision letter: the absences service sends `leave_decided`
after the decision is committed; the letter is produced by a task (idempotent: one letter per
request however often it runs). A failure never undoes or hides the head's decision: the request
then stays in `pending_letters` for the office."""

import logging

from .tasks import produce_leave_letter

log = logging.getLogger(__name__)


def leave_decision_made(sender, leave_request, **kwargs):
    try:
        produce_leave_letter.delay(leave_request.pk)
    except Exception:  # in-process (eager) runs raise here; the decision stands regardless
        log.exception("the decision letter for leave request %s was not produced", leave_request.pk)
