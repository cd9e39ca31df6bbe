"""The school's attendance policy, in plain English, and the pages that change it. Thin: the
permission (interventions.permissions: view_policy, edit_policy), the school's own policy or a 404,
a form, a call to interventions.policy.services, a redirect."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseFormSet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from registers.permissions import require_school

from ..models import Policy, Rule
from ..selectors.figures import add_school_weeks
from . import selectors, services
from .forms import (
    TRIGGER_HELP,
    BandFormSet,
    ParameterForm,
    PolicyForm,
    PupilSearchForm,
    ReasonForm,
    RuleForm,
    StageFormSet,
    trigger_choices,
)
from .history import policy_history, version_info
from .letter_templates import letter_titles
from .presets import PRESETS

VIEW, EDIT = "interventions.view_policy", "interventions.edit_policy"


def _school(request, perm):
    return require_school(request, perm, message="The attendance policy is for the attendance team and senior leaders.")


def _policy(request, pk, perm=VIEW) -> Policy:
    return get_object_or_404(Policy, pk=pk, school=_school(request, perm))


def _rule(request, pk, perm=EDIT) -> Rule:
    return get_object_or_404(
        Rule.objects.select_related("policy", "stage"), pk=pk, policy__school=_school(request, perm)
    )


def _render(request, template, context, status=200):
    context.setdefault("can_edit", request.user.has_perm(EDIT))
    return render(request, f"interventions/policy/{template}", context, status=status)


def _service_errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _summary(*items) -> list[tuple[str, str, str]]:
    """Every error on the page as (field id, field label, message), for the summary at the top
    that links to each field."""
    out = []
    for item in items:
        if item is None or not item.is_bound:
            continue
        if isinstance(item, BaseFormSet):
            out += [("", "", e) for e in item.non_form_errors()]
            for form in item.forms:
                name = form["name"].value() or "New row"
                out += _form_summary(form, f"{name} — ")
        else:
            out += _form_summary(item)
    return out


def _form_summary(form, prefix="") -> list[tuple[str, str, str]]:
    out = [("", prefix.rstrip(" —"), e) for e in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS:
            continue
        field = form[name]
        out += [(field.auto_id, f"{prefix}{field.label}", e) for e in errors]
    return out


# --- the policy ---------------------------------------------------------------------------------


@login_required
def policy_page(request, pk=None):
    school = _school(request, VIEW)
    if pk is None:
        policy = selectors.active_policy(school)
        if policy is None:
            return _render(request, "none.html", {"school": school, "policies": selectors.policies_of(school)})
    else:
        policy = get_object_or_404(Policy, pk=pk, school=school)
    today = timezone.localdate()
    overview = selectors.policy_overview(policy, letter_titles=letter_titles(school))
    for length in overview["monitoring"]:
        length["review_on"] = add_school_weeks(school, today, length["weeks"])
    return _render(
        request,
        "page.html",
        {
            "school": school,
            "policy": policy,
            "o": overview,
            "history": version_info(policy),
            "others": [p for p in selectors.policies_of(school) if p.pk != policy.pk],
            "today": today,
        },
    )


@login_required
def policy_edit(request, pk):
    policy = _policy(request, pk, EDIT)
    form = PolicyForm(
        request.POST or None,
        initial={"name": policy.name, "target_percent": policy.target_percent, "notes": policy.notes},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.update_policy(
            policy=policy,
            name=data["name"],
            target_percent=data["target_percent"],
            notes=data["notes"],
            user=request.user,
            reason=data["reason"],
        )
        messages.success(request, "The policy's details are saved.")
        return redirect("interventions:policy-detail", pk=policy.pk)
    return _render(request, "edit.html", {"policy": policy, "form": form}, status=400 if form.is_bound else 200)


# --- rules --------------------------------------------------------------------------------------------


def _parameter_forms(request, policy, trigger, rule, bound):
    """One parameter form per trigger (only the chosen one is shown and submitted)."""
    out = []
    for value, label in trigger_choices():
        data = request.POST if bound and value == trigger else None
        initial = rule.parameters if rule is not None and rule.trigger == value else None
        out.append(
            {
                "trigger": value,
                "label": label,
                "help": TRIGGER_HELP.get(value, ""),
                "form": ParameterForm(data, trigger=value, policy=policy, initial_parameters=initial),
            }
        )
    return out


def _attach(exc: ValidationError, form, parameter_form) -> list[str]:
    """Put the model's validation errors next to the fields they concern; return the rest."""
    rest = []
    pairs = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
    for name, errors in pairs:
        for message in errors:
            if name == "parameters":
                parameter_form.add_error(None, message)
            elif name in form.fields:
                form.add_error(name, message)
            else:
                rest.append(message)
    return rest


