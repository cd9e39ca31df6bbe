"""Throttling: each API token at its own rate (or the default `token` rate), signed-in users of the
pages per user."""

from __future__ import annotations

from django.conf import settings
from rest_framework import throttling

from .authentication import token_of


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Per token: the token's own rate, or the default `token` rate from settings."""

    scope = "token"

    def __init__(self):  # the rate depends on the token, so it is chosen in allow_request
        pass

    def allow_request(self, request, view):
        token = token_of(request.user)
        if token is None:
            return True
        self.rate = token.throttle_rate or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": token_of(request.user).pk}


class SessionUserRateThrottle(throttling.UserRateThrottle):
    """Signed-in users of the pages (session): per user."""

    def __init__(self):
        pass

    def allow_request(self, request, view):
        if token_of(request.user) is not None or not request.user.is_authenticated:
            return True
        self.rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
