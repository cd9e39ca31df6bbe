"""Sending letters: e-mailing a letter's PDF to its addressees (siblings' letters to one household
travel together, in one e-mail) and recording when and where it went. The only change a letter
on record ever gets."""

from __future__ import annotations

import re

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from ..errors import LetterError
from ..fields.addressees import join_and
from ..models import Delivery, Letter
from ..rendering import letter_pdf_bytes


def email_addresses(letter: Letter) -> list[str]:
    """Where `email_letter` sends this letter: the addresses the letter was produced with, or
    else its addressee's."""
    parent = letter.data.get("parent") if isinstance(letter.data, dict) else None
    recipients = [a.strip() for a in ((parent or {}).get("email") or "").split(",") if a.strip()]
    if not recipients and letter.addressee_id and letter.addressee.email:
        recipients = [letter.addressee.email]
    return recipients


def email_letter(*, letter: Letter, user) -> Letter:
    """E-mail the letter's PDF to the addressees' e-mail addresses and record it. Letters to the
    same household that share the PDF (siblings) are recorded as sent with it."""
    recipients = email_addresses(letter)
    if not recipients:
        raise LetterError(
            f"There is no e-mail address for {letter.addressee_name or 'the parent or carer'}.",
            field="parent.email",
            pupil=letter.pupil,
        )
    content = letter_pdf_bytes(letter)
    school = letter.school
    together = list(Letter.objects.filter(pdf=letter.pdf.name).exclude(pdf="").select_related("pupil")) or [letter]
    names = join_and(sorted({other.pupil.forename for other in together}))
    message = EmailMessage(
        subject=letter.subject,
        body=(
            f"Dear {letter.data.get('parent', {}).get('salutation') or 'Parent or Carer'},\n\n"
            f"Please find attached a letter from {school.name} about {names}.\n\n"
            f"If you have any questions, please contact the school office"
            f"{' on ' + school.telephone if school.telephone else ''}.\n\n{school.name}\n"
        ),
        to=recipients,
        reply_to=[school.email] if school.email else None,
    )
    message.attach(f"{_filename(letter)}.pdf", content, "application/pdf")
    try:
        message.send(fail_silently=False)
    except Exception as error:
        raise LetterError(
            f"The e-mail could not be sent ({error}); try again later.", field="email", pupil=letter.pupil
        )
    now = timezone.now()
    with transaction.atomic():
        for other in together:
            other.delivery, other.emailed_to, other.sent_at = Delivery.EMAIL, ", ".join(recipients), now
            other._history_user = user
            other.save(update_fields=["delivery", "emailed_to", "sent_at"])
    letter.refresh_from_db()
    return letter


def _filename(letter: Letter) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "-", f"{letter.template.title} {letter.pupil.forename}").strip("-")
    return f"{words}-{letter.letter_date:%Y-%m-%d}"
