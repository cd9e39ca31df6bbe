"""The office's Imports page: upload a file from the MIS, check the preview (what would be
created, changed, recorded as leaving, and every problem), confirm or discard. Thin: the
services in `registers.imports` do the work and keep the record (ImportRun)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .import_forms import ImportUploadForm
from .imports import (
    CHANGED,
    CREATED,
    LEAVING,
    PREVIEW_LIFETIME,
    ImportReport,
    confirm_import,
    discard_import,
    expire_previews,
    leaving_title,
    next_school_day,
    preview_import,
    recent_import_runs,
)
from .models import ImportRun
from .permissions import require_school

NOT_ALLOWED = "Imports from the MIS are for the office, the data manager, the attendance officer and the headteacher."
LISTED = 500  # rows per section of a preview; the counts always cover everything


def _school(request):
    return require_school(request, "registers.import_data", message=NOT_ALLOWED)


@login_required
def imports_page(request):
    school = _school(request)
    expire_previews(school=school)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            run = preview_import(
                school=school,
                kind=data["kind"],
                data=data["content"],
                file_name=data["file"].name,
                options=data,
                user=request.user,
            )
            return redirect("imports:run", pk=run.pk)
    else:
        # ?kind=timetable from another page's "import from your MIS" link chooses the kind.
        form = ImportUploadForm(
            initial={
                "leaving_date": timezone.localdate(),
                "admission_date": next_school_day(school),
                "kind": request.GET.get("kind", "")[:20],
            }
        )
    return render(
        request,
        "registers/imports.html",
        {"school": school, "form": form, "runs": recent_import_runs(school)},
    )


@login_required
def import_run(request, pk):
    school = _school(request)
    run = get_object_or_404(ImportRun, pk=pk, school=school)
    report = ImportReport.from_json(run.preview) if "main" in run.preview else None
    sections = []
    if report is not None:
        for outcome, title in ((CREATED, "New"), (CHANGED, "Changed"), (LEAVING, leaving_title(run.kind))):
            if listed := report.listed(outcome):
                more = len(listed) - LISTED
                sections.append({"outcome": outcome, "title": title, "rows": listed[:LISTED], "more": more})
    return render(
        request,
        "registers/import_run.html",
        {
            "school": school,
            "run": run,
            "report": report,
            "summary": report.summary() if report else [],
            "sections": sections,
            "leaving_title": leaving_title(run.kind),
            "problems": run.preview.get("problems", []),
            "confirm_by": run.uploaded_at + PREVIEW_LIFETIME,
            "leaving_date": _day(run.options.get("leaving_date")),
            "admission_date": _day(run.options.get("admission_date")) if run.kind == ImportRun.Kind.CTF else None,
        },
    )


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@login_required
@require_POST
def confirm(request, pk):
    school = _school(request)
    run = get_object_or_404(ImportRun, pk=pk, school=school)
    if "discard" in request.POST:
        discard_import(run=run)
        messages.info(request, f"{run.file_name} was not imported.")
        return redirect("imports:page")
    was = run.status
    run = confirm_import(run=run, user=request.user)
    if run.status == ImportRun.Status.IMPORTED and was == ImportRun.Status.PREVIEWED:
        messages.success(request, f"Imported {run.file_name}.")
    elif run.status == ImportRun.Status.PREVIEWED and run.preview.get("changed"):
        changed = "The records changed after you previewed this file, so nothing was imported. Check the new preview."
        messages.warning(request, changed)
    return redirect("imports:run", pk=run.pk)
