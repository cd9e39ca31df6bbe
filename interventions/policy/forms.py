"""Forms for the policy pages. A rule's parameter fields are generated from
`interventions.policy.triggers.SCHEMAS`, so a new trigger or parameter needs no new form code; the
checks' own validation (`validate_parameters`) runs on top of the field checks."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.forms.models import construct_instance

from registers.models import AttendanceCode

from ..models import ROLE_CHOICES, Rule, TaskKind
from ..school_age import LABELS as AGE_LABELS
from .selectors import COMPARISON_CHOICES, OUTCOME_CHOICES, PERIOD_CHOICES, num, parameter_label
from .services import REASON_MAX, band_set_errors
from .triggers import CHOICES, SCHEMAS, validate_parameters, with_defaults

REASON_REQUIRED = "Say why you are making this change: it is kept in the policy's history."
# The smallest sensible value of each whole-number parameter (percentages are 0–100).
MINIMUMS = {"weeks": 1, "count": 1, "days": 1, "recent_days": 1, "sessions": 0, "min_sessions": 0}
TRIGGER_HELP = {
    "attendance_below": "Attendance over a period falls below (or to) a percentage.",
    "band": "A pupil's attendance is in one of the policy's bands.",
    "persistent_absence": "Absence reaches the persistent-absence level (10 % nationally).",
    "severe_absence": "Absence reaches the severe-absence level (50 % nationally).",
    "absence_sessions_over": "More than a number of sessions missed (e.g. stages at 5, 10, 15, 20).",
    "penalty_threshold": "The national threshold: 10 unauthorised sessions in a rolling 10 school weeks.",
    "lates_in_half_term": "A number of late marks in the current half-term.",
    "lates_in_week": "A number of late marks in one school week.",
    "consecutive_absence": "A run of school days of absence (e.g. more than 3 days in a row).",
    "illness_periods_in_half_term": "Separate periods of illness in the current half-term.",
    "illness_days": "Days of illness reaching a number.",
    "monitoring_review": "A monitoring period reaches its review date, with or without improvement.",
    "lesson_lates_in_week": "A number of lates to lessons in one school week (secondary timetables).",
    "lesson_lates_in_half_term": "A number of lates to lessons in the current half-term (secondary timetables).",
    "truancy_alerts_in_week": "Internal truancy: a pupil missing from lessons after registration, in one school week.",
    "truancy_alerts_in_half_term": "Internal truancy: a pupil missing from lessons after registration, this half-term.",
}
SHORT_AGE_LABELS = {
    "all": "Every pupil",
    "5_to_15": "Aged 5 to 15 (national figures)",
    "compulsory": "Sessions of compulsory school age",
}
CHOICE_LABELS = {
    "period": PERIOD_CHOICES,
    "comparison": COMPARISON_CHOICES,
    "outcome": OUTCOME_CHOICES,
    "ages": [(key, SHORT_AGE_LABELS.get(key, label.capitalize())) for key, label in AGE_LABELS.items()],
}


def reason_field():
    return forms.CharField(
        max_length=REASON_MAX,
        label="Reason for the change",
        help_text="A sentence for the policy's history, e.g. “Agreed at the governors' meeting on 12 November”.",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": REASON_REQUIRED},
    )


class ReasonForm(forms.Form):
    reason = reason_field()


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name of the policy")
    target_percent = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, label="Attendance target %"
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Notes")
    reason = reason_field()


def trigger_choices():
    return [(value, label) for value, label in Rule.Trigger.choices if value in SCHEMAS]


class RuleForm(forms.ModelForm):
    """What a rule is called, what it looks for and what it proposes (its parameters are a
    ParameterForm of their own, one per trigger)."""

    monitoring_weeks = forms.IntegerField(
        min_value=1,
        max_value=12,
        required=False,
        label="Propose a monitoring period (weeks)",
        help_text="1 to 12 school weeks; the review date is the end of the period.",
    )
    reason = reason_field()

    class Meta:
        model = Rule
        fields = [
            "name",
            "trigger",
            "order",
            "stage",
            "letter_template",
            "task_kind",
            "task_role",
            "task_description",
            "monitoring_weeks",
        ]
        labels = {
            "name": "Name of the rule",
            "trigger": "What it looks for",
            "order": "Position in the list",
            "stage": "Propose a ladder stage",
            "letter_template": "Propose a letter (template key)",
            "task_kind": "Propose a task",
            "task_role": "… carried out by",
            "task_description": "Task description",
        }
        help_texts = {
            "order": "Rules are listed and checked in this order.",
            "letter_template": "The key of one of the school's letter templates, e.g. persistent_absence.",
        }

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.policy = policy
        self.fields["trigger"].choices = trigger_choices()
        self.fields["trigger"].widget.attrs["data-policy-trigger"] = ""
        self.fields["stage"].queryset = policy.stages.all()
        self.fields["stage"].empty_label = "No stage"
        self.fields["task_kind"].choices = [("", "No task")] + list(TaskKind.choices)
        self.fields["task_role"].choices = [("", "—")] + list(ROLE_CHOICES)
        self.fields["letter_template"].widget.attrs["list"] = "letter-keys"
        self.fields["order"].required = False

    def clean_order(self):
        order = self.cleaned_data.get("order")
        return 0 if order is None else order

    def clean(self):
        data = super().clean()
        if data.get("task_kind") and not data.get("task_role"):
            self.add_error("task_role", "Say who carries out the task.")
        return data

    def _post_clean(self):
        # Copy the fields onto the rule but leave the model's validation (Rule.clean, which
        # needs the parameters from the ParameterForm) to the save in the service.
        self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


def _codes_text(codes) -> str:
    return ", ".join(codes or [])


class ParameterForm(forms.Form):
    """The parameters of one trigger, as fields generated from its schema."""

    def __init__(self, *args, trigger: str, policy, initial_parameters: dict | None = None, **kwargs):
        kwargs.setdefault("prefix", trigger)
        super().__init__(*args, **kwargs)
        self.trigger, self.policy = trigger, policy
        self.schema = SCHEMAS[trigger]
        values = with_defaults(trigger, initial_parameters or {})
        for name, (kind, required, default, description) in self.schema.items():
            field = self._field(name, kind, required, default)
            field.label = parameter_label(trigger, name)
            if name == "weeks" and "period" in self.schema:
                field.help_text = "Only with “The last N school weeks”."
            elif description and not field.help_text and not isinstance(field, forms.ChoiceField):
                field.help_text = description
            initial = values.get(name)
            if kind is list:
                initial = _codes_text(initial)
            elif kind is float and initial is not None:
                initial = Decimal(num(initial))  # 10.0 shows as "10"
            field.initial = initial
            self.fields[name] = field

    def _field(self, name, kind, required, default):
        if name == "band":
            bands = list(self.policy.bands.order_by("-attendance_from").values_list("name", flat=True))
            return forms.ChoiceField(
                choices=[("", "Choose a band")] + [(b, b) for b in bands],
                help_text="" if bands else "The policy has no bands yet: add them first.",
            )
        if name == "at_stage":
            stages = [(s.order, f"{s.order}. {s.name}") for s in self.policy.stages.all()]
            return forms.TypedChoiceField(
                choices=[("", "At any stage")] + stages, coerce=int, empty_value=None, required=False
            )
        if name in CHOICES:
            labels = dict(CHOICE_LABELS.get(name, []))
            choices = [(v, labels.get(v, v)) for v in CHOICES[name]]
            return forms.ChoiceField(choices=choices if not required else [("", "Choose")] + choices, required=required)
        if kind is bool:
            return forms.BooleanField(required=False)
        if kind is float:
            return forms.DecimalField(
                max_digits=5,
                decimal_places=2,
                min_value=0,
                max_value=100,
                required=required,
                widget=forms.NumberInput(attrs={"step": "0.1"}),
            )
        if kind is int:
            return forms.IntegerField(min_value=MINIMUMS.get(name, 0), max_value=1000, required=required)
        if kind is list:
            return forms.CharField(
                required=bool(default),
                help_text="Separate codes with commas, e.g. L, U"
                + ("" if default else "; leave empty for any absence")
                + ".",
            )
        return forms.CharField(required=required)

    def clean(self):
        data = super().clean()
        for name, (kind, *_rest) in self.schema.items():
            if kind is list and name in data and data[name] is not None:
                data[name] = self._clean_codes(name, data[name])
        if self.errors:
            return data
        for message in validate_parameters(self.trigger, self.parameters(), policy=self.policy):
            named = next((n for n in re.findall(r"'(\w+)'", message) if n in self.fields), None)
            self.add_error(named, message)
        return data

    def _clean_codes(self, name, text):
        codes = [c.strip().upper() for c in re.split(r"[,\s]+", text or "") if c.strip()]
        known = set(AttendanceCode.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            self.add_error(name, f"Not attendance codes: {', '.join(unknown)}.")
        return list(dict.fromkeys(codes))

    def parameters(self) -> dict:
        """The rule's parameters: required ones always, others only where they differ from the
        default (so a policy reads like its preset); a number of weeks only with period 'weeks'."""
        data = self.cleaned_data
        out = {}
        for name, (kind, required, default, _d) in self.schema.items():
            value = data.get(name)
            if value in (None, "") and kind is not bool:
                continue
            if kind is float:
                value = float(value)
                value = int(value) if value.is_integer() else value
            if name == "weeks" and "period" in self.schema and data.get("period") != "weeks":
                continue
            if not required and value == default:
                continue
            out[name] = value
        return out


class BandRowForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=40, label="Band")
    attendance_from = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, label="Attendance from %"
    )
    attendance_to = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, label="Attendance to % (published)"
    )
    absence_from = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, label="Absence from %"
    )
    absence_to = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, label="Absence to %"
    )
    action = forms.CharField(required=False, max_length=500, label="What the school does")
    delete = forms.BooleanField(required=False, label="Remove")


class PolicyRowsFormSet(forms.BaseFormSet):
    """A table of a policy's rows edited together (bands, ladder stages): the rows that count
    are those shown filled in or typed into; blank extra rows are left out."""

    def filled(self) -> list[forms.Form]:
        return [f for f in self.forms if f.cleaned_data and (f.has_changed() or f.initial)]

    def rows(self) -> list[dict]:
        return [f.cleaned_data for f in self.filled()]


class BaseBandFormSet(PolicyRowsFormSet):
    def clean(self):
        if any(self.errors):
            return
        kept = [f for f in self.filled() if not f.cleaned_data.get("delete")]
        for index, field, message in band_set_errors([f.cleaned_data for f in kept]):
            kept[index].add_error(field, message)


BandFormSet = forms.formset_factory(BandRowForm, formset=BaseBandFormSet, extra=1)


class StageRowForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    order = forms.IntegerField(min_value=1, max_value=99, label="Stage")
    name = forms.CharField(max_length=120, label="Name")
    description = forms.CharField(required=False, label="What happens at this stage")
    delete = forms.BooleanField(required=False, label="Remove")


class BaseStageFormSet(PolicyRowsFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen: dict[int, forms.Form] = {}
        for form in self.filled():
            data = form.cleaned_data
            if data.get("delete"):
                continue
            order = data["order"]
            if order in seen:
                form.add_error("order", f"Stage {order} is used twice: give each stage its own number.")
            seen[order] = form


StageFormSet = forms.formset_factory(StageRowForm, formset=BaseStageFormSet, extra=1)


class PupilSearchForm(forms.Form):
    q = forms.CharField(label="Pupil's name or UPN", max_length=100, required=False)
    on = forms.DateField(
        label="As on", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
