"""The attendance officer's pages: the dashboard, an alert, a case. Thin: permission
(interventions/rules.py), parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from registers.rules import staff_of
from registers.views import school_for

from . import services
from .forms import ActionForm, DashboardFilterForm, DismissForm, LegalStepForm, MonitoringForm, StageForm
from .models import Alert, Case, Policy
from .selectors import Filters
from .selectors import dashboard as dashboard_selector


def _school(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied("This page is for the attendance team.")
    school = school_for(request)
    if school is None:
        raise Http404("No school")
    return school


def _today():
    return timezone.localdate()


@login_required
def dashboard(request):
    school = _school(request, "interventions.view_dashboard")
    now = timezone.now()
    today = timezone.localtime(now).date()
    from registers.models import RegistrationGroup

    years = sorted(set(RegistrationGroup.objects.filter(school=school).values_list("year", flat=True)))
    form = DashboardFilterForm(request.GET or None, years=years)
    filters = Filters()
    if form.is_valid():
        filters = Filters(year=form.cleaned_data["year"], characteristic=form.cleaned_data["characteristic"] or None)
    data = dashboard_selector(school=school, today=today, now=now, filters=filters)
    return render(
        request,
        "interventions/dashboard.html",
        {
            "school": school,
            "d": data,
            "form": form,
            "filters": filters,
            "can_work": request.user.has_perm("interventions.work_cases"),
            "has_policy": Policy.objects.filter(school=school, active=True).exists(),
        },
    )


@login_required
@require_POST
def run_checks_now(request):
    school = _school(request, "interventions.work_cases")
    from .tasks import run_checks_for_school

    run_checks_for_school.delay_on_commit(school.pk, _today().isoformat())
    messages.success(request, "The checks are running for today. New alerts appear below when they finish.")
    return redirect("interventions:dashboard")


def _alert(request, pk) -> Alert:
    school = _school(request, "interventions.work_cases")
    return get_object_or_404(Alert.objects.select_related("pupil__group", "rule", "case"), pk=pk, school=school)


@login_required
def alert_detail(request, pk):
    alert = _alert(request, pk)
    return render(
        request,
        "interventions/alert.html",
        {"alert": alert, "dismiss_form": DismissForm(), "school": alert.school},
    )


@login_required
@require_POST
def alert_accept(request, pk):
    alert = _alert(request, pk)
    chosen = [int(i) for i in request.POST.getlist("proposal") if i.isdigit()]
    try:
        case = services.accept_alert(
            alert=alert, user=request.user, on=_today(), owner=staff_of(request.user), choose=chosen
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("interventions:alert", pk=alert.pk)
    messages.success(request, f"Alert accepted: {alert.rule.name}. It is now part of {alert.pupil.name}'s case.")
    return redirect("interventions:case", pk=case.pk)


@login_required
@require_POST
def alert_dismiss(request, pk):
    alert = _alert(request, pk)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return render(request, "interventions/alert.html", {"alert": alert, "dismiss_form": form}, status=400)
    try:
        services.dismiss_alert(alert=alert, reason=form.cleaned_data["reason"], user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("interventions:alert", pk=alert.pk)
    messages.success(request, "Alert dismissed; the reason has been recorded.")
    return redirect("interventions:dashboard")


def _case(request, pk) -> Case:
    school = _school(request, "interventions.work_cases")
    return get_object_or_404(
        Case.objects.select_related("pupil__group", "stage", "owner__user", "school"), pk=pk, school=school
    )


def penalty_positions(case, today):
    """For each parent: what a penalty notice issued today would be, or why not and what instead."""
    out = []
    for parent in case.pupil.contacts.filter(parental_responsibility=True):
        try:
            out.append(
                {"parent": parent, "terms": services.penalty_notice_terms(pupil=case.pupil, parent=parent, on=today)}
            )
        except services.PenaltyNoticeRefused as refused:
            out.append({"parent": parent, "refused": refused.messages[0], "alternatives": refused.alternatives})
    return out


def _case_page(request, case, *, action_form=None, monitoring_form=None, stage_form=None, legal_form=None, status=200):
    today = _today()
    policy = Policy.objects.filter(school=case.school, active=True).first()
    return render(
        request,
        "interventions/case.html",
        {
            "case": case,
            "school": case.school,
            "now": services.snapshot(case.pupil, today),
            "steps": case.steps.select_related("stage", "alert__rule", "created_by"),
            "actions": case.actions.select_related("assigned_to__user"),
            "periods": case.monitoring_periods.all(),
            "alerts": case.alerts.select_related("rule"),
            "notices": case.notices_to_improve.all(),
            "penalty_notices": case.penalty_notices.all(),
            "legal_steps": case.legal_steps.all(),
            "action_form": action_form or ActionForm(initial={"done_on": today, "kind": "meeting"}),
            "monitoring_form": monitoring_form or MonitoringForm(initial={"start": today, "weeks": 4}),
            "stage_form": stage_form or StageForm(policy=policy),
            "pupil_url": _pupil_url(case.pupil_id),
            "penalty_positions": penalty_positions(case, today),
            "can_record_legal": request.user.has_perm("interventions.record_legal_step"),
            "legal_form": legal_form or LegalStepForm(initial={"date": today}),
        },
        status=status,
    )


def _pupil_url(pk):
    try:
        return reverse("pupil-detail", kwargs={"pk": pk})
    except Exception:  # the pupil page is optional
        return None


@login_required
def case_detail(request, pk):
    return _case_page(request, _case(request, pk))


@login_required
@require_POST
def case_action(request, pk):
    case = _case(request, pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, action_form=form, status=400)
    data = form.cleaned_data
    action = services.record_action(
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
    return redirect(reverse("interventions:case", kwargs={"pk": case.pk}) + "#actions")


@login_required
@require_POST
def case_monitoring(request, pk):
    case = _case(request, pk)
    form = MonitoringForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, monitoring_form=form, status=400)
    try:
        period = services.start_monitoring(
            case=case, weeks=form.cleaned_data["weeks"], start=form.cleaned_data["start"]
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _case_page(request, case, monitoring_form=form, status=400)
    messages.success(request, f"{period}: review on {period.review_on:%A %-d %B %Y}.")
    return redirect(reverse("interventions:case", kwargs={"pk": case.pk}) + "#monitoring")


@login_required
@require_POST
def case_stage(request, pk):
    case = _case(request, pk)
    policy = Policy.objects.filter(school=case.school, active=True).first()
    form = StageForm(request.POST, policy=policy)
    if not form.is_valid():
        return _case_page(request, case, stage_form=form, status=400)
    services.set_stage(
        case=case, stage=form.cleaned_data["stage"], on=_today(), user=request.user, note=form.cleaned_data["note"]
    )
    messages.success(request, f"Stage set: {form.cleaned_data['stage']}.")
    return redirect("interventions:case", pk=case.pk)


@login_required
@require_POST
def case_legal_step(request, pk):
    case = _case(request, pk)
    if not request.user.has_perm("interventions.record_legal_step"):
        raise PermissionDenied("Legal interventions are recorded by the headteacher or senior attendance champion.")
    form = LegalStepForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, legal_form=form, status=400)
    step = services.record_legal_step(
        case=case,
        user=request.user,
        on=form.cleaned_data["date"],
        kind=form.cleaned_data["kind"],
        notes=form.cleaned_data["notes"],
        reference=form.cleaned_data["reference"],
    )
    messages.success(request, f"{step.get_kind_display()} recorded.")
    return redirect(reverse("interventions:case", kwargs={"pk": case.pk}) + "#legal")
