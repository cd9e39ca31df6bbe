"""Who gets in: the guards for parents, the office team and leave deciders, and the 404 for
another family's record. How often anyone may send a form: `common.ratelimits`."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from ..permissions import leave_school, office_school, parent_pupils


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
