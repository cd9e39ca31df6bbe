"""What every attendance-officer page starts with, and how its forms show a refusal: the school
the user works in (or a 403), a case of that school (or a 404), a link into the case page, and a
service's ValidationError shown on the form that asked for the change."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse

from registers.permissions import require_school

from ..models import Case


def officer_school(request, perm):
    """The user's school, if they hold `perm` (interventions.permissions)."""
    return require_school(request, perm, message="This page is for the attendance team.")


def case_or_404(request, pk, perm="interventions.view_cases") -> Case:
    school = officer_school(request, perm)
    return get_object_or_404(
        Case.objects.select_related("pupil__group", "stage", "owner__user", "school", "family"), pk=pk, school=school
    )


def case_url(case, anchor=""):
    return reverse("interventions:case", kwargs={"pk": case.pk}) + (f"#{anchor}" if anchor else "")


def show_refusal(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def call_service(form, service, **arguments):
    """A page's POST calls one service: its result, or None when the service refuses (a
    ValidationError), its messages then on `form` for the page to show again."""
    try:
        return service(**arguments)
    except ValidationError as exc:
        show_refusal(form, exc)
        return None
