"""Batches: the list, one batch's page with its letters (and whose failed, to try again), the
progress the page polls while the workers produce it, and the batch's print PDF."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from .. import selectors
from ..models import Batch
from .shared import PRODUCE, VIEW, letters_school, page, who


def _batch(request, pk) -> Batch:
    school = letters_school(request, PRODUCE, VIEW)
    return get_object_or_404(
        Batch.objects.select_related("template", "created_by__staff", "school"), pk=pk, school=school
    )


@login_required
def batch_list(request):
    school = letters_school(request, PRODUCE, VIEW)
    batches = Paginator(selectors.batches_for_school(school), 25).get_page(request.GET.get("page"))
    return page(request, "batch_list", school, "batches", {"page": batches})


@login_required
def batch_detail(request, pk):
    batch = _batch(request, pk)
    letters = selectors.batch_letters(batch) if batch.finished else []
    return page(
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
