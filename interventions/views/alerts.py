"""An alert the checks raised, and the officer's decision on it: accept (it becomes part of the
pupil's case, with the proposals chosen) or dismiss with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from registers.permissions import staff_of

from ..forms import DismissForm
from ..models import Alert
from ..services.alerts import accept_alert, dismiss_alert
from .shared import officer_school

DECIDE = "interventions.decide_alerts"


def _alert(request, pk, perm="interventions.work_cases") -> Alert:
    school = officer_school(request, perm)
    return get_object_or_404(Alert.objects.select_related("pupil__group", "rule", "case"), pk=pk, school=school)


@login_required
def alert_detail(request, pk):
    alert = _alert(request, pk)
    return render(
        request,
        "interventions/alert.html",
        {
            "alert": alert,
            "dismiss_form": DismissForm(),
            "school": alert.school,
            "can_decide": request.user.has_perm("interventions.decide_alerts"),
        },
    )


@login_required
@require_POST
def alert_accept(request, pk):
    alert = _alert(request, pk, DECIDE)
    chosen = [int(i) for i in request.POST.getlist("proposal") if i.isascii() and i.isdigit() and len(i) < 6]
    try:
        case = accept_alert(
            alert=alert, user=request.user, on=timezone.localdate(), owner=staff_of(request.user), choose=chosen
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("interventions:alert", pk=alert.pk)
    messages.success(request, f"Alert accepted: {alert.rule.name}. It is now part of {alert.pupil.name}'s case.")
    return redirect("interventions:case", pk=case.pk)


@login_required
@require_POST
def alert_dismiss(request, pk):
    alert = _alert(request, pk, DECIDE)
    form = DismissForm(request.POST)
    if not form.is_valid():
        context = {"alert": alert, "dismiss_form": form, "can_decide": True}
        return render(request, "interventions/alert.html", context, status=400)
    try:
        dismiss_alert(alert=alert, reason=form.cleaned_data["reason"], user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("interventions:alert", pk=alert.pk)
    messages.success(request, "Alert dismissed; the reason has been recorded.")
    return redirect("interventions:dashboard")
