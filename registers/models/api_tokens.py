"""API tokens: one per integration (a kiosk, a MIS sync, a parent app), scoped to one school
and to reading or writing, revocable, with the time it was last used.

Only a SHA-256 hash of the token is stored; the token itself is shown once, when it is
created (`manage.py create_api_token`). Every write made with a token is recorded in the
register as made by the integration: name = the token's name, position = "Integration: <name>"."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "att_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    school = models.ForeignKey("registers.School", on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="The integration, e.g. 'Reception kiosk'")
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    key_prefix = models.CharField(max_length=12, help_text="The start of the token, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True)
    throttle_rate = models.CharField(
        max_length=20, blank=True, help_text="Requests allowed, e.g. '600/minute'; empty for the default"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["school", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="one_api_token_name_per_school")]

    def __str__(self):
        state = " (revoked)" if self.revoked_at else ""
        return f"{self.name} [{self.scope}] {self.key_prefix}…{state}"

    @classmethod
    def issue(cls, *, school, name: str, scope: str = Scope.READ, created_by=None, throttle_rate: str = ""):
        """Create a token; returns (token, raw). The raw token cannot be recovered later."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            school=school,
            name=name,
            scope=scope,
            key_prefix=raw[:12],
            key_hash=hash_token(raw),
            created_by=created_by,
            throttle_rate=throttle_rate,
        )
        return token, raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.is_active and self.scope == self.Scope.WRITE

    @property
    def position(self) -> str:
        return f"Integration: {self.name}"

    def revoke(self, *, now=None) -> None:
        if self.revoked_at is None:
            self.revoked_at = now or timezone.now()
            self.save(update_fields=["revoked_at"])
