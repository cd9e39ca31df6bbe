"""The cases list and a case's page, with what the case page changes: actions, monitoring
periods, the ladder stage, legal steps, closing, reopening and the owner.

Reading a case: the caseworkers and the DSL (interventions.view_cases); changing it: the case
managers (manage_cases); legal steps: the headteacher and senior attendance champion
(record_legal_step)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from registers.permissions import staff_of

from ..forms import (
    ActionForm,
    CaseListFilterForm,
    CloseCaseForm,
    LegalStepForm,
    MonitoringForm,
    OwnerForm,
    ReopenCaseForm,
    StageForm,
)
from ..models import TaskKind
from ..permissions import CASE_MANAGERS
from ..policy.selectors import active_policy
from ..selectors.cases import case_filter_choices, case_record, cases_for_list
from ..services.actions import record_action
from ..services.cases import CLOSE_OUTCOMES, close_case, reopen_case, set_case_owner, set_stage
from ..services.legal_steps import record_legal_step
from ..services.monitoring import start_monitoring
from .shared import call_service, case_or_404, case_url, officer_school

MANAGE = "interventions.manage_cases"


@login_required
def case_list(request):
    school = officer_school(request, "interventions.view_cases")
    today = timezone.localdate()
    form = CaseListFilterForm(request.GET or None, **case_filter_choices(school))
    chosen = form.cleaned_data if form.is_valid() else {"status": "open"}
    cases = cases_for_list(
        school,
        today=today,
        status=chosen["status"],
        year=chosen.get("year"),
        stage=chosen.get("stage"),
        owner=chosen.get("owner"),
    )
    return render(
        request,
        "interventions/case_list.html",
        {
            "school": school,
            "cases": cases,
            "form": form,
            "today": today,
            "status": chosen["status"],
            "overdue_count": sum(1 for c in cases if c.overdue),
            "filtered": form.is_bound and any(request.GET.get(k) for k in ("year", "stage", "owner")),
        },
    )


def _pupil_url(pk):
    try:
        return reverse("pupil-detail", kwargs={"pk": pk})
    except Exception:  # the pupil page is optional
        return None


def _case_page(
    request,
    case,
    *,
    action_form=None,
    monitoring_form=None,
    stage_form=None,
    legal_form=None,
    close_form=None,
    reopen_form=None,
    owner_form=None,
    status=200,
):
    today = timezone.localdate()
    user = request.user
    policy = active_policy(case.school)
    return render(
        request,
        "interventions/case.html",
        {
            "case": case,
            "school": case.school,
            "today": today,
            **case_record(case, today=today),
            "action_form": action_form or ActionForm(initial={"done_on": today, "kind": "meeting"}),
            "monitoring_form": monitoring_form or MonitoringForm(initial={"start": today, "weeks": 4}),
            "stage_form": stage_form or StageForm(policy=policy),
            "close_form": close_form or CloseCaseForm(outcomes=CLOSE_OUTCOMES.items(), initial={"on": today}),
            "reopen_form": reopen_form or ReopenCaseForm(),
            "owner_form": owner_form
            or OwnerForm(school=case.school, positions=CASE_MANAGERS, initial={"owner": case.owner_id}),
            "pupil_url": _pupil_url(case.pupil_id),
            "can_manage": user.has_perm(MANAGE),
            "can_issue": user.has_perm("interventions.issue_notices"),
            "can_record_legal": user.has_perm("interventions.record_legal_step"),
            "legal_form": legal_form or LegalStepForm(initial={"date": today}),
        },
        status=status,
    )


@login_required
def case_detail(request, pk):
    return _case_page(request, case_or_404(request, pk))


@login_required
@require_POST
def case_action(request, pk):
    case = case_or_404(request, pk, MANAGE)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, action_form=form, status=400)
    data = form.cleaned_data
    action = record_action(
        case=case,
        kind=data["kind"],
        user=request.user,
        on=data["done_on"],
        done_on=data["done_on"],
        description=data["description"],
        outcome=data["outcome"],
        assigned_to=staff_of(request.user),
    )
    messages.success(request, f"{action.get_kind_display()} recorded.")
    if action.kind == TaskKind.SUPPORT_PLAN:
        messages.info(request, "Now add the plan's SMART targets.")
        return redirect("interventions:support-plan", pk=case.pk, plan=action.pk)
    return redirect(case_url(case, "actions"))


@login_required
@require_POST
def case_monitoring(request, pk):
    case = case_or_404(request, pk, MANAGE)
    form = MonitoringForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        period = call_service(form, start_monitoring, case=case, weeks=data["weeks"], start=data["start"])
        if period:
            messages.success(request, f"{period}: review on {period.review_on:%A %-d %B %Y}.")
            return redirect(case_url(case, "monitoring"))
    return _case_page(request, case, monitoring_form=form, status=400)


@login_required
@require_POST
def case_stage(request, pk):
    case = case_or_404(request, pk, MANAGE)
    form = StageForm(request.POST, policy=active_policy(case.school))
    if not form.is_valid():
        return _case_page(request, case, stage_form=form, status=400)
    set_stage(
        case=case,
        stage=form.cleaned_data["stage"],
        on=timezone.localdate(),
        user=request.user,
        note=form.cleaned_data["note"],
    )
    messages.success(request, f"Stage set: {form.cleaned_data['stage']}.")
    return redirect("interventions:case", pk=case.pk)


@login_required
@require_POST
def case_legal_step(request, pk):
    case = case_or_404(request, pk)
    if not request.user.has_perm("interventions.record_legal_step"):
        raise PermissionDenied("Legal interventions are recorded by the headteacher or senior attendance champion.")
    form = LegalStepForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, legal_form=form, status=400)
    step = record_legal_step(
        case=case,
        user=request.user,
        on=form.cleaned_data["date"],
        kind=form.cleaned_data["kind"],
        notes=form.cleaned_data["notes"],
        reference=form.cleaned_data["reference"],
    )
    messages.success(request, f"{step.get_kind_display()} recorded.")
    return redirect(case_url(case, "legal"))


@login_required
@require_POST
def case_close(request, pk):
    case = case_or_404(request, pk, MANAGE)
    form = CloseCaseForm(request.POST, outcomes=CLOSE_OUTCOMES.items())
    if form.is_valid():
        data = form.cleaned_data
        closed = call_service(
            form,
            close_case,
            case=case,
            on=data["on"],
            outcome=data["outcome"],
            reason=data["reason"],
            user=request.user,
        )
        if closed:
            messages.success(request, f"{case.pupil.name}'s case is closed.")
            return redirect("interventions:case", pk=case.pk)
    return _case_page(request, case, close_form=form, status=400)


@login_required
@require_POST
def case_reopen(request, pk):
    case = case_or_404(request, pk, MANAGE)
    form = ReopenCaseForm(request.POST)
    if form.is_valid():
        reopened = call_service(
            form, reopen_case, case=case, on=timezone.localdate(), reason=form.cleaned_data["reason"], user=request.user
        )
        if reopened:
            messages.success(request, f"{case.pupil.name}'s case is open again.")
            return redirect("interventions:case", pk=case.pk)
    return _case_page(request, case, reopen_form=form, status=400)


@login_required
@require_POST
def case_owner(request, pk):
    case = case_or_404(request, pk, MANAGE)
    form = OwnerForm(request.POST, school=case.school, positions=CASE_MANAGERS)
    if form.is_valid() and call_service(form, set_case_owner, case=case, owner=form.cleaned_data["owner"]):
        owner = form.cleaned_data["owner"]
        messages.success(request, f"Owner: {owner.display_name}." if owner else "The case has no owner now.")
        return redirect("interventions:case", pk=case.pk)
    return _case_page(request, case, owner_form=form, status=400)
