"""The secret in a parent's invitation link, kept out of every record.

The token is an HMAC of a random nonce under SECRET_KEY: the database holds the nonce and a
SHA-256 of the token, the e-mail log holds the message with the link replaced by a note, and
the link is put back only in the message handed to the mail server. Someone who can read the
database, the admin or a backup therefore cannot sign in as a parent with anything found there.

Both `services.parent_accounts` (which writes invitations) and `emails` (which sends them)
import this module; it imports neither."""

from __future__ import annotations

import hashlib
import secrets

from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

# What the e-mail log shows where the link was.
LINK_PLACEHOLDER = "[the invitation link: sent to the parent, never stored]"
_SALT = "absences.ParentInvite"


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(nonce: str) -> str:
    return salted_hmac(_SALT, nonce, algorithm="sha256").hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_for(invite) -> str | None:
    """The link to put in the e-mail, or None when the invitation can no longer be used (used,
    replaced by a newer one, expired, the account closed, or SECRET_KEY changed since)."""
    if not invite.nonce or invite.used_at or invite.revoked_at or invite.expires_at < timezone.now():
        return None
    if not invite.user.is_active:
        return None
    token = token_for(invite.nonce)
    if not constant_time_compare(hash_token(token), invite.token_hash):
        return None
    return invite.link_base + reverse("absences:invite", args=[token])


def body_to_send(delivery) -> str | None:
    """The message for the mail server: the stored body, with the invitation link put back
    where the log shows the placeholder. None when an invitation e-mail can no longer be sent."""
    if LINK_PLACEHOLDER not in delivery.body:
        return delivery.body
    link = link_for(delivery.invite) if delivery.invite_id else None
    return None if link is None else delivery.body.replace(LINK_PLACEHOLDER, link)
