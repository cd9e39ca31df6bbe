"""Notices to improve: recording one the school has issued (from the case), its page with the
pupil's figures before and during the improvement period, and its outcome.
Issuing: the attendance officer and senior leaders (interventions.issue_notices)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..forms import NoticeOutcomeForm, NoticeToImproveForm
from ..models import NoticeToImprove
from ..selectors.notices_to_improve import notice_figures, record_summary, support_so_far
from ..services.notices_to_improve import issue_notice_to_improve, record_notice_outcome
from .shared import call_service, case_or_404, officer_school

ISSUE = "interventions.issue_notices"


@login_required
def notice_to_improve_new(request, pk):
    case = case_or_404(request, pk, ISSUE)
    today = timezone.localdate()
    initial = {
        "issued_on": today,
        "weeks": 4,
        "record_summary": record_summary(case, today),
        "support_offered": support_so_far(case),
    }
    form = NoticeToImproveForm(request.POST or None, pupil=case.pupil, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            notice = call_service(
                form,
                issue_notice_to_improve,
                case=case,
                parent=data["parent"],
                issued_on=data["issued_on"],
                weeks=data["weeks"],
                record_summary=data["record_summary"],
                support_offered=data["support_offered"],
                further_support=data["further_support"],
                sufficient_improvement=data["sufficient_improvement"],
            )
            if notice:
                messages.success(
                    request,
                    f"Notice to improve recorded: the improvement period ends {notice.period_ends_on:%-d %B %Y}.",
                )
                return redirect("interventions:notice-to-improve", pk=notice.pk)
    return render(
        request,
        "interventions/notice_to_improve_new.html",
        {"case": case, "school": case.school, "form": form, "has_parents": form.fields["parent"].queryset.exists()},
        status=status,
    )


def _notice(request, pk, perm="interventions.view_cases") -> NoticeToImprove:
    school = officer_school(request, perm)
    return get_object_or_404(
        NoticeToImprove.objects.select_related("case__pupil__group", "case__school", "parent"),
        pk=pk,
        case__school=school,
    )


def _notice_page(request, notice, *, outcome_form=None, status=200):
    today = timezone.localdate()
    before, during = notice_figures(notice, today)
    return render(
        request,
        "interventions/notice_to_improve.html",
        {
            "notice": notice,
            "case": notice.case,
            "school": notice.case.school,
            "before": before,
            "during": during,
            "today": today,
            "period_over": today >= notice.period_ends_on,
            "outcome_form": outcome_form or NoticeOutcomeForm(initial={"on": max(today, notice.period_ends_on)}),
            "can_issue": request.user.has_perm(ISSUE),
        },
        status=status,
    )


@login_required
def notice_to_improve(request, pk):
    return _notice_page(request, _notice(request, pk))


@login_required
@require_POST
def notice_to_improve_outcome(request, pk):
    notice = _notice(request, pk, ISSUE)
    form = NoticeOutcomeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if call_service(
            form, record_notice_outcome, notice=notice, outcome=data["outcome"], on=data["on"], note=data["note"]
        ):
            messages.success(request, f"Outcome recorded: {notice.get_outcome_display().lower()}.")
            return redirect("interventions:notice-to-improve", pk=notice.pk)
    return _notice_page(request, notice, outcome_form=form, status=400)
