from django import forms

from .models import LadderStage, LegalStep, TaskKind
from .selectors import CHARACTERISTICS

ACTION_KINDS = [
    (k, label)
    for k, label in TaskKind.choices
    if k in ("call", "meeting", "home_visit", "support_plan", "early_help", "referral", "conversation", "note")
]


class DashboardFilterForm(forms.Form):
    year = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Year group")
    characteristic = forms.ChoiceField(required=False, label="Characteristic")

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "All year groups")] + [
            (y, "Reception" if y == 0 else f"Year {y}") for y in years
        ]
        self.fields["characteristic"].choices = [("", "All pupils")] + [
            (key, label) for key, (label, _q) in CHARACTERISTICS.items()
        ]


class DismissForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label="Reason for dismissing")


class ActionForm(forms.Form):
    kind = forms.ChoiceField(choices=ACTION_KINDS, label="What happened")
    done_on = forms.DateField(label="Date", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    description = forms.CharField(max_length=300, required=False, label="Summary")
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Outcome and next steps")


class MonitoringForm(forms.Form):
    weeks = forms.TypedChoiceField(choices=[(2, "2 weeks"), (4, "4 weeks")], coerce=int, label="Length")
    start = forms.DateField(label="Starting", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


class StageForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=LadderStage.objects.none(), label="Stage", empty_label="Choose a stage")
    note = forms.CharField(max_length=300, required=False, label="Note")

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        if policy is not None:
            self.fields["stage"].queryset = policy.stages.all()


class LegalStepForm(forms.Form):
    kind = forms.ChoiceField(choices=LegalStep.Kind.choices, label="Legal intervention")
    date = forms.DateField(label="Date", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    reference = forms.CharField(max_length=60, required=False, label="Reference")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Notes")
