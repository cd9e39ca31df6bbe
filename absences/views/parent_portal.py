"""The parent portal: the children's attendance (every session this year), reporting an absence
(and changing or withdrawing the report until the office acts), asking for leave of absence, the
evidence files sent and the letters the school sent."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.ratelimits import PARENT_FORM, limit

from ..family_letters import letters_for, open_letter
from ..follow_up_presets import policy_for
from ..forms import LeaveForm, ReportEditForm, ReportForm, add_refusal
from ..models import AbsenceReport, EvidenceFile, LeaveRequest
from ..permissions import may_see_evidence, parent_pupils
from ..selectors.parent_portal import (
    WEEKDAYS,
    child_summary,
    child_year,
    family_leave_requests,
    family_reports,
    reports_sent_together,
)
from ..services.errors import AbsenceError
from ..services.leave import submit_leave_request
from ..services.reports import edit_absence_report, submit_absence_report, withdraw_absence_report
from .access import own, parent_required


@parent_required
def home(request):
    summaries = [child_summary(child) for child in request.children]
    ids = [c.pk for c in request.children]
    return render(
        request,
        "absences/home.html",
        {"summaries": summaries, "reports": family_reports(ids), "leave_requests": family_leave_requests(ids)},
    )


@parent_required
def child(request, pk):
    pupil = next((c for c in request.children if c.pk == pk), None)
    if pupil is None:
        raise Http404
    return render(
        request,
        "absences/child.html",
        {
            "summary": child_summary(pupil),
            "year": child_year(pupil),
            "weekdays": WEEKDAYS,
            "letters": letters_for([pupil.pk]),
            "reports": family_reports([pupil]),
            "leave_requests": family_leave_requests([pupil]),
        },
    )


@parent_required
def letter(request, pk):
    """A letter the school sent about one of the parent's own children: the PDF on record."""
    opened = open_letter(pk, [c.pk for c in request.children])
    if opened is None:
        raise Http404
    handle, filename = opened
    response = FileResponse(handle, as_attachment=False, filename=filename, content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@parent_required
@limit("parents:report", PARENT_FORM)
def report_new(request):
    children = request.children
    form = ReportForm(request.POST or None, request.FILES or None, children=parent_pupils(request.user))
    if not form.is_bound:
        chosen = request.GET.get("child", "")
        if chosen.isascii() and chosen.isdigit() and int(chosen) in {c.pk for c in children}:
            form.initial["children"] = [int(chosen)]
        today = timezone.localdate()
        form.initial.setdefault("start_date", today)
        form.initial.setdefault("end_date", today)
    if request.method == "POST" and form.is_valid():
        try:
            reports, created = submit_absence_report(
                user=request.user,
                pupils=list(form.cleaned_data["children"]),
                data=form.report_input(),
                submission_key=form.cleaned_data["submission_key"],
                files=form.cleaned_data["evidence"],
            )
        except AbsenceError as exc:
            add_refusal(form, exc)
        else:
            if created:
                messages.success(request, "Thank you. We have your report and have sent you a confirmation e-mail.")
            return redirect("absences:report_done", key=reports[0].submission_key)
    return render(request, "absences/report_form.html", {"form": form, "editing": None})


@parent_required
def report_done(request, key):
    reports = reports_sent_together(key, [c.pk for c in request.children])
    if not reports:
        raise Http404
    return render(request, "absences/report_done.html", {"reports": reports})


@parent_required
def report_detail(request, pk):
    report = own(request, AbsenceReport.objects.select_related("pupil"), pk)
    return render(request, "absences/report_detail.html", {"report": report})


@parent_required
@limit("parents:report", PARENT_FORM)
def report_edit(request, pk):
    report = own(request, AbsenceReport.objects.select_related("pupil", "school"), pk)
    if not report.is_open:
        messages.warning(request, "The school has already dealt with this report, so it can't be changed now.")
        return redirect("absences:report_detail", pk=report.pk)
    form = ReportEditForm(
        request.POST or None, request.FILES or None, initial=ReportEditForm.initial_for(report), children=None
    )
    if request.method == "POST" and form.is_valid():
        try:
            edit_absence_report(
                report=report, user=request.user, data=form.report_input(), files=form.cleaned_data["evidence"]
            )
        except AbsenceError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Your changes are saved. The school office will see them.")
            return redirect("absences:report_detail", pk=report.pk)
    return render(request, "absences/report_form.html", {"form": form, "editing": report})


@parent_required
@require_POST
def report_withdraw(request, pk):
    report = own(request, AbsenceReport.objects.select_related("pupil"), pk)
    try:
        withdraw_absence_report(report=report, user=request.user)
    except AbsenceError as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(
            request, f"Your report for {report.pupil.forename} is withdrawn. The school office will see that."
        )
    return redirect("absences:report_detail", pk=report.pk)


@parent_required
@limit("parents:leave", PARENT_FORM)
def leave_new(request):
    school = request.children[0].school
    form = LeaveForm(request.POST or None, request.FILES or None, children=parent_pupils(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            requests, created = submit_leave_request(
                user=request.user,
                pupils=list(form.cleaned_data["children"]),
                data=form.leave_input(),
                submission_key=form.cleaned_data["submission_key"],
                files=form.cleaned_data["evidence"],
            )
        except AbsenceError as exc:
            add_refusal(form, exc)
        else:
            if created:
                messages.success(request, "Thank you. Your request has gone to the headteacher.")
            return redirect("absences:leave_detail", pk=requests[0].pk)
    return render(request, "absences/leave_form.html", {"form": form, "policy": policy_for(school)})


@parent_required
def leave_detail(request, pk):
    leave = own(request, LeaveRequest.objects.select_related("pupil"), pk)
    return render(request, "absences/leave_detail.html", {"leave": leave})


@login_required(login_url="absences:sign_in")
def evidence(request, pk):
    """A private file, only for the family it belongs to and the school's office and head."""
    item = get_object_or_404(EvidenceFile.objects.select_related("report", "leave_request", "school"), pk=pk)
    if not may_see_evidence(request.user, item):
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404
    ext = mimetypes.guess_extension(item.content_type) or item.extension
    response = FileResponse(
        handle, as_attachment=True, filename=f"evidence-{item.pk}{ext}", content_type=item.content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
