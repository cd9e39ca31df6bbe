"""The letters pages for staff: the template library and editor with its live preview, producing
letters (one now, or a batch on the workers), batch progress, the record of every letter, and the
letterhead. Thin: permission (letters/rules.py), parse, call a selector or service, render."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from registers.models import Contact, Pupil
from registers.permissions import require_school
from registers.selectors import pupils_on_roll, search_pupils
from registers.years import year_label

from . import rendering, selectors, services
from .errors import LetterError
from .forms import LetterFilterForm, LetterheadForm, ProduceChooseForm, ProduceForm, TemplateForm
from .models import Batch, Delivery, Letter, Letterhead, LetterTemplate

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


def _school(request, *perms):
    return require_school(
        request, *perms, message="Letters are for the attendance officer, the office and the headteacher."
    )


def _today():
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


def _page(request, name, school, section, context, status=200):
    """Render a letters page with what the sub-menu needs (who may do what, where they are)."""
    context = {"school": school, "letters_page": section, **_can(request, school), **context}
    return render(request, f"letters/{name}.html", context, status=status)


# --- the template library -------------------------------------------------------------------


@login_required
def template_library(request):
    school = _school(request, EDIT, PRODUCE, VIEW)
    templates = list(
        LetterTemplate.objects.filter(school=school).select_related("updated_by__staff").order_by("-active", "title")
    )
    rows = [{"template": t, "edited_by": who(t.updated_by)} for t in templates]
    missing = missing_starters({t.key for t in templates})
    return _page(
        request,
        "library",
        school,
        "templates",
        {"rows": rows, "missing_starters": missing, "batches": list(selectors.batches_for_school(school)[:5])},
    )


def missing_starters(keys: set[str]) -> list[str]:
    """Titles of the product's starter templates the school's library does not have."""
    from .starters import starters

    return [s.title for s in starters() if s.key not in keys]


@login_required
@require_POST
def install_starters(request):
    school = _school(request, EDIT)
    created = services.install_starter_templates(school=school)
    if created:
        messages.success(request, f"{created} starter template{'s' if created != 1 else ''} installed.")
    else:
        messages.info(request, "Every starter template is already in the library.")
    return redirect("letters:templates")


# --- the editor -----------------------------------------------------------------------------


def _template(request, pk, *perms) -> LetterTemplate:
    school = _school(request, *perms)
    return get_object_or_404(LetterTemplate.objects.select_related("school", "updated_by__staff"), pk=pk, school=school)


def _pupil_choice(school, value) -> Pupil | None:
    if value in (None, ""):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return Pupil.objects.filter(school=school, pk=pk).select_related("group").first()


def _find_pupils(school, text: str, limit=12):
    if not text.strip():
        return []
    today = _today()
    pupils = pupils_on_roll(school=school, date_from=today, date_to=today, include_subsidiary=True)
    return list(search_pupils(pupils, text).select_related("group").order_by("legal_surname", "legal_forename")[:limit])


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
    pupil = _pupil_choice(template.school, form["preview_pupil"].value())
    preview_url = reverse("letters:template-preview", args=[template.pk])
    if pupil is not None:
        preview_url += f"?pupil={pupil.pk}"
    return _page(
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
        found = _find_pupils(template.school, data["find_pupil"])
        return _editor(request, template, form, found=found)
    if request.POST.get("action") == "sample":
        form = TemplateForm({**request.POST.dict(), "preview_pupil": ""})
        form.is_valid()
        return _editor(request, template, form)
    try:
        saved = services.save_template(
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
    pupil = _pupil_choice(template.school, data.get("preview_pupil"))
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
        pupil = _pupil_choice(template.school, request.POST.get("preview_pupil"))
    else:
        subject, body = template.subject, template.body
        pupil = _pupil_choice(template.school, request.GET.get("pupil"))
    try:
        html = rendering.preview_html(school=template.school, subject=subject, body=body, pupil=pupil, on=_today())
    except LetterError as exc:
        error = place_error(exc, subject, body)
        page = render_to_string("letters/preview_error.html", {"error": error}, request=request)
        return HttpResponse(page, status=400)
    response = HttpResponse(html)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def template_draft_pdf(request, pk):
    """The saved text printed for one pupil, as a PDF to check the page layout; nothing is
    recorded and nothing is sent."""
    template = _template(request, pk, EDIT)
    pupil = _pupil_choice(template.school, request.GET.get("pupil"))
    if pupil is None:
        raise Http404("Choose a pupil to print a test letter for.")
    try:
        data = rendering.draft_pdf(template=template, pupil=pupil, on=_today())
    except LetterError as exc:
        messages.error(request, f"The test letter could not be made: {exc.message}")
        return redirect(f"{reverse('letters:template-edit', args=[template.pk])}?pupil={pupil.pk}")
    response = _pdf_response(data, f"test-{template.key}-{pupil.forename.lower()}.pdf")
    response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline")
    return response


@login_required
def template_history(request, pk):
    template = _template(request, pk, EDIT, PRODUCE, VIEW)
    versions = list(template.versions.select_related("created_by__staff").order_by("-version"))
    rows = []
    for i, version in enumerate(versions):
        previous = versions[i + 1] if i + 1 < len(versions) else None
        rows.append(
            {
                "version": version,
                "by": who(version.created_by),
                "changes": _changes(previous, version) if previous else None,
            }
        )
    return _page(request, "template_history", template.school, "templates", {"template": template, "rows": rows})


def _changes(old, new) -> list[tuple[str, str]]:
    """Line-by-line changes from one version to the next: (kind, text), kind in +, -, =."""
    out = []
    for label, before, after in (
        ("Title", old.title, new.title),
        ("Heading", old.subject, new.subject),
    ):
        if before != after:
            out += [("-", f"{label}: {before}"), ("+", f"{label}: {after}")]
    diff = difflib.unified_diff(old.body.splitlines(), new.body.splitlines(), lineterm="", n=1)
    for line in list(diff)[2:]:
        if line.startswith("@@"):
            out.append(("@", "…"))
        elif line.startswith("+"):
            out.append(("+", line[1:]))
        elif line.startswith("-"):
            out.append(("-", line[1:]))
        else:
            out.append(("=", line[1:]))
    return out


@login_required
def pupil_search(request):
    """Pupils of the school matching ?q= (for the preview picker and the produce page's search)."""
    school = _school(request, EDIT, PRODUCE)
    pupils = _find_pupils(school, request.GET.get("q", ""), limit=15)
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


# --- producing letters ----------------------------------------------------------------------


@dataclass
class Source:
    """Where the request to produce came from: a case's action, an alert, a leave decision, a
    list of pupils, or a year/group/search chosen on the page."""

    template: LetterTemplate | None = None
    pupil_ids: list | None = None
    action: object = None
    alert: object = None
    leave: object = None
    contact: Contact | None = None
    label: str = ""


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _template_by_key(school, key):
    if not key:
        return None
    return LetterTemplate.objects.filter(school=school, key=key, active=True).first()


def _source(school, params) -> Source:
    from absences.models import LeaveRequest
    from interventions.models import Action, Alert

    source = Source()
    action_id, alert_id, leave_id = (_ids(params.getlist(k))[:1] for k in ("action", "alert", "leave"))
    if action_id:
        action = get_object_or_404(Action.objects.select_related("case__pupil"), pk=action_id[0], case__school=school)
        source.action, source.pupil_ids = action, [action.case.pupil_id]
        source.template = _template_by_key(school, action.letter_template)
        source.label = f"From {action.case.pupil.name}'s case: {action}"
    elif alert_id:
        alert = get_object_or_404(Alert.objects.select_related("pupil", "rule"), pk=alert_id[0], school=school)
        source.alert, source.pupil_ids = alert, [alert.pupil_id]
        keys = [p.get("template") for p in alert.proposals if p.get("type") == "letter"]
        source.template = _template_by_key(school, keys[0] if keys else "")
        source.label = f"From the alert “{alert.rule.name}” for {alert.pupil.name}"
    elif leave_id:
        leave = get_object_or_404(
            LeaveRequest.objects.select_related("pupil", "contact"), pk=leave_id[0], school=school
        )
        source.leave, source.pupil_ids, source.contact = leave, [leave.pupil_id], leave.contact
        key = {"granted": "leave_granted", "refused": "leave_refused"}.get(leave.status, "")
        source.template = _template_by_key(school, key)
        source.label = f"From {leave.pupil.name}'s leave-of-absence request ({leave.get_status_display().lower()})"
    elif params.getlist("pupil"):
        source.pupil_ids = _ids(params.getlist("pupil"))
        source.label = "Pupils chosen on the previous page"
    chosen = _ids(params.getlist("template"))[:1]
    if chosen:
        source.template = get_object_or_404(LetterTemplate, pk=chosen[0], school=school, active=True)
    return source


def _narrowed(data) -> bool:
    """Whether the page was asked for some pupils (a year group, a registration group or a name);
    Reception is year 0, so the year is compared with None."""
    return data.get("year") is not None or bool(data.get("group")) or bool((data.get("q") or "").strip())


def _candidates(school, source: Source, choose: ProduceChooseForm):
    """The pupils offered on the page (ticked by default), in the order they are listed."""
    today = _today()
    on_roll = pupils_on_roll(school=school, date_from=today, date_to=today, include_subsidiary=True)
    if source.pupil_ids is not None:
        pupils = Pupil.objects.filter(school=school, pk__in=source.pupil_ids)
    elif choose.is_bound and choose.is_valid() and _narrowed(choose.cleaned_data):
        data = choose.cleaned_data
        pupils = on_roll
        if data.get("year") is not None:
            pupils = pupils.filter(year=data["year"])
        if data.get("group"):
            pupils = pupils.filter(group=data["group"])
        if data.get("q"):
            pupils = search_pupils(pupils, data["q"])
    else:
        return None
    return pupils.select_related("group").order_by("legal_surname", "legal_forename", "pk")


@login_required
def produce(request):
    school = _school(request, PRODUCE)
    params = request.POST if request.method == "POST" else request.GET
    source = _source(school, params)
    chosen = request.method != "POST" and any(request.GET.get(k) for k in ("template", "year", "group", "q"))
    choose = ProduceChooseForm(
        request.GET if chosen else None,
        school=school,
        initial={"template": source.template.pk if source.template else None},
    )
    if request.method == "POST":
        shown = _ids(request.POST.getlist("shown"))
        candidates = (
            Pupil.objects.filter(school=school, pk__in=shown)
            .select_related("group")
            .order_by("legal_surname", "legal_forename", "pk")
        )
    else:
        candidates = _candidates(school, source, choose)
    template = source.template
    if template is None and choose.is_bound and choose.is_valid():
        template = choose.cleaned_data["template"]

    form = None
    candidate_list = None if candidates is None else list(candidates)
    if template is not None and candidate_list is not None:
        contacts = None
        letterhead = Letterhead.for_school(school)
        if len(candidate_list) == 1:
            contacts = Contact.objects.filter(pupil=candidate_list[0]).order_by("priority", "pk")
        form = ProduceForm(
            request.POST if request.method == "POST" else None,
            pupils=candidates,
            options=selectors.options_used(template),
            contacts=contacts,
            signatory_default=letterhead.signatory_name,
            initial={
                "pupils": [p.pk for p in candidate_list],
                "letter_date": _today(),
                "delivery": Delivery.PRINT,
                "contact": source.contact.pk if source.contact else None,
                "signatory_name": letterhead.signatory_name,
                "signatory_position": letterhead.signatory_position,
            },
        )
        if request.method == "POST" and form.is_valid():
            response = _produce(request, school, template, source, form)
            if response is not None:
                return response
    elif request.method == "POST":
        messages.error(request, "Choose a template and the pupils first.")
        return redirect("letters:produce")

    return _page(
        request,
        "produce",
        school,
        "produce",
        {
            "choose": choose,
            "source": source,
            "template": template,
            "form": form,
            "candidates": candidate_list,
            "pass_through": _pass_through(params, source),
        },
        status=400 if request.method == "POST" else 200,
    )


def _pass_through(params, source: Source) -> list[tuple[str, str]]:
    """The hidden inputs that carry where the request came from through both steps."""
    out = []
    for key in ("action", "alert", "leave"):
        out += [(key, v) for v in _ids(params.getlist(key))[:1]]
    if source.pupil_ids is not None and not (source.action or source.alert or source.leave):
        out += [("pupil", str(v)) for v in source.pupil_ids]
    return out


def _produce(request, school, template, source: Source, form: ProduceForm):
    data = form.cleaned_data
    pupils = list(data["pupils"])
    options = form.options()
    on = data["letter_date"]
    delivery = data["delivery"]
    try:
        if len(pupils) == 1:
            letter = services.produce_letter(
                template=template,
                pupil=pupils[0],
                user=request.user,
                on=on,
                delivery=delivery,
                contact=data.get("contact"),
                action=source.action,
                alert=source.alert,
                leave_request=source.leave,
                options=options,
            )
            if delivery == Delivery.EMAIL and not letter.sent_at:
                letter = services.email_letter(letter=letter, user=request.user)
        else:
            batch = services.start_batch(
                template=template, pupils=pupils, user=request.user, on=on, delivery=delivery, options=options
            )
    except LetterError as exc:
        pupil = f" for {exc.pupil.name}" if getattr(exc, "pupil", None) is not None else ""
        form.add_error(None, f"The letter could not be produced{pupil}: {exc.message}")
        return None
    if len(pupils) == 1:
        sent = f" and e-mailed to {letter.emailed_to}" if letter.sent_at else ""
        messages.success(request, f"Letter produced for {letter.pupil.name}{sent}.")
        return redirect(letter.get_absolute_url())
    messages.success(request, f"{len(pupils)} letters are being produced.")
    return redirect(batch.get_absolute_url())


# --- batches --------------------------------------------------------------------------------


def _batch(request, pk) -> Batch:
    school = _school(request, PRODUCE, VIEW)
    return get_object_or_404(
        Batch.objects.select_related("template", "created_by__staff", "school"), pk=pk, school=school
    )


@login_required
def batch_list(request):
    school = _school(request, PRODUCE, VIEW)
    page = Paginator(selectors.batches_for_school(school), 25).get_page(request.GET.get("page"))
    return _page(request, "batch_list", school, "batches", {"page": page})


@login_required
def batch_detail(request, pk):
    batch = _batch(request, pk)
    letters = []
    if batch.finished:
        letters = list(batch.letters.select_related("pupil__group", "addressee").order_by("batch_first_page", "pk"))
    return _page(
        request,
        "batch",
        batch.school,
        "batches",
        {
            "batch": batch,
            "letters": letters,
            "created_by": who(batch.created_by),
            "progress_url": reverse("letters:batch-progress", args=[batch.pk]),
            "retry_query": _retry_query(batch),
        },
    )


def _retry_query(batch) -> str:
    """The produce page's query for the pupils whose letters failed, with the same template."""
    ids = [e["pupil_id"] for e in batch.errors if e.get("pupil_id")]
    if not ids:
        return ""
    return urlencode([("template", batch.template_id), *(("pupil", i) for i in dict.fromkeys(ids))])


@login_required
def batch_progress(request, pk):
    batch = _batch(request, pk)
    return JsonResponse(
        {
            "status": batch.status,
            "status_label": batch.get_status_display(),
            "phase": batch.phase,
            "phase_label": "" if batch.finished or not batch.phase else batch.get_phase_display(),
            "total": batch.total,
            "done": batch.done,
            "failed": batch.failed,
            "percent": batch.progress_percent,
            "finished": batch.finished,
            "errors": [
                {"pupil": e.get("pupil", ""), "field": e.get("field") or "", "message": e.get("message", "")}
                for e in batch.errors
            ],
            "pdf_url": reverse("letters:batch-pdf", args=[batch.pk]) if batch.pdf else None,
        },
        headers={"Cache-Control": "no-store"},
    )


def _pdf_response(data, filename):
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def batch_pdf(request, pk):
    batch = _batch(request, pk)
    if not batch.pdf:
        raise Http404("This batch has no PDF yet.")
    try:
        handle = batch.pdf.open("rb")
    except FileNotFoundError:
        raise Http404("The PDF is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{batch.template.key}-{batch.letter_date:%Y-%m-%d}-batch-{batch.pk}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the record -----------------------------------------------------------------------------


@login_required
def letter_list(request):
    school = _school(request, PRODUCE, VIEW)
    form = LetterFilterForm(request.GET or None, school=school)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    letters = selectors.letters_for_school(
        school,
        filters={
            "template": data["template"].pk if data.get("template") else None,
            "delivery": data.get("delivery"),
            "since": data.get("date_from"),
            "until": data.get("date_to"),
        },
    )
    if data.get("q"):
        letters = letters.filter(pupil__in=search_pupils(Pupil.objects.filter(school=school), data["q"]))
    letters = letters.select_related("pupil__group")
    page = Paginator(letters, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return _page(request, "letter_list", school, "letters", {"form": form, "page": page, "query": query.urlencode()})


def _letter(request, pk, *perms) -> Letter:
    school = _school(request, *perms)
    return get_object_or_404(
        Letter.objects.select_related(
            "pupil__group", "template", "addressee", "batch", "action__case", "alert__rule", "case_step", "school"
        ),
        pk=pk,
        school=school,
    )


def email_addresses(letter: Letter) -> list[str]:
    """Where `services.email_letter` would send this letter: the addresses the letter was
    produced with, or else its addressee's."""
    parent = letter.data.get("parent") if isinstance(letter.data, dict) else None
    recipients = [a.strip() for a in ((parent or {}).get("email") or "").split(",") if a.strip()]
    if not recipients and letter.addressee_id and letter.addressee.email:
        recipients = [letter.addressee.email]
    return recipients


@login_required
def letter_detail(request, pk):
    letter = _letter(request, pk, PRODUCE, VIEW)
    case = letter.action.case if letter.action_id else (letter.case_step.case if letter.case_step_id else None)
    return _page(
        request,
        "letter",
        letter.school,
        "letters",
        {
            "letter": letter,
            "case": case,
            "addresses": email_addresses(letter),
            "later_letters": letter.pupil.letters.filter(produced_at__gt=letter.produced_at).count(),
        },
    )


@login_required
@xframe_options_sameorigin
@csp_replace(LETTER_FRAME_CSP)
def letter_view(request, pk):
    """The letter on record, rendered again from the template version and data it used."""
    letter = _letter(request, pk, PRODUCE, VIEW)
    response = HttpResponse(rendering.render_letter_again(letter))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def letter_pdf(request, pk):
    letter = _letter(request, pk, PRODUCE, VIEW)
    try:
        data = rendering.letter_pdf_bytes(letter)
    except FileNotFoundError:
        raise Http404("The letter's PDF is missing from storage.") from None
    return _pdf_response(data, f"letter-{letter.pk}-{letter.template.key}-{letter.letter_date:%Y-%m-%d}.pdf")


@login_required
@require_POST
def letter_email(request, pk):
    letter = _letter(request, pk, PRODUCE)
    try:
        letter = services.email_letter(letter=letter, user=request.user)
    except LetterError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"E-mailed to {letter.emailed_to}.")
    return redirect(letter.get_absolute_url())


# --- the letterhead -------------------------------------------------------------------------


@login_required
def letterhead(request):
    school = _school(request, EDIT)
    instance = Letterhead.for_school(school)
    form = LetterheadForm(request.POST or None, request.FILES or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in LetterheadForm.Meta.fields}
        try:
            services.save_letterhead(
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
    return _page(
        request,
        "letterhead",
        school,
        "letterhead",
        {"form": form, "letterhead": instance},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def letterhead_logo(request):
    school = _school(request, EDIT, PRODUCE, VIEW)
    instance = Letterhead.objects.filter(school=school).first()
    if instance is None or not instance.logo:
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
