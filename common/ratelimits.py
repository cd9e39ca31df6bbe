"""Limits on the forms anyone on the internet can post (sign-in, password reset, invitation
links, the parent portal's forms): django-ratelimit, counting in the shared cache (CACHE_URL:
Redis in production, so every web process and replica counts together).

Signed-out visitors are counted per client address (`common.client_address`, through
RATELIMIT_IP_META_KEY), signed-in users per account. Over the limit: a 429 page a person can act
on, with Retry-After."""

from __future__ import annotations

import functools
import logging
import math

from django.http import HttpResponse
from django.template.loader import select_template
from django.utils.decorators import method_decorator
from django_ratelimit import UNSAFE
from django_ratelimit.core import is_ratelimited
from redis.exceptions import RedisError

from .client_address import client_ip

log = logging.getLogger(__name__)

# How often each public form may be posted, per client.
# Sign-in: per address *and* username, so a school's staff all signing in from its one public address
# at 8:40 are never held up; guessing across usernames from one address is django-axes' to lock.
SIGN_IN = "10/10m"
PASSWORD_RESET_PER_ADDRESS = "5/h"
PASSWORD_RESET_PER_EMAIL = "3/h"  # nobody can fill a parent's inbox with reset e-mails
INVITE = "20/10m"  # per address, opening or posting an invitation link
PARENT_FORM = "10/10m"  # per parent, each of the portal's forms

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(rate: str) -> int:
    """The window of a django-ratelimit rate such as '5/h' or '10/10m'."""
    window = rate.split("/", 1)[1]
    return int(window[:-1] or 1) * _PERIODS[window[-1]]


def address_and_username(group: str, request) -> str:
    """A key: the client's address and the username a sign-in form was posted with."""
    return f"{client_ip(request)}|{request.POST.get('username', '').strip().lower()}"


def posted_email(group: str, request) -> str:
    """A key: the e-mail address a form was posted with, as the account would match it."""
    return request.POST.get("email", "").strip().lower()


def limit(group: str, rate: str, *, key: str = "user_or_ip", method=UNSAFE):
    """A function view, at most `rate` requests (POSTs by default) per `key` within the window."""
    seconds = _seconds(rate)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                limited = is_ratelimited(
                    request, group=group, fn=view, key=key, rate=rate, method=method, increment=True
                )
            except (OSError, RedisError):
                # the shared cache is down: the form goes on without its limit until it is back
                # (RATELIMIT_FAIL_OPEN only covers part of django-ratelimit's cache calls)
                log.warning("rate limit %s not counted: the cache is unavailable", group, exc_info=True)
                limited = False
            if limited:
                return too_many_requests(request, retry_after=seconds)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def limit_view(group: str, rate: str, *, key: str = "user_or_ip", method=UNSAFE):
    """The same for a class-based view (applied to its dispatch)."""
    return method_decorator(limit(group, rate, key=key, method=method), name="dispatch")


def too_many_requests(request, *, retry_after: int) -> HttpResponse:
    """429; the app's own page when it has one (`<namespace>/rate_limited.html`), else the common one."""
    match = getattr(request, "resolver_match", None)
    names = [f"{match.namespace}/rate_limited.html"] if match and match.namespace else []
    template = select_template([*names, "common/rate_limited.html"])
    body = template.render({"minutes": math.ceil(retry_after / 60)}, request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response
