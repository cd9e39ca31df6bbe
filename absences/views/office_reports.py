"""The office's absence-report inbox: each report waiting, accepted with a code, queried or
declined, and the ones decided lately."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ..forms import AcceptForm, MessageForm
from ..models import AbsenceReport
from ..selectors.reports import open_reports, recently_decided_reports
from ..services.errors import AbsenceError
from ..services.reports import accept_report, decline_report, query_report
from .access import office_required


@office_required
def office_inbox(request):
    reports = list(open_reports(request.school))
    forms = [
        (r, AcceptForm(initial={"code": AbsenceReport.DEFAULT_CODES.get(r.reason, "")}, prefix=f"r{r.pk}"))
        for r in reports
    ]
    return render(
        request,
        "absences/office_inbox.html",
        {"items": forms, "recent": recently_decided_reports(request.school), "message_form": MessageForm()},
    )


@office_required
@require_POST
def office_report(request, pk):
    report = get_object_or_404(AbsenceReport, pk=pk, school=request.school)
    action = request.POST.get("action")
    try:
        if action == "accept":
            form = AcceptForm(request.POST, prefix=f"r{report.pk}")
            if not form.is_valid():  # never fall back to the default code: nothing is recorded
                problems = " ".join(e for errors in form.errors.values() for e in errors)
                messages.error(request, f"{report.pupil.name}: nothing was recorded. {problems}")
                return redirect("absences:office_inbox")
            marks = accept_report(
                report=report,
                user=request.user,
                code=form.cleaned_data.get("code"),
                note=form.cleaned_data.get("note", ""),
            )
            messages.success(request, f"Accepted: {len(marks)} sessions recorded for {report.pupil.name}.")
        elif action in ("query", "decline"):
            text = request.POST.get("message", "")
            if action == "query":
                query_report(report=report, user=request.user, message=text)
                messages.success(request, f"Your question has been sent to {report.pupil.forename}'s parent.")
            else:
                decline_report(report=report, user=request.user, reason=text)
                messages.success(request, "Declined; the parent has been told why.")
        else:
            messages.error(request, "Choose accept, query or decline.")
    except AbsenceError as exc:
        messages.error(request, f"{report.pupil.name}: {exc.message}")
    return redirect("absences:office_inbox")
