"""Who gets in, and how often: the guards for parents, the office team and leave deciders, the
404 for another family's record, and a limit on how often anyone may send a form."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from ..permissions import leave_school, office_school, parent_pupils

RATE_LIMIT = 10  # POSTs per user per scope
RATE_WINDOW = 600  # seconds


def rate_limited(scope: str, limit: int = RATE_LIMIT, window: int = RATE_WINDOW):
    """A simple cache-based limit on POSTs per user (or per address when signed out)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                who = request.user.pk if request.user.is_authenticated else request.META.get("REMOTE_ADDR", "?")
                key = f"absences:rate:{scope}:{who}"
                cache.add(key, 0, window)
                try:
                    count = cache.incr(key)
                except ValueError:
                    cache.set(key, 1, window)
                    count = 1
                if count > limit:
                    response = render(request, "absences/rate_limited.html", {"minutes": window // 60}, status=429)
                    response["Retry-After"] = str(window)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def parent_required(view):
    """Signed in, with parental responsibility for at least one child; staff are sent home."""

    @login_required(login_url="absences:sign_in")
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        children = list(parent_pupils(request.user).order_by("legal_forename"))
        if not children:
            raise Http404("No children are linked to this account.")
        request.children = children
        return view(request, *args, **kwargs)

    return wrapper


def office_required(view):
    """The school's office team (office, attendance officer, heads, DSL, data manager)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        school = office_school(request.user)
        if school is None:
            raise PermissionDenied
        request.school = school
        return view(request, *args, **kwargs)

    return wrapper


def leave_access_required(view):
    """Leave requests: the office team, and any delegate the school names to decide them."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        school = leave_school(request.user)
        if school is None:
            raise PermissionDenied
        request.school = school
        return view(request, *args, **kwargs)

    return wrapper


def own(request, queryset, pk):
    """One of the parent's records: a record for a child they are not responsible for is a 404."""
    return get_object_or_404(queryset.filter(pupil__in=[c.pk for c in request.children]), pk=pk)
