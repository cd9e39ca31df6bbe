"""The internal-truancy pages: today's alerts (live: the page polls its own fragment, and works by
reloading without JavaScript), one alert with its history and the form that clears it by hand, and
the lessons still missing a register. A head of year sees their own years only."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from registers import timing
from registers.permissions import require_school, staff_of
from registers.years import year_label

from .missing import missing_after, missing_lesson_registers
from .models import TruancyAlert
from .truancy import WHERE_MAX, alerts_on, resolve_by_hand, still_open_before, years_looked_after

NOT_FOR_YOU = "Internal-truancy alerts are for the office, heads of year and the attendance officer."


class WhereForm(forms.Form):
    where_they_were = forms.CharField(
        label="Where were they?",
        max_length=WHERE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where the pupil was found or what the school learned, e.g. 'with the school nurse'.",
        error_messages={"required": "Say where the pupil was (for example: 'with the school nurse')."},
    )


def _poll_seconds() -> int:
    return getattr(settings, "LESSONS_POLL_SECONDS", 30)


def _viewer(request, perm: str):
    """The school, the reader's years (None: the whole school) and a label for them."""
    school = require_school(request, perm, message=NOT_FOR_YOU)
    years = years_looked_after(staff_of(request.user))
    label = ", ".join(year_label(y) for y in sorted(years)) if years else ""
    return school, years, label


def _live(request) -> bool:
    return bool(request.GET.get("fragment")) or request.headers.get("X-Requested-With") == "fetch"


@login_required
def truancy_list(request):
    school, years, years_label = _viewer(request, "lessons.view_truancy")
    now = timing.now()
    today = timezone.localtime(now).date()
    alerts = list(alerts_on(school, today, years=years))
    open_alerts = [a for a in alerts if a.state == TruancyAlert.State.OPEN]
    context = {
        "open_alerts": open_alerts,
        "earlier": list(still_open_before(school, today, years=years)),
        "resolved": [a for a in alerts if a.state != TruancyAlert.State.OPEN],
        "now": timezone.localtime(now),
        "years": years,
        "years_label": years_label,
        "poll_seconds": _poll_seconds(),
    }
    if _live(request):
        html = render_to_string("lessons/truancy/_alerts.html", context, request=request)
        return JsonResponse({"count": len(open_alerts), "html": html, "at": f"{timezone.localtime(now):%H:%M:%S}"})
    return render(request, "lessons/truancy/list.html", context)


@login_required
def truancy_alert(request, pk):
    """One alert, its history, and (for those who may) the form recording where the pupil was."""
    school, years, _ = _viewer(request, "lessons.view_truancy")
    alert = get_object_or_404(
        TruancyAlert.objects.select_related(
            "pupil__group",
            "register__lesson__group",
            "register__lesson__period",
            "register__lesson__room",
            "resolved_by",
        ),
        pk=pk,
        school=school,
    )
    if years is not None and alert.pupil.year not in years:
        raise Http404("No alert of your year groups has that number.")
    can_resolve = request.user.has_perm("lessons.resolve_truancy", school)
    form = WhereForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_resolve:
            raise PermissionDenied("You may read this alert but not clear it.")
        if form.is_valid():
            try:
                resolve_by_hand(
                    alert_id=alert.pk,
                    school=school,
                    user=request.user,
                    where_they_were=form.cleaned_data["where_they_were"],
                    now=timing.now(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{alert.pupil.name}'s alert is cleared.")
                return redirect("lessons:truancy")
        status = 400
    history = list(alert.history.select_related("history_user").order_by("history_date", "history_id"))
    context = {"alert": alert, "form": form, "can_resolve": can_resolve, "history": history}
    return render(request, "lessons/truancy/alert.html", context, status=status)


@login_required
def missing_registers(request):
    school, years, years_label = _viewer(request, "lessons.view_missing_lesson_registers")
    now = timing.now()
    missing = missing_lesson_registers(school, now, years=years)
    context = {
        "missing": missing,
        "now": timezone.localtime(now),
        "after": missing_after(school),
        "years": years,
        "years_label": years_label,
        "poll_seconds": _poll_seconds(),
    }
    if _live(request):
        html = render_to_string("lessons/truancy/_missing_table.html", context, request=request)
        return JsonResponse({"count": len(missing), "html": html, "at": f"{timezone.localtime(now):%H:%M:%S}"})
    return render(request, "lessons/truancy/missing.html", context)
