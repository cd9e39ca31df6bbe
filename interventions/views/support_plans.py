"""A case's support plans: a new plan with its SMART targets, a plan's page, more targets, and
each target's result (met, not met, in progress)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from registers.permissions import staff_of

from ..forms import SupportPlanForm, SupportTargetFormSet, TargetOutcomeForm, targets_from
from ..models import Action, SupportTarget, TaskKind
from ..selectors.figures import year_to_date_figures
from ..services.support_plans import add_support_plan, add_support_targets, record_target_outcome
from .shared import call_service, case_or_404

MANAGE = "interventions.manage_cases"


def _plan(case, plan_pk):
    return get_object_or_404(Action, pk=plan_pk, case=case, kind=TaskKind.SUPPORT_PLAN)


def _plan_page(request, case, plan, *, formset=None, status=200):
    today = timezone.localdate()
    targets = list(plan.targets.order_by("due_on", "pk"))
    for target in targets:
        target.form = TargetOutcomeForm(
            prefix=f"t{target.pk}",
            initial={"result": {True: "met", False: "not_met"}.get(target.met, "in_progress")},
        )
    return render(
        request,
        "interventions/support_plan.html",
        {
            "case": case,
            "school": case.school,
            "plan": plan,
            "targets": targets,
            "formset": formset or SupportTargetFormSet(prefix="targets"),
            "now": year_to_date_figures(case.pupil, today),
            "today": today,
            "can_manage": request.user.has_perm(MANAGE),
        },
        status=status,
    )


@login_required
def support_plan_new(request, pk):
    case = case_or_404(request, pk, MANAGE)
    form = SupportPlanForm(request.POST or None, initial={"on": timezone.localdate()})
    formset = SupportTargetFormSet(request.POST or None, prefix="targets")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and formset.is_valid():
            plan = call_service(
                form,
                add_support_plan,
                case=case,
                on=form.cleaned_data["on"],
                description=form.cleaned_data["description"],
                targets=targets_from(formset),
                user=request.user,
                assigned_to=staff_of(request.user),
            )
            if plan:
                n = plan.targets.count()
                messages.success(request, f"Support plan recorded with {n} SMART target{'s' if n != 1 else ''}.")
                return redirect("interventions:support-plan", pk=case.pk, plan=plan.pk)
    return render(
        request,
        "interventions/support_plan_new.html",
        {"case": case, "school": case.school, "form": form, "formset": formset},
        status=status,
    )


@login_required
def support_plan(request, pk, plan):
    case = case_or_404(request, pk)
    return _plan_page(request, case, _plan(case, plan))


@login_required
@require_POST
def support_plan_targets(request, pk, plan):
    case = case_or_404(request, pk, MANAGE)
    plan = _plan(case, plan)
    formset = SupportTargetFormSet(request.POST, prefix="targets")
    if formset.is_valid():
        try:
            added = add_support_targets(action=plan, targets=targets_from(formset))
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            messages.success(request, f"{len(added)} target{'s' if len(added) != 1 else ''} added.")
            return redirect("interventions:support-plan", pk=case.pk, plan=plan.pk)
    return _plan_page(request, case, plan, formset=formset, status=400)


@login_required
@require_POST
def support_target_result(request, pk, target):
    case = case_or_404(request, pk, MANAGE)
    target = get_object_or_404(SupportTarget.objects.select_related("action"), pk=target, action__case=case)
    form = TargetOutcomeForm(request.POST, prefix=f"t{target.pk}")
    if not form.is_valid():
        messages.error(request, "Choose met, not met or in progress.")
    else:
        record_target_outcome(target=target, met=form.met)
        messages.success(request, f"Target “{target.specific}”: {dict(form.CHOICES)[form.cleaned_data['result']]}.")
    return redirect("interventions:support-plan", pk=case.pk, plan=target.action_id)
