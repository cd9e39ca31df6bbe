"""The template library and editor: the school's templates (and the starters it lacks), editing a
template with its live preview and a test print, and a template's history of versions."""

from __future__ import annotations

from dataclasses import dataclass

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from registers.years import year_label

from .. import selectors
from ..errors import LetterError
from ..forms import TemplateForm
from ..models import LetterTemplate
from ..rendering import draft_pdf, preview_html
from ..services.templates import install_starter_templates, save_template
from .shared import EDIT, LETTER_FRAME_CSP, PRODUCE, VIEW, letters_school, page, pdf_response, today, who

# --- the template library -------------------------------------------------------------------


@login_required
def template_library(request):
    school = letters_school(request, EDIT, PRODUCE, VIEW)
    templates = list(selectors.templates_for_school(school))
    rows = [{"template": t, "edited_by": who(t.updated_by)} for t in templates]
    missing = selectors.missing_starters({t.key for t in templates})
    return page(
        request,
        "library",
        school,
        "templates",
        {"rows": rows, "missing_starters": missing, "batches": list(selectors.batches_for_school(school)[:5])},
    )


@login_required
@require_POST
def install_starters(request):
    school = letters_school(request, EDIT)
    created = install_starter_templates(school=school)
    if created:
        messages.success(request, f"{created} starter template{'s' if created != 1 else ''} installed.")
    else:
        messages.info(request, "Every starter template is already in the library.")
    return redirect("letters:templates")


# --- the editor -----------------------------------------------------------------------------


def _template(request, pk, *perms) -> LetterTemplate:
    school = letters_school(request, *perms)
    return get_object_or_404(LetterTemplate.objects.select_related("school", "updated_by__staff"), pk=pk, school=school)


@dataclass
class ErrorAt:
    """A template error placed for the person editing: which box, which line, what it says."""

    message: str
    part: str
    line: int | None
    text: str


def place_error(error: LetterError, subject: str, body: str) -> ErrorAt:
    part = getattr(error, "part", None) or "body"
    line = getattr(error, "line", None)
    source = subject if part == "subject" else body
    lines = source.splitlines()
    text = lines[line - 1] if line and 0 < line <= len(lines) else ""
    return ErrorAt(error.message, part, line, text)


def _editor(request, template, form, *, status=200, found=None, error=None):
    pupil = selectors.pupil_at_school(template.school, form["preview_pupil"].value())
    preview_url = reverse("letters:template-preview", args=[template.pk])
    if pupil is not None:
        preview_url += f"?pupil={pupil.pk}"
    return page(
        request,
        "template_edit",
        template.school,
        "templates",
        {
            "template": template,
            "form": form,
            "fields": _field_groups(),
            "open_groups": OPEN_FIELD_GROUPS,
            "preview_pupil": pupil,
            "preview_url": preview_url,
            "found": found,
            "error": error,
            "last_edited_by": who(template.updated_by),
        },
        status=status,
    )


#: The merge-field groups the editor shows open: the ones nearly every letter uses.
OPEN_FIELD_GROUPS = {"Parent or carer", "Pupil"}


def _field_groups():
    groups: dict[str, list] = {}
    for field in selectors.merge_field_catalogue():
        groups.setdefault(field.get("group") or "Other", []).append(field)
    return list(groups.items())


