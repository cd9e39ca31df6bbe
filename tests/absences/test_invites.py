"""Invitation links to parent accounts: nothing stored opens an account, only the newest
invitation works, and a closed account stays closed."""

import importlib
import re

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import reverse

from absences.emails import deliver
from absences.invite_links import LINK_PLACEHOLDER
from absences.models import EmailDelivery, ParentInvite
from absences.services.errors import AbsenceError
from absences.services.parent_accounts import accept_invite, find_invite, invite_contact
from registers.models import Contact
from tests.factories import PupilFactory, UserFactory

PASSWORD = {"new_password1": "purple monkey dishwasher 9", "new_password2": "purple monkey dishwasher 9"}


@pytest.fixture
def contact(school):
    child = PupilFactory(school=school)
    return Contact.objects.create(pupil=child, forename="Kim", surname="Lo", relationship="Father", email="kim@ex.org")


def sent_link(message) -> str:
    return re.search(r"http://testserver(/parents/invite/\S+/)", message.body).group(1)


def test_nothing_stored_opens_the_account(contact, office, committed):
    with committed():  # the e-mail goes once the invitation is saved
        invite, token = invite_contact(contact=contact, user=office.user, base_url="http://testserver")
    assert token in mail.outbox[-1].body  # the parent gets the link…
    delivery = EmailDelivery.objects.get(invite=invite)
    assert token not in delivery.body and LINK_PLACEHOLDER in delivery.body  # …the log does not
    invite.refresh_from_db()
    stored = [invite.token_hash, invite.nonce, invite.link_base, delivery.body, delivery.subject]
    assert not any(token in value for value in stored)
    # whatever a reader of the database or a backup finds, tried as the link's token, opens nothing
    for value in [invite.token_hash, invite.nonce, *re.findall(r"[\w-]{20,}", delivery.body)]:
        assert find_invite(value) is None
        assert Client().get(reverse("absences:invite", args=[value])).status_code == 404


def test_the_admin_shows_the_email_with_the_link_redacted(contact, office, admin_client):
    invite, token = invite_contact(contact=contact, user=office.user, base_url="http://testserver")
    delivery = EmailDelivery.objects.get(invite=invite)
    page = admin_client.get(reverse("admin:absences_emaildelivery_change", args=[delivery.pk])).content.decode()
    assert "never stored" in page and token not in page


def test_the_link_needs_the_servers_secret_key(contact, office, settings):
    invite, token = invite_contact(contact=contact, user=office.user)
    settings.SECRET_KEY = "a different key: the database alone, without the server's secret"
    from absences.invite_links import link_for, token_for

    assert token_for(ParentInvite.objects.get(pk=invite.pk).nonce) != token
    assert link_for(ParentInvite.objects.get(pk=invite.pk)) is None


def test_a_newer_invitation_revokes_the_older_one(contact, office, committed):
    client = Client()
    with committed():
        _, first = invite_contact(contact=contact, user=office.user, base_url="http://testserver")
    old_link = sent_link(mail.outbox[-1])
    with committed():
        _, second = invite_contact(contact=contact, user=office.user, base_url="http://testserver")
    assert client.get(old_link).status_code == 404
    assert client.post(old_link, PASSWORD).status_code == 404
    with pytest.raises(AbsenceError):
        accept_invite(token=first, password="an old link must not work")
    account = accept_invite(token=second, password="the newest link works 42")
    assert account.check_password("the newest link works 42")


def test_an_older_invitation_waiting_to_be_sent_is_cancelled_not_sent(contact, office, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"  # the first send fails to arrive
    old, _ = invite_contact(contact=contact, user=office.user)
    EmailDelivery.objects.filter(invite=old).update(status=EmailDelivery.Status.FAILED)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invite_contact(contact=contact, user=office.user)
    mail.outbox.clear()
    old_delivery = EmailDelivery.objects.get(invite=old)
    assert deliver(old_delivery.pk) is False
    old_delivery.refresh_from_db()
    assert old_delivery.status == EmailDelivery.Status.CANCELLED and mail.outbox == []


def test_accepting_an_invitation_never_reopens_a_closed_account(contact, office, committed):
    client = Client()
    with committed():
        invite, token = invite_contact(contact=contact, user=office.user, base_url="http://testserver")
    link = sent_link(mail.outbox[-1])
    account = invite.user
    account.is_active = False  # an administrator closes the account
    account.save()
    assert client.get(link).status_code == 404
    assert client.post(link, PASSWORD).status_code == 404
    with pytest.raises(AbsenceError):
        accept_invite(token=token, password="let me back in please 42")
    account.refresh_from_db()
    assert not account.is_active and not account.has_usable_password()


def test_a_closed_account_is_not_invited_again(contact, office):
    closed = UserFactory(username="kim@ex.org", email="kim@ex.org", is_active=False)
    with pytest.raises(AbsenceError, match="closed by an administrator"):
        invite_contact(contact=contact, user=office.user)
    closed.refresh_from_db()
    assert not closed.is_active and not ParentInvite.objects.exists() and not EmailDelivery.objects.exists()


def test_links_logged_before_the_change_are_redacted_and_revoked(contact, office):
    invite, _ = invite_contact(contact=contact, user=office.user)
    # as an invitation e-mail was logged before: the working link in the body
    old_body = "To choose your password, open this link:\nhttps://school.example/parents/invite/abcDEF_123-xyz/\n"
    EmailDelivery.objects.create(to="kim@ex.org", subject="Your parent account", body=old_body)
    migration = importlib.import_module("absences.migrations.0003_invitation_tokens_never_stored")
    migration.redact_stored_links(apps, None)
    old = EmailDelivery.objects.get(invite__isnull=True)
    assert "abcDEF_123-xyz" not in old.body and LINK_PLACEHOLDER in old.body
    assert old.status == EmailDelivery.Status.CANCELLED
    invite.refresh_from_db()
    assert invite.revoked_at is not None
