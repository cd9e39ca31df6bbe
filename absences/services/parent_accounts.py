"""Parent accounts: the office invites a contact with parental responsibility, who sets a
password through a one-time link."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from registers.models import Contact, Staff

from ..emails import queue_email
from ..models import ParentInvite
from ..permissions import require_office
from .errors import AbsenceError

INVITE_VALID_DAYS = 14


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_contact(*, contact: Contact, user, base_url: str = "") -> tuple[ParentInvite, str]:
    """Create (or reuse) the contact's account and e-mail them a one-time link to set a password.
    Only contacts with parental responsibility and an e-mail address can be invited."""
    require_office(user, contact.pupil.school)
    if not contact.parental_responsibility:
        raise AbsenceError("Only contacts with parental responsibility can have a parent account.")
    if not contact.email:
        raise AbsenceError("This contact has no e-mail address; add one first.")
    User = get_user_model()
    email = contact.email.strip().lower()
    with transaction.atomic():
        account = contact.user or User.objects.filter(username=email).first()
        if account is None:
            account = User(username=email, email=email, first_name=contact.forename, last_name=contact.surname)
            account.set_unusable_password()
            account.save()
        if Staff.objects.filter(user=account).exists():
            raise AbsenceError("That e-mail address belongs to a member of staff; use a personal address.")
        if contact.user_id != account.pk:
            contact.user = account
            contact._change_reason = "linked to a parent account"
            contact.save()
        token = secrets.token_urlsafe(32)
        invite = ParentInvite.objects.create(
            contact=contact,
            user=account,
            token_hash=_hash(token),
            created_by=user,
            expires_at=timezone.now() + dt.timedelta(days=INVITE_VALID_DAYS),
        )
        link = base_url + reverse("absences:invite", args=[token])
        queue_email(
            to=email,
            template="absences/email/invite.txt",
            subject=f"Your parent account at {contact.pupil.school}",
            context={"contact": contact, "link": link, "days": INVITE_VALID_DAYS, "username": account.username},
        )
    return invite, token


def find_invite(token: str) -> ParentInvite | None:
    invite = ParentInvite.objects.select_related("user", "contact").filter(token_hash=_hash(token or "")).first()
    if invite is None or invite.used_at is not None or invite.expires_at < timezone.now():
        return None
    return invite


def accept_invite(*, token: str, password: str):
    with transaction.atomic():
        invite = find_invite(token)
        if invite is None:
            raise AbsenceError("This link has expired or has already been used. Please ask the school for a new one.")
        invite = ParentInvite.objects.select_for_update().get(pk=invite.pk)
        if invite.used_at is not None:
            raise AbsenceError("This link has already been used.")
        invite.used_at = timezone.now()
        invite.save(update_fields=["used_at"])
        account = invite.user
        account.set_password(password)
        account.is_active = True
        account.save()
    return account
