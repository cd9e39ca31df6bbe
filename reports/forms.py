from django import forms

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
