"""Producing letters: the produce page, reached from a case's action, an alert, a leave decision,
a list of pupils, or on its own (choose a template, then a year, group or name). One pupil's
letter is produced at once; several are a batch on the workers."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect

from absences.models import LeaveRequest
from interventions.models import Action, Alert
from registers.models import Contact

from .. import selectors
from ..errors import LetterError
from ..forms import ProduceChooseForm, ProduceForm
from ..models import Batch, Delivery, Letterhead, LetterTemplate
from ..services.producing import produce_letters
from .shared import PRODUCE, letters_school, page, today


@dataclass
class Source:
    """Where the request to produce came from: a case's action, an alert, a leave decision, a
    list of pupils, or a year/group/search chosen on the page."""

    template: LetterTemplate | None = None
    pupil_ids: list | None = None
    action: object = None
    alert: object = None
    leave: object = None
    contact: Contact | None = None
    label: str = ""


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _source(school, params) -> Source:
    source = Source()
    action_id, alert_id, leave_id = (_ids(params.getlist(k))[:1] for k in ("action", "alert", "leave"))
    if action_id:
        action = get_object_or_404(Action.objects.select_related("case__pupil"), pk=action_id[0], case__school=school)
        source.action, source.pupil_ids = action, [action.case.pupil_id]
        source.template = selectors.active_template(school, action.letter_template)
        source.label = f"From {action.case.pupil.name}'s case: {action}"
    elif alert_id:
        alert = get_object_or_404(Alert.objects.select_related("pupil", "rule"), pk=alert_id[0], school=school)
        source.alert, source.pupil_ids = alert, [alert.pupil_id]
        keys = [p.get("template") for p in alert.proposals if p.get("type") == "letter"]
        source.template = selectors.active_template(school, keys[0] if keys else "")
        source.label = f"From the alert “{alert.rule.name}” for {alert.pupil.name}"
    elif leave_id:
        leave = get_object_or_404(
            LeaveRequest.objects.select_related("pupil", "contact"), pk=leave_id[0], school=school
        )
        source.leave, source.pupil_ids, source.contact = leave, [leave.pupil_id], leave.contact
        key = selectors.LEAVE_DECISION_TEMPLATES.get(leave.status, "")
        source.template = selectors.active_template(school, key)
        source.label = f"From {leave.pupil.name}'s leave-of-absence request ({leave.get_status_display().lower()})"
    elif params.getlist("pupil"):
        source.pupil_ids = _ids(params.getlist("pupil"))
        source.label = "Pupils chosen on the previous page"
    chosen = _ids(params.getlist("template"))[:1]
    if chosen:
        source.template = get_object_or_404(LetterTemplate, pk=chosen[0], school=school, active=True)
    return source


def _narrowed(data) -> bool:
    """Whether the page was asked for some pupils (a year group, a registration group or a name);
    Reception is year 0, so the year is compared with None."""
    return data.get("year") is not None or bool(data.get("group")) or bool((data.get("q") or "").strip())


def _candidates(school, source: Source, choose: ProduceChooseForm):
    """The pupils offered on the page (ticked by default), in the order they are listed."""
    if source.pupil_ids is not None:
        return selectors.pupils_by_id(school, source.pupil_ids)
    if choose.is_bound and choose.is_valid() and _narrowed(choose.cleaned_data):
        data = choose.cleaned_data
        return selectors.pupils_chosen(
            school, on=today(), year=data.get("year"), group=data.get("group"), q=data.get("q") or ""
        )
    return None


@login_required
def produce(request):
    school = letters_school(request, PRODUCE)
    params = request.POST if request.method == "POST" else request.GET
    source = _source(school, params)
    chosen = request.method != "POST" and any(request.GET.get(k) for k in ("template", "year", "group", "q"))
    choose = ProduceChooseForm(
        request.GET if chosen else None,
        school=school,
        initial={"template": source.template.pk if source.template else None},
    )
    if request.method == "POST":
        candidates = selectors.pupils_by_id(school, _ids(request.POST.getlist("shown")))
    else:
        candidates = _candidates(school, source, choose)
    template = source.template
    if template is None and choose.is_bound and choose.is_valid():
        template = choose.cleaned_data["template"]

    form = None
    candidate_list = None if candidates is None else list(candidates)
    if template is not None and candidate_list is not None:
        contacts = None
        letterhead = Letterhead.for_school(school)
        if len(candidate_list) == 1:
            contacts = selectors.contacts_of(candidate_list[0])
        form = ProduceForm(
            request.POST if request.method == "POST" else None,
            pupils=candidates,
            options=selectors.options_used(template),
            contacts=contacts,
            signatory_default=letterhead.signatory_name,
            initial={
                "pupils": [p.pk for p in candidate_list],
                "letter_date": today(),
                "delivery": Delivery.PRINT,
                "contact": source.contact.pk if source.contact else None,
                "signatory_name": letterhead.signatory_name,
                "signatory_position": letterhead.signatory_position,
            },
        )
        if request.method == "POST" and form.is_valid():
            response = _produce(request, template, source, form)
            if response is not None:
                return response
    elif request.method == "POST":
        messages.error(request, "Choose a template and the pupils first.")
        return redirect("letters:produce")

    return page(
        request,
        "produce",
        school,
        "produce",
        {
            "choose": choose,
            "source": source,
            "template": template,
            "form": form,
            "candidates": candidate_list,
            "pass_through": _pass_through(params, source),
        },
        status=400 if request.method == "POST" else 200,
    )


def _pass_through(params, source: Source) -> list[tuple[str, str]]:
    """The hidden inputs that carry where the request came from through both steps."""
    out = []
    for key in ("action", "alert", "leave"):
        out += [(key, v) for v in _ids(params.getlist(key))[:1]]
    if source.pupil_ids is not None and not (source.action or source.alert or source.leave):
        out += [("pupil", str(v)) for v in source.pupil_ids]
    return out


def _produce(request, template, source: Source, form: ProduceForm):
    data = form.cleaned_data
    pupils = list(data["pupils"])
    try:
        made = produce_letters(
            template=template,
            pupils=pupils,
            user=request.user,
            on=data["letter_date"],
            delivery=data["delivery"],
            contact=data.get("contact"),
            action=source.action,
            alert=source.alert,
            leave_request=source.leave,
            options=form.options(),
        )
    except LetterError as exc:
        pupil = f" for {exc.pupil.name}" if getattr(exc, "pupil", None) is not None else ""
        form.add_error(None, f"The letter could not be produced{pupil}: {exc.message}")
        return None
    if isinstance(made, Batch):
        messages.success(request, f"{len(pupils)} letters are being produced.")
        return redirect(made.get_absolute_url())
    sent = f" and e-mailed to {made.emailed_to}" if made.sent_at else ""
    messages.success(request, f"Letter produced for {made.pupil.name}{sent}.")
    return redirect(made.get_absolute_url())
