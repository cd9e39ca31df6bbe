"""The address of the person making a request, as the trusted proxies in front of us saw it.

Behind the TLS proxy the README prescribes, REMOTE_ADDR is the proxy's address for everyone,
so anything counted per address (login lockout, the forms' rate limits, API throttles) would
count the whole world as one client. Each trusted proxy appends the address it received the
request from to X-Forwarded-For; with TRUSTED_PROXY_COUNT proxies in front of the app, the
client is the entry that many places from the right. Entries further left were written by the
client and are never believed. With no proxy (TRUSTED_PROXY_COUNT=0, `make run`) the header
is ignored. The one definition for django-axes (AXES_CLIENT_IP_CALLABLE), django-ratelimit
(RATELIMIT_IP_META_KEY) and DRF's throttles (NUM_PROXIES, the same rule)."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        chain = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if chain:
            # fewer entries than proxies: every entry was written by a trusted proxy, so the first is the client
            found = _address(chain[-min(proxies, len(chain))])
            if found is not None:
                return found
    return _address(remote) or "0.0.0.0"
