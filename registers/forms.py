from django import forms

from .models import RegistrationGroup
from .years import year_label


class PupilSearchForm(forms.Form):
    """The staff pupil list's search and filters (a GET form: works without JavaScript)."""

    q = forms.CharField(label="Name or UPN", required=False, max_length=100)
    year = forms.TypedChoiceField(label="Year", required=False, coerce=int, empty_value=None)
    group = forms.ModelChoiceField(
        label="Registration group", required=False, queryset=RegistrationGroup.objects.none(), empty_label="All groups"
    )
    left = forms.BooleanField(label="Include pupils not on roll this year", required=False)
    academic_year = forms.ChoiceField(label="Figures for", required=False)

    def __init__(self, *args, groups, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["academic_year"].choices = [("", "This academic year")] + list(years)
        self.fields["group"].queryset = groups
        years = sorted({g.year for g in groups})
        self.fields["year"].choices = [("", "All years")] + [(y, year_label(y)) for y in years]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off", "spellcheck": "false"})
