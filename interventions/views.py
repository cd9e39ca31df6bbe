"""The attendance officer's pages: the dashboard, an alert, the cases and their notices.
Thin: permission (interventions/rules.py), parse, call a selector or service, render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from registers.models import Contact, Mark, RegistrationGroup, Staff
from registers.permissions import require_school, staff_of
from registers.selectors import counted_marks, penalty_threshold, penalty_window, pupil_figures

from . import services
from .evaluation.context import figures_dict
from .forms import (
    ActionForm,
    CaseListFilterForm,
    CloseCaseForm,
    DashboardFilterForm,
    DismissForm,
    LegalStepForm,
    MonitoringForm,
    NoticeOutcomeForm,
    NoticeToImproveForm,
    OwnerForm,
    PenaltyNoticeForm,
    PenaltyStatusForm,
    ProsecutionForm,
    ReopenCaseForm,
    StageForm,
    SupportPlanForm,
    SupportTargetFormSet,
    TargetOutcomeForm,
    targets_from,
)
from .models import (
    Action,
    Alert,
    Case,
    CaseStep,
    LadderStage,
    MonitoringPeriod,
    NoticeToImprove,
    PenaltyNotice,
    PenaltyNoticeMark,
    Policy,
    SupportTarget,
    TaskKind,
)
from .permissions import CASE_MANAGERS
from .selectors import Filters
from .selectors import dashboard as dashboard_selector
from .templatetags.interventions_tags import pounds


def _school(request, perm):
    return require_school(request, perm, message="This page is for the attendance team.")


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


# --- cases ----------------------------------------------------------------------------------
# Reading a case: the caseworkers and the DSL (interventions.view_cases); changing it: the
# case managers (manage_cases); notices: the attendance officer and senior leaders
# (issue_notices); legal steps: the headteacher and senior attendance champion.


def _case(request, pk, perm="interventions.view_cases") -> Case:
    school = _school(request, perm)
    return get_object_or_404(
        Case.objects.select_related("pupil__group", "stage", "owner__user", "school", "family"), pk=pk, school=school
    )


def _case_url(case, anchor=""):
    return reverse("interventions:case", kwargs={"pk": case.pk}) + (f"#{anchor}" if anchor else "")


def _errors(form, exc: ValidationError):
    for message in exc.messages:
        form.add_error(None, message)


@dataclass
class Due:
    date: dt.date
    what: str


def _next_due(case) -> Due | None:
    dues = [
        Due(day, what)
        for day, what in (
            (case.review_due, "monitoring review"),
            (case.notice_due, "end of a notice to improve"),
            (case.task_due, "task"),
            (case.target_due, "support target"),
        )
        if day is not None
    ]
    return min(dues, key=lambda d: d.date) if dues else None


def _cases_for_list(school, *, status, year=None, stage=None, owner=None):
    """The school's cases with the date of the next thing due on each (one query: a subquery
    per kind of date, so the cases list costs the same for 5 cases or 500)."""

    def first(qs, field):
        return Subquery(qs.order_by(field).values(field)[:1])

    cases = Case.objects.filter(school=school).select_related("pupil__group", "stage", "owner__user")
    if status != "all":
        cases = cases.filter(status=status)
    if year is not None:
        cases = cases.filter(pupil__year=year)
    if stage is not None:
        cases = cases.filter(stage_id=stage)
    if owner == "none":
        cases = cases.filter(owner__isnull=True)
    elif owner:
        cases = cases.filter(owner_id=owner)
    here = OuterRef("pk")
    return cases.annotate(
        review_due=first(MonitoringPeriod.objects.filter(case=here, reviewed_on__isnull=True), "review_on"),
        notice_due=first(NoticeToImprove.objects.filter(case=here, outcome=""), "period_ends_on"),
        task_due=first(Action.objects.filter(case=here, done_on__isnull=True, due_on__isnull=False), "due_on"),
        target_due=first(SupportTarget.objects.filter(action__case=here, met__isnull=True), "due_on"),
    )


@login_required
def case_list(request):
    school = _school(request, "interventions.view_cases")
    today = _today()
    years = sorted(set(RegistrationGroup.objects.filter(school=school).values_list("year", flat=True)))
    stages = LadderStage.objects.filter(policy__school=school, policy__active=True)
    owners = Staff.objects.filter(school=school, position__in=CASE_MANAGERS).select_related("user")
    form = CaseListFilterForm(request.GET or None, years=years, stages=stages, owners=owners)
    chosen = form.cleaned_data if form.is_valid() else {"status": "open"}
    cases = list(
        _cases_for_list(
            school,
            status=chosen["status"],
            year=chosen.get("year"),
            stage=chosen.get("stage"),
            owner=chosen.get("owner"),
        )
    )
    for case in cases:
        case.next_due = _next_due(case) if case.status == Case.Status.OPEN else None
        case.overdue = bool(case.next_due and case.next_due.date < today)

    def order(case):
        due = case.next_due
        return (0 if case.overdue else 1 if due else 2, due.date if due else dt.date.max, case.pupil.surname)

    cases.sort(key=order)
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


@dataclass
class FiguresRow:
    date: dt.date
    what: str
    figures: dict
    change: float | None = None

    @property
    def magnitude(self) -> float | None:
        return None if self.change is None else abs(self.change)


def figures_timeline(steps, actions, periods, events=()) -> list[FiguresRow]:
    """The pupil's year-to-date figures as kept on each step, each completed action and the
    start of each monitoring period, oldest first, with the change in attendance since the
    row before: the effect of support, as the figures stood at the time. `events` (notices,
    legal steps: date, what, figures) carry figures worked out for their date."""
    rows = [(day, 3, i, FiguresRow(day, what, figures)) for i, (day, what, figures) in enumerate(events)]
    for s in steps:
        what = s.get_kind_display()
        if s.stage:
            what += f": {s.stage}"
        if s.alert:
            what += f" — {s.alert.rule.name}"
        elif s.note:
            what += f" — {s.note}"
        order = 9 if s.kind == CaseStep.Kind.CLOSED else 0  # closing comes last on its day
        rows.append((s.date, order, s.pk, FiguresRow(s.date, what, s.figures)))
    for a in actions:
        if a.done_on and a.figures:
            what = a.get_kind_display() + (f": {a.description}" if a.description else "")
            rows.append((a.done_on, 1, a.pk, FiguresRow(a.done_on, what, a.figures)))
    for p in periods:
        if p.baseline:
            rows.append((p.start, 2, p.pk, FiguresRow(p.start, f"{p} began", p.baseline)))
    timeline = [row for *_key, row in sorted(rows, key=lambda r: r[:3])]
    previous = None
    for row in timeline:
        now = row.figures.get("attendance_percent")
        if now is not None and previous is not None:
            row.change = round(now - previous, 2)
        if now is not None:
            previous = now
    return timeline


def _notice_events(case, notices, penalty_notices, legal_steps) -> list[tuple]:
    """Notices and legal steps on the figures table: they keep no figures of their own, so the
    pupil's year-to-date figures are worked out for each date (one query per date)."""
    events = []
    for n in notices:
        events.append((n.issued_on, f"Notice to improve issued ({n.improvement_weeks} weeks)"))
        if n.outcome_on:
            events.append((n.outcome_on, f"Notice to improve: {n.get_outcome_display().lower()}"))
    for p in penalty_notices:
        events.append((p.issued_on, f"{'First' if p.sequence == 1 else 'Second'} penalty notice issued"))
    for step in legal_steps:
        events.append((step.date, step.get_kind_display()))
    figures = {day: services.snapshot(case.pupil, day) for day in {day for day, _ in events}}
    return [(day, what, figures[day]) for day, what in events]


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
    today = _today()
    user = request.user
    policy = Policy.objects.filter(school=case.school, active=True).first()
    steps = list(case.steps.select_related("stage", "alert__rule", "created_by"))
    actions = list(case.actions.select_related("assigned_to__user").prefetch_related("targets"))
    periods = list(case.monitoring_periods.all())
    notices = list(case.notices_to_improve.select_related("parent"))
    penalty_notices = list(case.penalty_notices.select_related("parent"))
    legal_steps = list(case.legal_steps.all())
    return render(
        request,
        "interventions/case.html",
        {
            "case": case,
            "school": case.school,
            "now": services.snapshot(case.pupil, today),
            "today": today,
            "steps": steps,
            "actions": actions,
            "plans": [a for a in actions if a.kind == TaskKind.SUPPORT_PLAN],
            "periods": periods,
            "timeline": figures_timeline(
                steps, actions, periods, _notice_events(case, notices, penalty_notices, legal_steps)
            ),
            "alerts": case.alerts.select_related("rule"),
            "notices": notices,
            "penalty_notices": penalty_notices,
            "legal_steps": legal_steps,
            "action_form": action_form or ActionForm(initial={"done_on": today, "kind": "meeting"}),
            "monitoring_form": monitoring_form or MonitoringForm(initial={"start": today, "weeks": 4}),
            "stage_form": stage_form or StageForm(policy=policy),
            "close_form": close_form or CloseCaseForm(outcomes=services.CLOSE_OUTCOMES.items(), initial={"on": today}),
            "reopen_form": reopen_form or ReopenCaseForm(),
            "owner_form": owner_form
            or OwnerForm(school=case.school, positions=CASE_MANAGERS, initial={"owner": case.owner_id}),
            "pupil_url": _pupil_url(case.pupil_id),
            "penalty_positions": penalty_positions(case, today),
            "can_manage": user.has_perm("interventions.manage_cases"),
            "can_issue": user.has_perm("interventions.issue_notices"),
            "can_record_legal": user.has_perm("interventions.record_legal_step"),
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
    case = _case(request, pk, "interventions.manage_cases")
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
    if action.kind == TaskKind.SUPPORT_PLAN:
        messages.info(request, "Now add the plan's SMART targets.")
        return redirect("interventions:support-plan", pk=case.pk, plan=action.pk)
    return redirect(_case_url(case, "actions"))


@login_required
@require_POST
def case_monitoring(request, pk):
    case = _case(request, pk, "interventions.manage_cases")
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
    return redirect(_case_url(case, "monitoring"))


@login_required
@require_POST
def case_stage(request, pk):
    case = _case(request, pk, "interventions.manage_cases")
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
    return redirect(_case_url(case, "legal"))


@login_required
@require_POST
def case_close(request, pk):
    case = _case(request, pk, "interventions.manage_cases")
    form = CloseCaseForm(request.POST, outcomes=services.CLOSE_OUTCOMES.items())
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.close_case(
                case=case, on=data["on"], outcome=data["outcome"], reason=data["reason"], user=request.user
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"{case.pupil.name}'s case is closed.")
            return redirect("interventions:case", pk=case.pk)
    return _case_page(request, case, close_form=form, status=400)


@login_required
@require_POST
def case_reopen(request, pk):
    case = _case(request, pk, "interventions.manage_cases")
    form = ReopenCaseForm(request.POST)
    if form.is_valid():
        try:
            services.reopen_case(case=case, on=_today(), reason=form.cleaned_data["reason"], user=request.user)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"{case.pupil.name}'s case is open again.")
            return redirect("interventions:case", pk=case.pk)
    return _case_page(request, case, reopen_form=form, status=400)


@login_required
@require_POST
def case_owner(request, pk):
    case = _case(request, pk, "interventions.manage_cases")
    form = OwnerForm(request.POST, school=case.school, positions=CASE_MANAGERS)
    if form.is_valid():
        try:
            services.set_case_owner(case=case, owner=form.cleaned_data["owner"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            owner = form.cleaned_data["owner"]
            messages.success(request, f"Owner: {owner.display_name}." if owner else "The case has no owner now.")
            return redirect("interventions:case", pk=case.pk)
    return _case_page(request, case, owner_form=form, status=400)


# --- support plans ----------------------------------------------------------------------------


def _plan_page(request, case, plan, *, formset=None, status=200):
    today = _today()
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
            "now": services.snapshot(case.pupil, today),
            "today": today,
            "can_manage": request.user.has_perm("interventions.manage_cases"),
        },
        status=status,
    )


@login_required
def support_plan_new(request, pk):
    case = _case(request, pk, "interventions.manage_cases")
    today = _today()
    form = SupportPlanForm(request.POST or None, initial={"on": today})
    formset = SupportTargetFormSet(request.POST or None, prefix="targets")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and formset.is_valid():
            try:
                plan = services.add_support_plan(
                    case=case,
                    on=form.cleaned_data["on"],
                    description=form.cleaned_data["description"],
                    targets=targets_from(formset),
                    user=request.user,
                    assigned_to=staff_of(request.user),
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                n = plan.targets.count()
                messages.success(request, f"Support plan recorded with {n} SMART target{'s' if n != 1 else ''}.")
                return redirect("interventions:support-plan", pk=case.pk, plan=plan.pk)
    return render(
        request,
        "interventions/support_plan_new.html",
        {"case": case, "school": case.school, "form": form, "formset": formset},
        status=status,
    )


def _plan(case, plan_pk):
    return get_object_or_404(Action, pk=plan_pk, case=case, kind=TaskKind.SUPPORT_PLAN)


@login_required
def support_plan(request, pk, plan):
    case = _case(request, pk)
    return _plan_page(request, case, _plan(case, plan))


@login_required
@require_POST
def support_plan_targets(request, pk, plan):
    case = _case(request, pk, "interventions.manage_cases")
    plan = _plan(case, plan)
    formset = SupportTargetFormSet(request.POST, prefix="targets")
    if formset.is_valid():
        try:
            added = services.add_support_targets(action=plan, targets=targets_from(formset))
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            messages.success(request, f"{len(added)} target{'s' if len(added) != 1 else ''} added.")
            return redirect("interventions:support-plan", pk=case.pk, plan=plan.pk)
    return _plan_page(request, case, plan, formset=formset, status=400)


@login_required
@require_POST
def support_target_result(request, pk, target):
    case = _case(request, pk, "interventions.manage_cases")
    target = get_object_or_404(SupportTarget.objects.select_related("action"), pk=target, action__case=case)
    form = TargetOutcomeForm(request.POST, prefix=f"t{target.pk}")
    if not form.is_valid():
        messages.error(request, "Choose met, not met or in progress.")
    else:
        services.record_target_outcome(target=target, met=form.met)
        messages.success(request, f"Target “{target.specific}”: {dict(form.CHOICES)[form.cleaned_data['result']]}.")
    return redirect("interventions:support-plan", pk=case.pk, plan=target.action_id)


# --- notices to improve -----------------------------------------------------------------------


def _support_so_far(case) -> str:
    lines = [
        f"{a.get_kind_display()} ({a.done_on:%d %b %Y})" + (f": {a.description}" if a.description else "")
        for a in case.actions.filter(done_on__isnull=False).exclude(kind__in=[TaskKind.LETTER, TaskKind.NOTE])
    ]
    return "\n".join(reversed(lines))


def _record_summary(case, today) -> str:
    f = services.snapshot(case.pupil, today)
    if not f["possible"]:
        return ""
    return (
        f"This school year to {today:%d %B %Y}, {case.pupil.name} has attended "
        f"{f['attendance_percent']} % of sessions: "
        f"{f['absent']} of {f['possible']} sessions missed, {f['unauthorised']} of them unauthorised."
    )


@login_required
def notice_to_improve_new(request, pk):
    case = _case(request, pk, "interventions.issue_notices")
    today = _today()
    initial = {
        "issued_on": today,
        "weeks": 4,
        "record_summary": _record_summary(case, today),
        "support_offered": _support_so_far(case),
    }
    form = NoticeToImproveForm(request.POST or None, pupil=case.pupil, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                notice = services.issue_notice_to_improve(
                    case=case,
                    parent=data["parent"],
                    issued_on=data["issued_on"],
                    weeks=data["weeks"],
                    record_summary=data["record_summary"],
                    support_offered=data["support_offered"],
                    further_support=data["further_support"],
                    sufficient_improvement=data["sufficient_improvement"],
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
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
    school = _school(request, perm)
    return get_object_or_404(
        NoticeToImprove.objects.select_related("case__pupil__group", "case__school", "parent"),
        pk=pk,
        case__school=school,
    )


def _notice_page(request, notice, *, outcome_form=None, status=200):
    today = _today()
    case, pupil = notice.case, notice.case.pupil
    during = None
    if today >= notice.issued_on:
        figures = pupil_figures(
            school=case.school, date_from=notice.issued_on, date_to=min(today, notice.period_ends_on), pupils=[pupil.pk]
        )
        during = figures_dict(figures.get(pupil.pk))
    return render(
        request,
        "interventions/notice_to_improve.html",
        {
            "notice": notice,
            "case": case,
            "school": case.school,
            "before": services.snapshot(pupil, notice.issued_on - dt.timedelta(days=1)),
            "during": during,
            "today": today,
            "period_over": today >= notice.period_ends_on,
            "outcome_form": outcome_form or NoticeOutcomeForm(initial={"on": max(today, notice.period_ends_on)}),
            "can_issue": request.user.has_perm("interventions.issue_notices"),
        },
        status=status,
    )


@login_required
def notice_to_improve(request, pk):
    return _notice_page(request, _notice(request, pk))


@login_required
@require_POST
def notice_to_improve_outcome(request, pk):
    notice = _notice(request, pk, "interventions.issue_notices")
    form = NoticeOutcomeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_notice_outcome(notice=notice, outcome=data["outcome"], on=data["on"], note=data["note"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"Outcome recorded: {notice.get_outcome_display().lower()}.")
            return redirect("interventions:notice-to-improve", pk=notice.pk)
    return _notice_page(request, notice, outcome_form=form, status=400)


# --- penalty notices ----------------------------------------------------------------------------


def _window_marks(case, window):
    """The pupil's unauthorised sessions in the threshold window, each with the notice (if any)
    that already relies on it."""
    if window is None:
        return []
    return list(
        counted_marks(school=case.school, date_from=window.start, date_to=window.end, pupils=[case.pupil_id])
        .filter(code__penalty_threshold=True)
        .select_related("code", "penalty_link__notice")
        .order_by("date", "session")
    )


def _used_by(mark):
    try:
        return mark.penalty_link.notice
    except PenaltyNoticeMark.DoesNotExist:
        return None


@login_required
def penalty_consider(request, pk, parent):
    case = _case(request, pk, "interventions.issue_notices")
    parent = get_object_or_404(Contact, pk=parent, pupil=case.pupil, parental_responsibility=True)
    today = _today()
    window = penalty_window(school=case.school, on=today, weeks=services.THRESHOLD_WEEKS)
    rows = penalty_threshold(school=case.school, on=today, sessions=1, pupils=[case.pupil_id])
    counted = rows[0] if rows else None
    marks = _window_marks(case, window)
    for mark in marks:
        mark.used_by = _used_by(mark)
        mark.eligible = mark.used_by is None and mark.code.code != "N"
    eligible = [m for m in marks if m.eligible]
    try:
        terms, refused = services.penalty_notice_terms(pupil=case.pupil, parent=parent, on=today), None
    except services.PenaltyNoticeRefused as exc:
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
            try:
                notice = services.issue_penalty_notice(
                    pupil=case.pupil,
                    parent=parent,
                    issued_on=data["issued_on"],
                    marks=list(Mark.objects.filter(pk__in=data["marks"], pupil=case.pupil)),
                    la_reference=data["la_reference"],
                    case=case,
                    user=request.user,
                )
            except services.PenaltyNoticeRefused as exc:
                refused, terms = exc, None
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, f"{notice} recorded, relying on {len(data['marks'])} sessions.")
                return redirect("interventions:penalty-notice", pk=notice.pk)
    selected = set(form["marks"].value() or []) if form.is_bound else {m.pk for m in eligible}
    for mark in marks:
        mark.checked = mark.eligible and (mark.pk in selected or str(mark.pk) in selected)
    used_count = sum(1 for m in marks if m.used_by)
    unauthorised = counted.unauthorised_sessions if counted else 0
    return render(
        request,
        "interventions/penalty_consider.html",
        {
            "case": case,
            "school": case.school,
            "parent": parent,
            "window": window,
            "counted": counted,
            "unauthorised": unauthorised,
            "available": len(eligible),
            "used_count": used_count,
            "threshold_sessions": services.THRESHOLD_SESSIONS,
            "threshold_weeks": services.THRESHOLD_WEEKS,
            "meets_threshold": len(eligible) >= services.THRESHOLD_SESSIONS,
            "marks": marks,
            "terms": terms,
            "refused": refused.messages[0] if refused else None,
            "alternatives": refused.alternatives if refused else (),
            "previous": PenaltyNotice.objects.filter(pupil=case.pupil, parent=parent).order_by("issued_on"),
            "form": form,
            "today": today,
        },
        status=status,
    )


def _penalty_notice(request, pk, perm="interventions.view_cases") -> PenaltyNotice:
    school = _school(request, perm)
    return get_object_or_404(
        PenaltyNotice.objects.select_related("pupil__group", "parent", "case", "school", "created_by"),
        pk=pk,
        school=school,
    )


def _penalty_page(request, notice, *, status_form=None, prosecution_form=None, status=200):
    today = _today()
    return render(
        request,
        "interventions/penalty_notice.html",
        {
            "notice": notice,
            "school": notice.school,
            "marks": notice.marks.select_related("code").order_by("date", "session"),
            "amount_paid": services.amount_due(notice, notice.paid_on) if notice.paid_on else None,
            "status_form": status_form or PenaltyStatusForm(initial={"on": today, "status": "paid"}),
            "prosecution_form": prosecution_form or ProsecutionForm(initial={"on": today}),
            "can_issue": request.user.has_perm("interventions.issue_notices"),
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
    notice = _penalty_notice(request, pk, "interventions.issue_notices")
    form = PenaltyStatusForm(request.POST)
    if form.is_valid():
        try:
            notice = services.set_penalty_notice_status(
                notice=notice, status=form.cleaned_data["status"], on=form.cleaned_data["on"]
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            text = f"Marked {notice.get_status_display().lower()}."
            if notice.status == PenaltyNotice.Status.PAID:
                due = services.amount_due(notice, notice.paid_on)
                text += f" Amount due when paid: {pounds(due)}." if due else " Paid after 28 days: the LA decides."
            messages.success(request, text)
            return redirect("interventions:penalty-notice", pk=notice.pk)
    return _penalty_page(request, notice, status_form=form, status=400)


@login_required
@require_POST
def penalty_notice_prosecution(request, pk):
    notice = _penalty_notice(request, pk, "interventions.issue_notices")
    form = ProsecutionForm(request.POST)
    if form.is_valid():
        try:
            services.refer_for_prosecution(notice=notice, on=form.cleaned_data["on"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "Referred to the local authority for prosecution.")
            return redirect("interventions:penalty-notice", pk=notice.pk)
    return _penalty_page(request, notice, prosecution_form=form, status=400)
