"""The attendance officer's dashboard ("what needs doing today"), its worklist's decisions (accept,
dismiss or snooze proposals, one or many) and the button that runs the checks for today now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from lessons.truancy import dashboard_panel
from registers.permissions import staff_of

from ..forms import DashboardFilterForm, WorklistForm
from ..policy.selectors import active_policy
from ..selectors.dashboard import Filters, year_groups
from ..selectors.dashboard import dashboard as dashboard_selector
from ..services.worklist import accept_proposals, dismiss_proposals, snooze_proposals
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
    all_rows = request.GET.get("all") == "1"
    data = dashboard_selector(school=school, today=today, now=now, filters=filters, all_rows=all_rows)
    return render(
        request,
        "interventions/dashboard.html",
        {
            "school": school,
            "d": data,
            "form": form,
            "filters": filters,
            "all_rows": all_rows,
            "can_work": request.user.has_perm("interventions.decide_alerts"),
            "has_policy": active_policy(school) is not None,
            # Pupils missing from lessons today (a school with a timetable): the year filter applies.
            "truancy": dashboard_panel(school, today, years={filters.year} if filters.year is not None else None),
        },
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _accepted_message(done):
    """What accepting did, with a link to each batch of letters the letters app started."""
    said = f"Accepted {_plural(done.proposals, 'proposal')} for {_plural(done.pupils, 'pupil')}: "
    said += f"{_plural(done.tasks, 'task')} created."
    made = [b for b in done.letters if "url" in b]
    links = format_html_join(", ", '<a href="{}">{} × {}</a>', ((b["url"], b["letters"], b["title"]) for b in made))
    failed = format_html_join(
        "",
        " No “{}” letters: {}; they are listed on each case to produce.",
        ((b["title"], b["error"]) for b in done.letters if "error" in b),
    )
    if made:
        return format_html("{} Their letters are being produced: {}.{}", said, links, failed)
    return format_html("{}{}", said, failed)


@login_required
@require_POST
def worklist_decide(request):
    """Accept, dismiss or snooze the proposals ticked (or one proposal's own Accept)."""
    school = officer_school(request, "interventions.decide_alerts")
    form = WorklistForm(request.POST)
    back = reverse("interventions:dashboard") + "#worklist"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    do, items, today, user = form.cleaned_data["do"], form.items, timezone.localdate(), request.user
    try:
        if do == "accept":
            done = accept_proposals(school=school, items=items, user=user, on=today, owner=staff_of(user))
            if done.proposals or not done.refused:
                messages.success(request, _accepted_message(done))
            for refusal in done.refused:
                messages.error(request, refusal)
        elif do == "dismiss":
            n = dismiss_proposals(school=school, items=items, reason=form.cleaned_data["reason"], user=user)
            messages.success(request, f"Dismissed {_plural(n, 'alert')}; the reason has been recorded.")
        else:
            until = form.cleaned_data["until"]
            n = snooze_proposals(school=school, items=items, until=until, user=user, on=today)
            messages.success(request, f"Snoozed {_plural(n, 'alert')} until {until:%A %-d %B}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(back)


@login_required
@require_POST
def run_checks_now(request):
    school = officer_school(request, "interventions.decide_alerts")
    run_checks_for_school.delay_on_commit(school.pk, timezone.localdate().isoformat())
    messages.success(request, "The checks are running for today. New proposals appear below when they finish.")
    return redirect("interventions:dashboard")
