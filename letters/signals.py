"""A decided leave request makes its decision letter: the absences service sends `leave_decided`
after the decision is committed; the letter is produced by a task (idempotent: one letter per
request however often it runs). A failure never undoes or hides the head's decision: the request
then stays in `pending_letters` for the office."""

import logging

from .tasks import produce_leave_letter

log = logging.getLogger(__name__)


def leave_decision_made(sender, leave_request, **kwargs):
    try:
        produce_leave_letter.delay_on_commit(leave_request.pk)
    except Exception:  # in-process (eager) runs raise here; the decision stands regardless
        log.exception("the decision letter for leave request %s was not produced", leave_request.pk)


def letters_for_accepted_alerts(sender, school, actions, user, on, **kwargs) -> list[dict]:
    """The officer accepted proposals on the worklist (interventions' `letters_requested`): their
    letters go out as one printed batch per template, dated `on`, each letter tied to its case
    action (which it completes) and alert. A template the school lacks, or a batch refused, is
    reported; its actions stay in `pending_letters` for the officer."""
    from .errors import LetterError
    from .selectors import active_template
    from .services.batches import start_batch

    by_template: dict[str, list] = {}
    for action in actions:
        by_template.setdefault(action.letter_template, []).append(action)
    out = []
    for key, group in by_template.items():
        template = active_template(school, key)
        if template is None:
            out.append({"title": key, "error": "the school has no letter template with this key"})
            continue
        links = {a.case.pupil_id: {"action": a.pk, "alert": a.alert_id} for a in group}
        try:
            batch = start_batch(
                template=template, pupils=list(links), user=user, on=on, delivery="print", options={"links": links}
            )
        except LetterError as error:
            out.append({"title": template.title, "error": error.message})
            continue
        out.append({"title": template.title, "letters": batch.total, "url": batch.get_absolute_url()})
    return out
