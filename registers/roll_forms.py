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


MAX_ROLLOVER_FILE = 2 * 2**20


class RolloverFilesForm(forms.Form):
    groups_file = forms.FileField(
        label="New groups from a file (optional)",
        required=False,
        help_text="A CSV with the headings UPN and Group, for pupils whose group is not simply next year's. "
        "Everyone else follows the group names shown above.",
    )
    intake_file = forms.FileField(
        label="The new intake (optional)",
        required=False,
        help_text="Your MIS's pupil file for the new Reception or Year 7 pupils, as on the Imports page.",
    )

    def clean(self):
        data = super().clean()
        for name in ("groups_file", "intake_file"):
            upload = data.get(name)
            if upload and upload.size > MAX_ROLLOVER_FILE:
                self.add_error(name, f"The file is too large: at most {MAX_ROLLOVER_FILE // 2**20} MB.")
        return data
