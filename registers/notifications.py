"""Reminders to teachers: an in-app notification on their "today" page and an e-mail."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from .models import Notification, Register


def unread_for(user, limit: int = 10):
    return list(Notification.objects.filter(recipient=user, read_at__isnull=True).order_by("-created_at")[:limit])


def send_register_reminder(
    *, register: Register, sender, teachers, now=None, closes=None, base_url: str = ""
) -> list[Notification]:
    """Tell every teacher of the register's group that it has not been taken (in-app and by
    e-mail). Returns the notifications created; a teacher without a user account is skipped."""
    now = now or timezone.now()
    url = reverse("registers:register", args=[register.pk])
    when = f"{register.date:%a %d %b} {register.get_session_display().lower()}"
    message = f"{register.group.name}: the {when} register has not been taken."
    if closes is not None:
        message += f" It closes at {closes:%H:%M}."
    sent = []
    for teacher in teachers:
        user = teacher.user
        sent.append(
            Notification.objects.create(
                recipient=user, message=message, url=url, register=register, sent_by=sender, created_at=now
            )
        )
        if user.email:
            send_mail(
                subject=f"Register not taken: {register.group.name} {when}",
                message=f"{message}\n\nTake it here: {base_url}{url}\n\nSent by the school office.",
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
                fail_silently=True,
            )
    return sent


def mark_read(*, user, notification_id: int, now=None) -> bool:
    notification = Notification.objects.filter(recipient=user, pk=notification_id, read_at__isnull=True).first()
    if notification is None:
        return False
    notification.read_at = now or timezone.now()
    notification.save(update_fields=["read_at"])
    return True
