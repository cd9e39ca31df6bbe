"""The office's follow-up of unexplained absence: today's list with the steps due and the
prompts to tell the LA, one pupil's page where each contact attempt is logged, and the N codes
overdue for a reason."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from registers.models import Pupil

from ..follow_up_presets import policy_for
from ..forms import AttemptForm, ResolveNForm, add_refusal
from ..selectors.follow_up import (
    contact_attempts,
    deletion_ground_prompts,
    follow_up_case,
    illness_prompts,
    overdue_n,
    pupil_contacts,
    unexplained_absences,
)
from ..services.errors import AbsenceError
from ..services.follow_up import log_contact_attempt, resolve_n_marks
from .access import office_required


@office_required
def office_follow_up(request):
    school = request.school
    return render(
        request,
        "absences/office_follow_up.html",
        {
            "cases": unexplained_absences(school),
            "deletion": deletion_ground_prompts(school),
            "illness": illness_prompts(school),
            "policy": policy_for(school),
        },
    )


@office_required
def office_pupil(request, pk):
    pupil = get_object_or_404(Pupil.objects.select_related("group"), pk=pk, school=request.school)
    case = follow_up_case(request.school, pupil)
    absence_date = case.first_day if case else timezone.localdate()
    form = AttemptForm(request.POST or None, pupil=pupil, initial={"absence_date": absence_date})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            log_contact_attempt(
                pupil=pupil,
                user=request.user,
                absence_date=d["absence_date"],
                action=d["action"],
                contact=d["contact"],
                channel=d["channel"],
                outcome=d["outcome"],
                notes=d["notes"],
                decision=d["decision"],
                rationale=d["rationale"],
            )
        except AbsenceError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Logged.")
            return redirect("absences:office_pupil", pk=pupil.pk)
    return render(
        request,
        "absences/office_pupil.html",
        {
            "pupil": pupil,
            "case": case,
            "form": form,
            "contacts": pupil_contacts(pupil),
            "attempts": contact_attempts(pupil),
        },
    )


@office_required
def office_overdue(request):
    rows = overdue_n(request.school)
    form = ResolveNForm(request.POST or None, mark_ids=[r.mark.pk for r in rows])
    if request.method == "POST" and form.is_valid():
        try:
            marks = resolve_n_marks(
                school=request.school,
                user=request.user,
                mark_ids=[int(i) for i in form.cleaned_data["marks"]],
                code=form.cleaned_data["code"],
                reason=form.cleaned_data["reason"],
            )
        except AbsenceError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, f"{len(marks)} N code(s) resolved.")
            return redirect("absences:office_overdue")
    return render(request, "absences/office_overdue.html", {"rows": rows, "form": form})
