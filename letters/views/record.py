"""The record: every letter the school has produced (searchable), one letter's page with the data
it showed, the letter shown again as it was, its PDF, and e-mailing it."""

from __future__ import annotations

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from .. import selectors
from ..errors import LetterError
from ..forms import LetterFilterForm
from ..models import Letter
from ..rendering import letter_pdf_bytes, render_letter_again
from ..services.delivery import email_addresses, email_letter
from .shared import LETTER_FRAME_CSP, PRODUCE, VIEW, letters_school, page, pdf_response


@login_required
def letter_list(request):
    school = letters_school(request, PRODUCE, VIEW)
    form = LetterFilterForm(request.GET or None, school=school)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    letters = selectors.letters_for_school(
        school,
        filters={
            "template": data["template"].pk if data.get("template") else None,
            "delivery": data.get("delivery"),
            "since": data.get("date_from"),
            "until": data.get("date_to"),
            "q": data.get("q"),
        },
    ).select_related("pupil__group")
    letters_page = Paginator(letters, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request, "letter_list", school, "letters", {"form": form, "page": letters_page, "query": query.urlencode()}
    )


def _letter(request, pk, *perms) -> Letter:
    school = letters_school(request, *perms)
    return get_object_or_404(
        Letter.objects.select_related(
            "pupil__group", "template", "addressee", "batch", "action__case", "alert__rule", "case_step", "school"
        ),
        pk=pk,
        school=school,
    )


@login_required
def letter_detail(request, pk):
    letter = _letter(request, pk, PRODUCE, VIEW)
    case = letter.action.case if letter.action_id else (letter.case_step.case if letter.case_step_id else None)
    return page(
        request,
        "letter",
        letter.school,
        "letters",
        {
            "letter": letter,
            "case": case,
            "addresses": email_addresses(letter),
            "later_letters": selectors.later_letters_count(letter),
        },
    )


@login_required
@xframe_options_sameorigin
@csp_replace(LETTER_FRAME_CSP)
def letter_view(request, pk):
    """The letter on record, rendered again from the template version and data it used."""
    letter = _letter(request, pk, PRODUCE, VIEW)
    response = HttpResponse(render_letter_again(letter))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def letter_pdf(request, pk):
    letter = _letter(request, pk, PRODUCE, VIEW)
    try:
        data = letter_pdf_bytes(letter)
    except FileNotFoundError:
        raise Http404("The letter's PDF is missing from storage.") from None
    return pdf_response(data, f"letter-{letter.pk}-{letter.template.key}-{letter.letter_date:%Y-%m-%d}.pdf")


@login_required
@require_POST
def letter_email(request, pk):
    letter = _letter(request, pk, PRODUCE)
    try:
        letter = email_letter(letter=letter, user=request.user)
    except LetterError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"E-mailed to {letter.emailed_to}.")
    return redirect(letter.get_absolute_url())
