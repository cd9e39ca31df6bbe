"""Reminders to teachers: an in-app notification on their "today" page and an e-mail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from . import timing
from .models import Notification, Register
from .register_selectors import register_time_subquery


@dataclass
class Reminder:
    """A reminder as the teacher's today page shows it: the office's message, and what is true of
    its register now (never a closing time that has passed as if it were still to come)."""

    notification: Notification
    now_text: str


def unread_for(user, *, now: dt.datetime | None = None, limit: int = 10) -> list[Reminder]:
    """The user's unread reminders, leaving out those whose register has been taken since (one query)."""
    now = now or timezone.now()
    notifications = (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .filter(Q(register__isnull=True) | Q(register__state=Register.State.NOT_TAKEN))
        .select_related("register")
        .annotate(register_closes=register_time_subquery("closes", via="register__"))
        .order_by("-created_at")[:limit]
    )
    return [Reminder(n, _now_text(n, now)) for n in notifications]


def _now_text(notification: Notification, now: dt.datetime) -> str:
    register, closes = notification.register, getattr(notification, "register_closes", None)
    if register is None or closes is None:
        return ""
    today = timezone.localtime(now).date()
    if register.date < today:
        return "That day has passed: ask the office to complete it."
    if register.date == today and now >= timing.at(register.date, closes):
        return f"It closed at {closes:%H:%M}: you can still record pupils who have no mark today."
    return f"It closes at {closes:%H:%M}."


def send_register_reminder(
    *, register: Register, sender, teachers, now=None, closes=None, base_url: str = ""
) -> list[Notification]:
    """Tell every teacher of the register's group that it has not been taken (in-app and by
    e-mail). Returns the notifications created; a teacher without a user account is skipped."""
    now = now or timezone.now()
    url = reverse("registers:register", args=[register.pk])
    when = f"{register.date:%a %d %b} {register.get_session_display().lower()}"
    message = f"{register.group.name}: the {when} register has not been taken."
    # The closing time goes in the e-mail (read now) but not in the stored message, which the
    # today page shows with the register's state at the time it is read.
    closing = f" It closes at {closes:%H:%M}." if closes is not None else ""
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
                message=f"{message}{closing}\n\nTake it here: {base_url}{url}\n\nSent by the school office.",
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