def _rule_page(request, policy, rule=None):
    post = request.method == "POST"
    trigger = (request.POST.get("trigger") if post else request.GET.get("trigger")) or (rule.trigger if rule else "")
    if trigger not in dict(trigger_choices()):
        trigger = ""
    # Without JavaScript, choosing a (different) trigger is a step of its own: the page comes
    # back with that trigger's parameters, keeping what was typed, and nothing is saved yet.
    choosing = post and ("choose" in request.POST or request.POST.get("params_for") != trigger)
    instance = rule or Rule(policy=policy, trigger=trigger)
    if post and not choosing:
        form = RuleForm(request.POST, instance=instance, policy=policy)
    else:
        initial = request.POST.dict() if post else {"trigger": trigger}
        form = RuleForm(instance=instance, policy=policy, initial=initial)
    params = _parameter_forms(request, policy, trigger, rule, bound=post and not choosing)
    chosen = next((p for p in params if p["trigger"] == trigger), None)
    service_errors = []
    if post and not choosing and form.is_valid() and chosen["form"].is_valid():
        new = form.instance
        new.parameters = chosen["form"].parameters()
        try:
            services.save_rule(rule=new, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            service_errors = _attach(exc, form, chosen["form"])
        else:
            verb = "added" if rule is None else "saved"
            messages.success(request, f"Rule {verb}: {new.name}. The change and its reason are in the history.")
            return redirect(reverse("interventions:policy-detail", kwargs={"pk": policy.pk}) + f"#rule-{new.pk}")
    if choosing and trigger:
        messages.info(request, f"Now set what “{dict(trigger_choices())[trigger]}” looks for.")
    return _render(
        request,
        "rule_form.html",
        {
            "policy": policy,
            "rule": rule,
            "form": form,
            "params": params,
            "trigger": trigger,
            "chosen": chosen,
            "service_errors": service_errors,
            "summary": _summary(form, chosen["form"] if chosen else None),
            "letter_titles": letter_titles(policy.school),
            "triggers": [(v, label, TRIGGER_HELP.get(v, "")) for v, label in trigger_choices()],
        },
        status=400 if post and not choosing else 200,
    )


@login_required
def rule_new(request, pk):
    return _rule_page(request, _policy(request, pk, EDIT))


@login_required
def rule_edit(request, pk):
    rule = _rule(request, pk)
    return _rule_page(request, rule.policy, rule)


@login_required
def rule_active(request, pk):
    """Deactivate (or reactivate) a rule, with a reason. Rules are kept: alerts refer to them."""
    rule = _rule(request, pk)
    form = ReasonForm(request.POST or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            services.set_rule_active(
                rule=rule, active=not rule.active, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            errors = _service_errors(exc)
        else:
            state = "active again" if rule.active else "inactive: the checks no longer use it"
            messages.success(request, f"“{rule.name}” is {state}.")
            return redirect(reverse("interventions:policy-detail", kwargs={"pk": rule.policy_id}) + f"#rule-{rule.pk}")
    return _render(
        request,
        "rule_active.html",
        {
            "policy": rule.policy,
            "rule": rule,
            "form": form,
            "service_errors": errors,
            "summary": _summary(form),
            "sentence": selectors.sentence(rule),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
def rule_test(request, pk):
    """'Test this rule': would it meet this pupil today (or on a past date), and on what evidence?
    Nothing is recorded."""
    rule = _rule(request, pk, VIEW)
    school = rule.policy.school
    today = timezone.localdate()
    form = PupilSearchForm(request.GET or None, initial={"on": today})
    pupil = None
    matches = []
    on = today
    if form.is_valid():
        on = form.cleaned_data.get("on") or today
        if on > today:
            form.add_error("on", "Choose today or a date in the past: the checks cannot see the future.")
            on = today
    chosen = request.GET.get("pupil", "")
    if chosen.isdigit():
        pupil = selectors.school_pupil(school, chosen)
        if pupil is None:
            raise Http404("No such pupil")
    elif form.is_valid() and form.cleaned_data["q"]:
        matches = list(selectors.pupils_matching(school, form.cleaned_data["q"]))
        if len(matches) == 1:
            pupil = matches[0]
    result = selectors.dry_run(rule=rule, pupil=pupil, on=on) if pupil is not None and not form.errors else None
    return _render(
        request,
        "rule_test.html",
        {
            "policy": rule.policy,
            "rule": rule,
            "sentence": selectors.sentence(rule, stages_by_order={s.order: s for s in rule.policy.stages.all()}),
            "form": form,
            "pupil": pupil,
            "matches": matches,
            "searched": form.is_bound and bool(request.GET.get("q")),
            "on": on,
            "result": result,
        },
    )


# --- bands and stages ----------------------------------------------------------------------------


def _band_initial(policy):
    def plain(value):  # 97.00 shows as 97
        return None if value is None else Decimal(selectors.num(value))

    return [
        {
            "id": b.pk,
            "name": b.name,
            "attendance_from": plain(b.attendance_from),
            "attendance_to": plain(b.attendance_to),
            "absence_from": plain(b.absence_from),
            "absence_to": plain(b.absence_to),
            "action": b.action,
        }
        for b in policy.bands.order_by("-attendance_from")
    ]


def _stage_initial(policy):
    return [{"id": s.pk, "order": s.order, "name": s.name, "description": s.description} for s in policy.stages.all()]


def _rows_page(request, policy, *, formset_class, prefix, initial, save, saved, anchor):
    """The bands and the ladder stages are edited alike: a table of rows and a reason, saved
    together by one service (`save`); the service's refusals are listed above the table."""
    post = request.method == "POST"
    formset = formset_class(request.POST if post else None, initial=initial, prefix=prefix)
    reason = ReasonForm(request.POST if post else None)
    errors = []
    if post and formset.is_valid() and reason.is_valid():
        try:
            save(policy=policy, rows=formset.rows(), user=request.user, reason=reason.cleaned_data["reason"])
        except ValidationError as exc:
            errors = _service_errors(exc)
        else:
            messages.success(request, f"{saved} saved. The change and its reason are in the history.")
            return redirect(reverse("interventions:policy-detail", kwargs={"pk": policy.pk}) + f"#{anchor}")
    return _render(
        request,
        f"{prefix}.html",
        {
            "policy": policy,
            "formset": formset,
            "reason_form": reason,
            "service_errors": errors,
            "summary": _summary(formset, reason),
        },
        status=400 if post else 200,
    )


@login_required
def bands_edit(request, pk):
    policy = _policy(request, pk, EDIT)
    return _rows_page(
        request,
        policy,
        formset_class=BandFormSet,
        prefix="bands",
        initial=_band_initial(policy),
        save=services.save_bands,
        saved="Bands",
        anchor="bands",
    )


@login_required
def stages_edit(request, pk):
    policy = _policy(request, pk, EDIT)
    return _rows_page(
        request,
        policy,
        formset_class=StageFormSet,
        prefix="stages",
        initial=_stage_initial(policy),
        save=services.save_stages,
        saved="Ladder stages",
        anchor="ladder",
    )


# --- history ------------------------------------------------------------------------------------------


@login_required
def changes(request, pk):
    policy = _policy(request, pk, VIEW)
    page = Paginator(policy_history(policy), 20).get_page(request.GET.get("page"))
    return _render(request, "changes.html", {"policy": policy, "page": page})


# --- presets and the active policy ---------------------------------------------------------------------


@login_required
def presets(request):
    school = _school(request, VIEW)
    return _render(
        request,
        "presets.html",
        {
            "school": school,
            "active": selectors.active_policy(school),
            "presets": [selectors.preset_preview(key) for key in sorted(PRESETS)],
        },
    )


@login_required
def preset_load(request, key):
    school = _school(request, EDIT)
    key = key.upper()
    if key not in PRESETS:
        raise Http404("No such preset")
    active = selectors.active_policy(school)
    form = ReasonForm(request.POST or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.load_preset(
                school=school, preset=key, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            errors = _service_errors(exc)
        else:
            kept = f" The previous policy, “{active.name}”, is kept, inactive, with its history." if active else ""
            messages.success(request, f"Preset {key} loaded: “{policy.name}” is now the school's policy.{kept}")
            return redirect("interventions:policy-page")
    return _render(
        request,
        "preset_confirm.html",
        {
            "preset": selectors.preset_preview(key),
            "active": active,
            "form": form,
            "service_errors": errors,
            "summary": _summary(form),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
def policy_activate(request, pk):
    policy = _policy(request, pk, EDIT)
    active = selectors.active_policy(policy.school, other_than=policy)
    form = ReasonForm(request.POST or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            services.activate_policy(policy=policy, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            errors = _service_errors(exc)
        else:
            messages.success(request, f"“{policy.name}” is now the school's active policy.")
            return redirect("interventions:policy-page")
    return _render(
        request,
        "activate.html",
        {
            "policy": policy,
            "active": active,
            "form": form,
            "service_errors": errors,
            "summary": _summary(form),
        },
        status=400 if form.is_bound else 200,
    )
