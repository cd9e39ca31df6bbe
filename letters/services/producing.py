"""What the produce page asks for: a letter for one pupil is produced at once (and e-mailed at once
if that is how it goes); letters for several pupils are a batch for the workers."""

from __future__ import annotations

import datetime as dt

from ..models import Batch, Delivery, Letter, LetterTemplate
from .batches import start_batch
from .delivery import email_letter
from .one_letter import produce_letter


def produce_letters(
    *,
    template: LetterTemplate,
    pupils: list,
    user,
    on: dt.date,
    delivery: str = "print",
    contact=None,
    action=None,
    alert=None,
    leave_request=None,
    options: dict | None = None,
) -> Letter | Batch:
    """One pupil: the letter, produced now (linked to the contact, action, alert or leave request
    given) and e-mailed now when delivered by e-mail. Several: the batch queued for them (the
    links and the contact are for a single letter). A letter produced whose e-mail then fails
    stays on record, and the LetterError says why the e-mail did not go."""
    if len(pupils) != 1:
        return start_batch(template=template, pupils=pupils, user=user, on=on, delivery=delivery, options=options)
    letter = produce_letter(
        template=template,
        pupil=pupils[0],
        user=user,
        on=on,
        delivery=delivery,
        contact=contact,
        action=action,
        alert=alert,
        leave_request=leave_request,
        options=options,
    )
    if delivery == Delivery.EMAIL and not letter.sent_at:
        letter = email_letter(letter=letter, user=user)
    return letter
