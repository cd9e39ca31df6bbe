"""Penalty notices: considering one for a parent (the sessions it may rely on, what it would
be, or why not and what instead), recording one the headteacher has decided to issue, and its
page: paid, unpaid, withdrawn, referred for prosecution.
Issuing: the attendance officer and senior leaders (interventions.issue_notices)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from registers.models import Contact
from registers.selectors import PENALTY_THRESHOLD_SESSIONS, PENALTY_THRESHOLD_WEEKS

from ..forms import PenaltyNoticeForm, PenaltyStatusForm, ProsecutionForm
from ..models import PenaltyNotice
from ..selectors.penalty_notices import notices_to, relied_on, threshold_sessions
from ..services.penalty_notices import (
    PenaltyNoticeRefused,
    amount_due,
    issue_penalty_notice,
    penalty_notice_terms,
    refer_for_prosecution,
    set_penalty_notice_status,
)
from ..templatetags.interventions_tags import pounds
from .shared import call_service, case_or_404, officer_school, show_refusal

ISSUE = "interventions.issue_notices"


@login_required
def penalty_consider(request, pk, parent):
    case = case_or_404(request, pk, ISSUE)
    parent = get_object_or_404(Contact, pk=parent, pupil=case.pupil, parental_responsibility=True)
    today = timezone.localdate()
    sessions = threshold_sessions(case, today)
    eligible = sessions.eligible
    try:
        terms, refused = penalty_notice_terms(pupil=case.pupil, parent=parent, on=today), None
    except PenaltyNoticeRefused as exc:
        terms, refused = None, exc
    form = PenaltyNoticeForm(
        request.POST or None,
        eligible=eligible,
        initial={"marks": [m.pk for m in eligible], "issued_on": today},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if refused is None and form.is_valid():
            data = form.cleaned_data
            chosen = set(data["marks"])  # the form offers only the eligible sessions
            try:
                notice = issue_penalty_notice(
                    pupil=case.pupil,
                    parent=parent,
                    issued_on=data["issued_on"],
                    marks=[m for m in eligible if m.pk in chosen],
                    la_reference=data["la_reference"],
                    case=case,
                    user=request.user,
                )
            except PenaltyNoticeRefused as exc:
                refused, terms = exc, None
            except ValidationError as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, f"{notice} recorded, relying on {len(data['marks'])} sessions.")
                return redirect("interventions:penalty-notice", pk=notice.pk)
    selected = set(form["marks"].value() or []) if form.is_bound else {m.pk for m in eligible}
    for mark in sessions.marks:
        mark.checked = mark.eligible and (mark.pk in selected or str(mark.pk) in selected)
    return render(
        request,
        "interventions/penalty_consider.html",
        {
            "case": case,
            "school": case.school,
            "parent": parent,
            "window": sessions.window,
            "counted": sessions.counted,
            "unauthorised": sessions.unauthorised,
            "available": len(eligible),
            "used_count": sessions.used_count,
            "threshold_sessions": PENALTY_THRESHOLD_SESSIONS,
            "threshold_weeks": PENALTY_THRESHOLD_WEEKS,
            "meets_threshold": len(eligible) >= PENALTY_THRESHOLD_SESSIONS,
            "marks": sessions.marks,
            "terms": terms,
            "refused": refused.messages[0] if refused else None,
            "alternatives": refused.alternatives if refused else (),
            "previous": notices_to(case.pupil, parent),
            "form": form,
            "today": today,
        },
        status=status,
    )


def _penalty_notice(request, pk, perm="interventions.view_cases") -> PenaltyNotice:
    school = officer_school(request, perm)
    return get_object_or_404(
        PenaltyNotice.objects.select_related("pupil__group", "parent", "case", "school", "created_by"),
        pk=pk,
        school=school,
    )


def _penalty_page(request, notice, *, status_form=None, prosecution_form=None, status=200):
    today = timezone.localdate()
    return render(
        request,
        "interventions/penalty_notice.html",
        {
            "notice": notice,
            "school": notice.school,
            "marks": relied_on(notice),
            "amount_paid": amount_due(notice, notice.paid_on) if notice.paid_on else None,
            "status_form": status_form or PenaltyStatusForm(initial={"on": today, "status": "paid"}),
            "prosecution_form": prosecution_form or ProsecutionForm(initial={"on": today}),
            "can_issue": request.user.has_perm(ISSUE),
            "today": today,
            "counts": notice.status != PenaltyNotice.Status.WITHDRAWN,
        },
        status=status,
    )


@login_required
def penalty_notice(request, pk):
    return _penalty_page(request, _penalty_notice(request, pk))


@login_required
@require_POST
def penalty_notice_status(request, pk):
    notice = _penalty_notice(request, pk, ISSUE)
    form = PenaltyStatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changed = call_service(form, set_penalty_notice_status, notice=notice, status=data["status"], on=data["on"])
        if changed:
            text = f"Marked {changed.get_status_display().lower()}."
            if changed.status == PenaltyNotice.Status.PAID:
                due = amount_due(changed, changed.paid_on)
                text += f" Amount due when paid: {pounds(due)}." if due else " Paid after 28 days: the LA decides."
            messages.success(request, text)
            return redirect("interventions:penalty-notice", pk=changed.pk)
    return _penalty_page(request, notice, status_form=form, status=400)


@login_required
@require_POST
def penalty_notice_prosecution(request, pk):
    notice = _penalty_notice(request, pk, ISSUE)
    form = ProsecutionForm(request.POST)
    if form.is_valid() and call_service(form, refer_for_prosecution, notice=notice, on=form.cleaned_data["on"]):
        messages.success(request, "Referred to the local authority for prosecution.")
        return redirect("interventions:penalty-notice", pk=notice.pk)
    return _penalty_page(request, notice, prosecution_form=form, status=400)
