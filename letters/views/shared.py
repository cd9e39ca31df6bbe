"""What every letters page shares: who may reach it (and do what there), the sub-menu's context,
today's date, staff names as colleagues know them, PDF responses and the letter frames' policy."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from registers.permissions import require_school

EDIT = "letters.edit_templates"
PRODUCE = "letters.produce"
VIEW = "letters.view_letter"

#: The letter documents shown inside the pages' iframes: no script at all, the letter's own
#: styles, images from the site or data: URIs; framed only by our own pages.
LETTER_FRAME_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'none'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'none'"],
    "base-uri": ["'none'"],
}


def letters_school(request, *perms):
    """The school the user works in, if they hold one of `perms` there (403 otherwise)."""
    return require_school(
        request, *perms, message="Letters are for the attendance officer, the office and the headteacher."
    )


def today():
    return timezone.localdate()


def who(user) -> str:
    """A person's name as staff know them (their title and name, or their username)."""
    if user is None:
        return ""
    staff = getattr(user, "staff", None)
    return staff.display_name if staff is not None else (user.get_full_name() or user.get_username())


def _can(request, school) -> dict:
    return {
        "can_edit": request.user.has_perm(EDIT, school),
        "can_produce": request.user.has_perm(PRODUCE, school),
        "can_view": request.user.has_perm(VIEW, school),
    }


def page(request, name, school, section, context, status=200):
    """Render a letters page with what the sub-menu needs (who may do what, where they are)."""
    context = {"school": school, "letters_page": section, **_can(request, school), **context}
    return render(request, f"letters/{name}.html", context, status=status)


def pdf_response(data, filename):
    """PDF bytes as a private download."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
