"""Who is calling: per-integration bearer tokens (`registers.models.ApiToken`), and who a write is
recorded as.

A request with `Authorization: Bearer att_…` is made by the token's integration: `request.user`
is an `Integration` (authenticated, no staff record, no Django user) and `request.auth` the
token. Permissions go through the same django-rules predicates as the pages (see
`api.permissions`); writes are recorded with the integration's name and position."""

from __future__ import annotations

import datetime as dt

import rules
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from registers.models import ApiToken, Mark, hash_token
from registers.permissions import staff_of
from registers.services import Actor

LAST_USED_PRECISION = dt.timedelta(minutes=1)


class Integration:
    """The principal of a token request: what the token's integration may see and do."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    pk = id = None
    staff = None

    def __init__(self, token: ApiToken):
        self.api_token = token

    def __str__(self):
        return self.api_token.position

    def get_username(self) -> str:
        return self.api_token.name

    def get_full_name(self) -> str:
        return self.api_token.name

    def has_perm(self, perm: str, obj=None) -> bool:
        return rules.has_perm(perm, self, obj)

    @property
    def actor(self) -> Actor:
        return Actor(user=None, name=self.api_token.name, position=self.api_token.position)


def token_of(user) -> ApiToken | None:
    return getattr(user, "api_token", None)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Bearer <token>'.")
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token contains invalid characters.")
        token = ApiToken.objects.select_related("school").filter(key_hash=hash_token(raw)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("The API token is not recognised.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("The API token has been revoked.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            # Not audited (a usage stamp, not a register record); at most one write a minute.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return Integration(token), token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-integration API token created by an administrator "
            "(`manage.py create_api_token`), scoped to one school and to read or write.",
        }


# --- who a write is recorded as ---------------------------------------------------------------


def actor_for(user) -> Actor:
    """The register's "who": a token's integration, or the member of staff signed in."""
    token = token_of(user)
    if token is not None:
        return Actor(user=None, name=token.name, position=token.position)
    return Actor.for_staff(user, staff_of(user))


def office_source(user) -> str:
    """The source of a mark written by someone other than the class teacher."""
    return Mark.Source.API if token_of(user) is not None else Mark.Source.OFFICE


def history_user(user):
    """The Django user to record in history rows (none for a token)."""
    return None if token_of(user) is not None or not user.is_authenticated else user
