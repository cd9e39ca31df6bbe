"""The school's letterhead: its details, signatory, school day and logo (the settings every new
letter uses), and the logo itself, served so that an SVG can run nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect

from .. import selectors
from ..errors import LetterError
from ..forms import LetterheadForm
from ..models import Letterhead
from ..services.letterhead import save_letterhead
from .shared import EDIT, PRODUCE, VIEW, letters_school, page


@login_required
def letterhead(request):
    school = letters_school(request, EDIT)
    instance = Letterhead.for_school(school)
    form = LetterheadForm(request.POST or None, request.FILES or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in LetterheadForm.Meta.fields}
        try:
            save_letterhead(
                school=school,
                user=request.user,
                logo=form.cleaned_data.get("logo_upload"),
                remove_logo=form.cleaned_data.get("remove_logo", False),
                **data,
            )
        except LetterError as exc:
            form.add_error("logo_upload" if exc.field == "logo" else None, exc.message)
        else:
            messages.success(request, "Letterhead saved. New letters use it; letters on record keep theirs.")
            return redirect("letters:letterhead")
    return page(
        request,
        "letterhead",
        school,
        "letterhead",
        {"form": form, "letterhead": instance},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def letterhead_logo(request):
    school = letters_school(request, EDIT, PRODUCE, VIEW)
    instance = selectors.letterhead_with_logo(school)
    if instance is None:
        raise Http404("No logo")
    try:
        handle = instance.logo.open("rb")
    except FileNotFoundError:
        raise Http404("No logo") from None
    response = FileResponse(handle, content_type=instance.logo_content_type or "application/octet-stream")
    # An SVG opened on its own must not run anything.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
