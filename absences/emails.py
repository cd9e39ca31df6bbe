"""E-mail to families. The record is saved first (in the caller's transaction); the send is a
task enqueued on commit. A failing mail server is recorded on the delivery and retried later,
so it delays the e-mail and never loses the report or request.

The send task is imported here at module level and enqueued; the task imports `deliver` inside
its function, so the import runs one way only."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .invite_links import body_to_send
from .models import EmailDelivery
from .tasks import send_email

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6


def queue_email(*, to: str, template: str, context: dict, subject: str, invite=None) -> EmailDelivery | None:
    """`invite`: an invitation e-mail, whose context gives the link as `invite_links.LINK_PLACEHOLDER`."""
    if not to:
        return None
    body = render_to_string(template, context)
    delivery = EmailDelivery.objects.create(to=to, subject=subject[:200], body=body, invite=invite)
    send_email.delay_on_commit(delivery.pk)
    return delivery


def email_parent(user, template, subject, **context):
    """Queue an e-mail to a parent's account, if it has an address."""
    if user is not None and user.email:
        queue_email(to=user.email, template=template, subject=subject, context={"user": user, **context})


def deliver(delivery_id: int) -> bool:
    """Send one delivery if it is not sent yet (idempotent: a retry of a sent e-mail does nothing)."""
    with transaction.atomic():
        delivery = EmailDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status == EmailDelivery.Status.SENT:
            return False
        body = body_to_send(delivery)
        if body is None:  # an invitation replaced, used or expired before it went: never send a dead link
            delivery.status = EmailDelivery.Status.CANCELLED
            delivery.save(update_fields=["status"])
            return False
        delivery.attempts += 1
        try:
            send_mail(delivery.subject, body, settings.DEFAULT_FROM_EMAIL, [delivery.to])
        except Exception as exc:  # any mail-server failure: keep the record, try again later
            log.warning("e-mail %s to %s failed: %s", delivery.pk, delivery.to, exc)
            delivery.status = EmailDelivery.Status.FAILED
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            delivery.save(update_fields=["status", "attempts", "last_error"])
            return False
        delivery.status = EmailDelivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "sent_at"])
        return True


def retry_failed() -> int:
    """Send again every e-mail that failed (up to MAX_ATTEMPTS); returns how many were sent."""
    ids = EmailDelivery.objects.filter(
        status__in=[EmailDelivery.Status.FAILED, EmailDelivery.Status.PENDING], attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(ids) if deliver(pk))
