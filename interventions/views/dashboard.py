"""The attendance officer's dashboard ("what needs doing today") and the button that runs the
checks for today now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..forms import DashboardFilterForm
from ..policy.selectors import active_policy
from ..selectors.dashboard import Filters, year_groups
from ..selectors.dashboard import dashboard as dashboard_selector
from ..tasks import run_checks_for_school
from .shared import officer_school


@login_required
def dashboard(request):
    school = officer_school(request, "interventions.view_dashboard")
    now = timezone.now()
    today = timezone.localtime(now).date()
    form = DashboardFilterForm(request.GET or None, years=year_groups(school))
    filters = Filters()
    if form.is_valid():
        filters = Filters(year=form.cleaned_data["year"], characteristic=form.cleaned_data["characteristic"] or None)
    show_rule = request.GET.get("rule", "")
    show_rule = int(show_rule) if show_rule.isdigit() else None
    data = dashboard_selector(school=school, today=today, now=now, filters=filters, show_rule=show_rule)
    return render(
        request,
        "interventions/dashboard.html",
        {
            "school": school,
            "d": data,
            "form": form,
            "filters": filters,
            "show_rule": show_rule,
            "can_work": request.user.has_perm("interventions.work_cases"),
            "has_policy": active_policy(school) is not None,
        },
    )


@login_required
@require_POST
def run_checks_now(request):
    school = officer_school(request, "interventions.work_cases")
    run_checks_for_school.delay_on_commit(school.pk, timezone.localdate().isoformat())
    messages.success(request, "The checks are running for today. New alerts appear below when they finish.")
    return redirect("interventions:dashboard")
