"""The reports' forms: the leaders' analysis filters and the benchmark editors."""

from django import forms

from registers.models import Pupil, RegistrationGroup, School
from registers.years import year_label

from .models import LocalBenchmark, NationalBenchmark

FIELDS = [
    "academic_year",
    "phase",
    "overall_absence",
    "authorised_absence",
    "unauthorised_absence",
    "persistent_absence",
    "severe_absence",
    "approximate",
    "source",
]


class NationalBenchmarkForm(forms.ModelForm):
    class Meta:
        model = NationalBenchmark
        fields = FIELDS


class LocalBenchmarkForm(forms.ModelForm):
    class Meta:
        model = LocalBenchmark
        fields = ["label", *FIELDS]


CHARACTERISTICS = [
    ("", "Any"),
    ("fsm", "Eligible for FSM"),
    ("not_fsm", "Not eligible for FSM"),
    ("sen_k", "SEN support"),
    ("sen_e", "EHC plan"),
    ("sen_any", "Any SEN"),
    ("eal", "EAL"),
    ("looked_after", "Looked after"),
    ("child_in_need", "Child in need"),
    ("girls", "Girls"),
    ("boys", "Boys"),
]
SHOW = [("all", "All pupils"), ("pa", "Persistently absent"), ("sa", "Severely absent"), ("risk", "At risk of PA")]


class AnalysisForm(forms.Form):
    year = forms.TypedChoiceField(label="Year group", required=False, coerce=int, empty_value=None)
    group = forms.ModelChoiceField(label="Class", required=False, queryset=RegistrationGroup.objects.none())
    characteristic = forms.ChoiceField(label="Characteristic", required=False, choices=CHARACTERISTICS)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    show = forms.ChoiceField(label="Pupils", required=False, choices=SHOW)

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        years = sorted(set(Pupil.objects.filter(school=school).values_list("year", flat=True)))
        self.fields["year"].choices = [("", "All years")] + [(y, year_label(y)) for y in years]
        self.fields["group"].queryset = RegistrationGroup.objects.filter(school=school)
        self.fields["group"].empty_label = "All classes"

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("The start date must be on or before the end date.")
        return data
