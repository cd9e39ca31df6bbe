"""The office's forms for the roll: deleting a pupil from the admission register, and the year rollover."""

from __future__ import annotations

from django import forms

from .import_forms import DateInput
from .models import CME_GROUNDS, Ground


class DeletionForm(forms.Form):
    ground = forms.ChoiceField(
        label="Ground for deletion (the 2024 regulations)", choices=[("", "Choose a ground")] + Ground.choices
    )
    deleted_on = forms.DateField(
        label="Last day on roll",
        widget=DateInput(),
        help_text="Today or later: a deletion is never backdated.",
    )
    destination = forms.CharField(
        label="Destination",
        required=False,
        max_length=200,
        help_text="The new school (name and URN), or where the pupil went, if known.",
    )
    enquiries = forms.CharField(
        label="Enquiries made with the local authority",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when the pupil's whereabouts are unknown (children missing education): "
        + "; ".join(str(Ground(g).label).split(",")[0].lower() for g in sorted(CME_GROUNDS))
        + ".",
    )
