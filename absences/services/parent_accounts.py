"""Parent accounts: the office invites a contact with parental responsibility, who sets a
password through a one-time link.

Nothing stored can be replayed (`absences.invite_links`); only the newest invitation to an
account works; an account an administrator has deactivated stays closed: it is neither
invited again nor re-opened by an old link."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from registers.models import Contact, Staff

from ..emails import queue_email
from ..invite_links import LINK_PLACEHOLDER, hash_token, new_nonce, token_for
from ..models import ParentInvite
from ..permissions import require_office
from .errors import AbsenceError

INVITE_VALID_DAYS = 14
CLOSED_ACCOUNT = (
    "This parent account has been closed by an administrator, so it cannot be invited or opened again "
    "from a link. Ask an administrator to reopen it if that was a mistake."
)


def invite_contact(*, contact: Contact, user, base_url: str = "") -> tuple[ParentInvite, str]:
    """Create (or reuse) the contact's account and e-mail them a one-time link to set a password.
    Only contacts with parental responsibility and an e-mail address can be invited. Any earlier
    invitation to the same account stops working. Returns the invitation and its token (the
    token is in the e-mail only, never stored)."""
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
        if not account.is_active:
            raise AbsenceError(CLOSED_ACCOUNT)
        if contact.user_id != account.pk:
            contact.user = account
            contact._change_reason = "linked to a parent account"
            contact.save()
        now = timezone.now()
        ParentInvite.objects.filter(user=account, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
        nonce = new_nonce()
        token = token_for(nonce)
        invite = ParentInvite.objects.create(
            contact=contact,
            user=account,
            token_hash=hash_token(token),
            nonce=nonce,
            link_base=base_url[:200],
            created_by=user,
            expires_at=now + dt.timedelta(days=INVITE_VALID_DAYS),
        )
        queue_email(
            to=email,
            template="absences/email/invite.txt",
            subject=f"Your parent account at {contact.pupil.school}",
            context={
                "contact": contact,
                "link": LINK_PLACEHOLDER,
                "days": INVITE_VALID_DAYS,
                "username": account.username,
            },
            invite=invite,
        )
    return invite, token


def find_invite(token: str) -> ParentInvite | None:
    """The invitation a link carries, if it still works: not used, not replaced by a newer
    one, not expired, and for an account that is still open."""
    invite = ParentInvite.objects.select_related("user", "contact").filter(token_hash=hash_token(token or "")).first()
    if invite is None or invite.used_at is not None or invite.revoked_at is not None:
        return None
    if invite.expires_at < timezone.now() or not invite.user.is_active:
        return None
    return invite


def accept_invite(*, token: str, password: str):
    with transaction.atomic():
        invite = find_invite(token)
        if invite is None:
            raise AbsenceError("This link has expired or has already been used. Please ask the school for a new one.")
        invite = ParentInvite.objects.select_for_update().get(pk=invite.pk)
        if invite.used_at is not None or invite.revoked_at is not None:
            raise AbsenceError("This link has already been used or replaced by a newer one.")
        account = get_user_model().objects.select_for_update().get(pk=invite.user_id)
        if not account.is_active:
            raise AbsenceError(CLOSED_ACCOUNT)
        invite.used_at = timezone.now()
        invite.save(update_fields=["used_at"])
        account.set_password(password)
        account.save(update_fields=["password"])
    return account
