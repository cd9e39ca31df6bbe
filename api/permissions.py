"""Who may see and do what through the API: the pages' django-rules predicates
(`registers.permissions`) plus integrations (API tokens) and parents.

Object permissions are rules perms (`registers.api_*`); lists are narrowed by the
`visible_*` querysets, which say the same thing as the predicates as a query, so an object
outside them is a 404 and an object inside them that the principal may not act on is a 403.
A read token may only read (`TokenScope`, on every view)."""

from __future__ import annotations

import rules
from django.db.models import Q
from rest_framework import exceptions, permissions

from registers.models import Contact, Mark, Pupil, RegistrationGroup, School
from registers.permissions import (
    AGGREGATE_ONLY,
    OFFICE_TEAM,
    imports_school_data,
    is_aggregate_reader,
    is_office_team,
    is_superuser,
    register_belongs_to_teacher,
    school_id_of,
    staff_of,
    teaches_pupil,
)

from .authentication import token_of


@rules.predicate
def is_integration(user, obj=None):
    """An API token of the object's school (any scope)."""
    token = token_of(user)
    if token is None or not token.is_active:
        return False
    return obj is None or school_id_of(obj) == token.school_id


@rules.predicate
def is_writing_integration(user, obj=None):
    token = token_of(user)
    return token is not None and token.can_write and (obj is None or school_id_of(obj) == token.school_id)


def _is_user(user) -> bool:
    return user is not None and getattr(user, "pk", None) is not None and user.is_authenticated


@rules.predicate
def is_parent_of(user, pupil):
    """A contact with parental responsibility whose account is linked to the pupil."""
    if not _is_user(user) or pupil is None:
        return False
    return Contact.objects.filter(user=user, pupil=pupil, parental_responsibility=True).exists()


@rules.predicate
def is_parent_of_mark_pupil(user, mark):
    return mark is not None and is_parent_of(user, mark.pupil)


@rules.predicate
def teaches_mark_pupil(user, mark):
    return mark is not None and teaches_pupil(user, mark.pupil)


rules.add_perm(
    "registers.api_view_pupil", is_office_team | teaches_pupil | is_parent_of | is_integration | is_superuser
)
rules.add_perm(
    "registers.api_view_mark",
    is_office_team | teaches_mark_pupil | is_parent_of_mark_pupil | is_integration | is_superuser,
)
rules.add_perm("registers.api_amend_mark", is_office_team | is_writing_integration | is_superuser)
rules.add_perm(
    "registers.api_view_register", register_belongs_to_teacher | is_office_team | is_integration | is_superuser
)
rules.add_perm(
    "registers.api_take_register", register_belongs_to_teacher | is_office_team | is_writing_integration | is_superuser
)
rules.add_perm("registers.api_view_aggregates", is_office_team | is_aggregate_reader | is_integration | is_superuser)
rules.add_perm("registers.api_sign_in_late", is_office_team | is_writing_integration | is_superuser)
# MIS sync: those who import from the MIS on the Imports page, or the school's write token.
rules.add_perm("registers.api_sync_pupils", imports_school_data | is_writing_integration | is_superuser)


def check(request, perm: str, obj, message: str):
    """403 with `message` unless the caller holds `perm` on `obj`."""
    if not request.user.has_perm(perm, obj):
        raise exceptions.PermissionDenied(message)


class TokenScope(permissions.BasePermission):
    """A read token may only read."""

    message = "This API token may only read; ask an administrator for a write token."

    def has_permission(self, request, view):
        token = token_of(request.user)
        return token is None or request.method in permissions.SAFE_METHODS or token.can_write


# --- the same rules as queries, for lists --------------------------------------------------


def visible_schools(user):
    token = token_of(user)
    if token is not None:
        return School.objects.filter(pk=token.school_id)
    if user.is_superuser:
        return School.objects.all()
    staff = staff_of(user)
    if staff is not None:
        if staff.position in AGGREGATE_ONLY and staff.trust_id:
            return School.objects.filter(Q(pk=staff.school_id) | Q(trust_id=staff.trust_id))
        return School.objects.filter(pk=staff.school_id)
    if _is_user(user):
        return School.objects.filter(
            pupils__contacts__user=user, pupils__contacts__parental_responsibility=True
        ).distinct()
    return School.objects.none()


def visible_groups(user):
    token = token_of(user)
    if token is not None:
        return RegistrationGroup.objects.filter(school_id=token.school_id)
    if user.is_superuser:
        return RegistrationGroup.objects.all()
    staff = staff_of(user)
    if staff is None:
        return RegistrationGroup.objects.none()
    if staff.position in OFFICE_TEAM or staff.position in AGGREGATE_ONLY:
        return RegistrationGroup.objects.filter(school__in=visible_schools(user))
    return RegistrationGroup.objects.filter(teachers=staff)


def visible_pupils(user):
    """Pupils whose names and marks the principal may see (governors: none)."""
    token = token_of(user)
    if token is not None:
        return Pupil.objects.filter(school_id=token.school_id)
    if user.is_superuser:
        return Pupil.objects.all()
    staff = staff_of(user)
    if staff is not None:
        if staff.position in OFFICE_TEAM:
            return Pupil.objects.filter(school_id=staff.school_id)
        if staff.position in AGGREGATE_ONLY:
            return Pupil.objects.none()
        return Pupil.objects.filter(group__teachers=staff)
    if _is_user(user):
        return Pupil.objects.filter(
            pk__in=Contact.objects.filter(user=user, parental_responsibility=True).values("pupil_id")
        )
    return Pupil.objects.none()


def visible_marks(user):
    return Mark.objects.filter(pupil__in=visible_pupils(user))