@login_required
def template_edit(request, pk):
    template = _template(request, pk, EDIT)
    if request.method != "POST":
        form = TemplateForm(
            initial={
                "title": template.title,
                "purpose": template.purpose,
                "subject": template.subject,
                "body": template.body,
                "preview_pupil": request.GET.get("pupil") or None,
            }
        )
        return _editor(request, template, form)

    form = TemplateForm(request.POST)
    if not form.is_valid():
        return _editor(request, template, form, status=400)
    data = form.cleaned_data
    if request.POST.get("action") == "find":
        found = selectors.find_pupils(template.school, data["find_pupil"], on=today())
        return _editor(request, template, form, found=found)
    if request.POST.get("action") == "sample":
        form = TemplateForm({**request.POST.dict(), "preview_pupil": ""})
        form.is_valid()
        return _editor(request, template, form)
    try:
        saved = save_template(
            school=template.school,
            user=request.user,
            key=template.key,
            title=data["title"],
            purpose=data["purpose"],
            subject=data["subject"],
            body=data["body"],
            kind=template.kind,
            template=template,
        )
    except LetterError as exc:
        error = place_error(exc, data["subject"], data["body"])
        where = f" (line {error.line})" if error.line and "line" not in error.message else ""
        form.add_error("subject" if error.part == "subject" else "body", f"{error.message}{where}")
        return _editor(request, template, form, status=400, error=error)
    if saved.version != template.version:
        messages.success(request, f"Saved “{saved.title}” as version {saved.version}.")
    else:
        messages.info(request, "Nothing had changed, so no new version was saved.")
    url = reverse("letters:template-edit", args=[saved.pk])
    pupil = selectors.pupil_at_school(template.school, data.get("preview_pupil"))
    return redirect(f"{url}?pupil={pupil.pk}" if pupil else url)


@login_required
@xframe_options_sameorigin
@csp_replace(LETTER_FRAME_CSP)
def template_preview(request, pk):
    """The letter as it would print, for the editor's iframe: the saved text (GET) or the draft
    being typed (POST, from the page's Preview button or its live-preview script)."""
    template = _template(request, pk, EDIT)
    if request.method == "POST":
        subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
        pupil = selectors.pupil_at_school(template.school, request.POST.get("preview_pupil"))
    else:
        subject, body = template.subject, template.body
        pupil = selectors.pupil_at_school(template.school, request.GET.get("pupil"))
    try:
        html = preview_html(school=template.school, subject=subject, body=body, pupil=pupil, on=today())
    except LetterError as exc:
        error = place_error(exc, subject, body)
        content = render_to_string("letters/preview_error.html", {"error": error}, request=request)
        return HttpResponse(content, status=400)
    response = HttpResponse(html)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def template_draft_pdf(request, pk):
    """The saved text printed for one pupil, as a PDF to check the page layout; nothing is
    recorded and nothing is sent."""
    template = _template(request, pk, EDIT)
    pupil = selectors.pupil_at_school(template.school, request.GET.get("pupil"))
    if pupil is None:
        raise Http404("Choose a pupil to print a test letter for.")
    try:
        data = draft_pdf(template=template, pupil=pupil, on=today())
    except LetterError as exc:
        messages.error(request, f"The test letter could not be made: {exc.message}")
        return redirect(f"{reverse('letters:template-edit', args=[template.pk])}?pupil={pupil.pk}")
    response = pdf_response(data, f"test-{template.key}-{pupil.forename.lower()}.pdf")
    response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline")
    return response


@login_required
def template_history(request, pk):
    template = _template(request, pk, EDIT, PRODUCE, VIEW)
    versions = selectors.template_versions(template)
    rows = []
    for i, version in enumerate(versions):
        previous = versions[i + 1] if i + 1 < len(versions) else None
        rows.append(
            {
                "version": version,
                "by": who(version.created_by),
                "changes": selectors.version_changes(previous, version) if previous else None,
            }
        )
    return page(request, "template_history", template.school, "templates", {"template": template, "rows": rows})


@login_required
def pupil_search(request):
    """Pupils of the school matching ?q= (for the preview picker and the produce page's search)."""
    school = letters_school(request, EDIT, PRODUCE)
    pupils = selectors.find_pupils(school, request.GET.get("q", ""), on=today(), limit=15)
    return JsonResponse(
        {
            "pupils": [
                {
                    "id": p.pk,
                    "name": p.name,
                    "group": p.group.name if p.group_id else year_label(p.year),
                    "upn": p.upn,
                }
                for p in pupils
            ]
        }
    )
