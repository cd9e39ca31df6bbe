"""Forms of the letters pages. Each one works as a plain HTML form; the JavaScript modules only
add live preview, click-to-insert and progress polling on top."""

from __future__ import annotations

from django import forms

from registers.models import Contact, Pupil, RegistrationGroup
from registers.years import year_label

from .errors import LetterError
from .models import Delivery, Letterhead, LetterTemplate
from .services.letterhead import logo_type


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class SearchInput(forms.TextInput):
    input_type = "search"


class ColourInput(forms.TextInput):
    input_type = "color"


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class TemplateForm(forms.Form):
    """The editor: the text staff change, and which pupil the preview shows."""

    title = forms.CharField(max_length=200)
    purpose = forms.CharField(max_length=300, required=False, help_text="One line for staff: when this letter is used.")
    subject = forms.CharField(
        label="Heading", max_length=300, help_text="One line: the letter's heading and the e-mail subject."
    )
    body = forms.CharField(
        label="Letter text",
        widget=forms.Textarea(attrs={"rows": 26, "spellcheck": "true", "class": "code-text"}),
        help_text="Merge fields go in double braces, e.g. {{ pupil.preferred_name }}.",
    )
    preview_pupil = forms.IntegerField(required=False, widget=forms.HiddenInput)
    find_pupil = forms.CharField(label="Preview for pupil", required=False, max_length=100, widget=SearchInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].widget.attrs.update({"class": "code-text", "spellcheck": "true"})
        self.fields["find_pupil"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "placeholder": "Name or UPN"}
        )


class ProduceChooseForm(forms.Form):
    """Step one (GET): which template, and whose letters."""

    template = forms.ModelChoiceField(queryset=LetterTemplate.objects.none(), empty_label="Choose a template")
    year = forms.TypedChoiceField(label="Year group", required=False, coerce=int, empty_value=None)
    group = forms.ModelChoiceField(
        label="Registration group",
        required=False,
        queryset=RegistrationGroup.objects.none(),
        empty_label="Any group",
    )
    q = forms.CharField(label="Or find pupils by name or UPN", required=False, max_length=100, widget=SearchInput)

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = LetterTemplate.objects.filter(school=school, active=True).order_by("title")
        groups = RegistrationGroup.objects.filter(school=school).order_by("year", "name")
        self.fields["group"].queryset = groups
        years = sorted({g.year for g in groups})
        self.fields["year"].choices = [("", "Any year")] + [(y, year_label(y)) for y in years]
        self.fields["q"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})


class PupilChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, pupil):
        group = pupil.group.name if pupil.group_id else year_label(pupil.year)
        return f"{pupil.surname}, {pupil.forename} · {group}"


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, contact):
        name = " ".join(p for p in (contact.title, contact.forename, contact.surname) if p)
        where = "" if contact.lives_with_pupil else " (lives elsewhere)"
        email = f" · {contact.email}" if contact.email else " · no e-mail address"
        return f"{name}, {contact.relationship.lower()}{where}{email}"


#: The production options a template may use, in the order the page shows them. The keys are
#: those `produce_letter`/`start_batch` read from `options`; `uses` names what the template must
#: mention for the input to appear.
OPTION_FIELDS = {
    "since": lambda: forms.DateField(
        label="Figures since", required=False, widget=DateInput, help_text="Attendance since this date."
    ),
    "period_from": lambda: forms.DateField(label="Marks from", required=False, widget=DateInput),
    "period_to": lambda: forms.DateField(label="Marks to", required=False, widget=DateInput),
    "meeting_date": lambda: forms.DateField(label="Meeting date", required=False, widget=DateInput),
    "meeting_time": lambda: forms.TimeField(label="Meeting time", required=False, widget=TimeInput),
    "meeting_place": lambda: forms.CharField(label="Meeting place", required=False, max_length=200),
    "improvement_weeks": lambda: forms.IntegerField(
        label="Improvement period (weeks)", required=False, min_value=1, max_value=52
    ),
    "signatory_name": lambda: forms.CharField(
        label="Signed by",
        required=False,
        max_length=200,
        help_text="From the letterhead; change it for these letters only.",
    ),
    "signatory_position": lambda: forms.CharField(label="Their position", required=False, max_length=200),
}


class ProduceForm(forms.Form):
    """Step two (POST): the pupils, the options the chosen template uses, and how it is delivered."""

    pupils = PupilChoiceField(
        queryset=Pupil.objects.none(), widget=forms.CheckboxSelectMultiple, label="Pupils", required=True
    )
    letter_date = forms.DateField(label="Date on the letter", widget=DateInput)
    delivery = forms.ChoiceField(
        choices=[(Delivery.PRINT, "Print (one PDF to print)"), (Delivery.EMAIL, "E-mail to parents/carers")],
        widget=forms.RadioSelect,
        initial=Delivery.PRINT,
        label="How it is sent",
    )
    contact = ContactChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="Addressed to",
        empty_label="Every parent/carer the pupil lives with",
    )

    def __init__(self, *args, pupils, options=(), contacts=None, signatory_default="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupils"].queryset = pupils
        # Every letter is signed: who signs is always asked, with the letterhead's signatory given.
        wanted = set(options) | {"signatory_name", "signatory_position"}
        self.option_names = [name for name in OPTION_FIELDS if name in wanted]
        for name in self.option_names:
            self.fields[name] = OPTION_FIELDS[name]()
        if not signatory_default:
            self.fields["signatory_name"].required = True
            self.fields[
                "signatory_name"
            ].help_text = "The letterhead names no one yet; set the usual signatory on the Letterhead page."
        if contacts is None:
            del self.fields["contact"]
        else:
            self.fields["contact"].queryset = contacts

    def option_fields(self):
        return [self[name] for name in self.option_names]

    def options(self) -> dict:
        """The chosen options as JSON-ready values (dates and times in ISO form)."""
        out = {}
        for name in self.option_names:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            out[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return out


class LetterFilterForm(forms.Form):
    """The records list's filters (GET)."""

    q = forms.CharField(label="Pupil", required=False, max_length=100, widget=SearchInput)
    template = forms.ModelChoiceField(
        queryset=LetterTemplate.objects.none(), required=False, empty_label="Any template", label="Template"
    )
    date_from = forms.DateField(label="Dated from", required=False, widget=DateInput)
    date_to = forms.DateField(label="Dated to", required=False, widget=DateInput)
    delivery = forms.ChoiceField(
        choices=[("", "Printed or e-mailed"), *Delivery.choices], required=False, label="Delivery"
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = LetterTemplate.objects.filter(school=school).order_by("title")
        self.fields["q"].widget.attrs.update({"autocomplete": "off", "placeholder": "Name or UPN"})

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class LetterheadForm(forms.ModelForm):
    logo_upload = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG or SVG, up to 2 MB. Printed at the top of every letter.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/svg+xml"}),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    class Meta:
        model = Letterhead
        fields = [
            "address",
            "telephone",
            "email",
            "website",
            "font",
            "accent_colour",
            "signatory_name",
            "signatory_position",
            "footer",
            "school_day_minutes",
        ]
        labels = {
            "address": "School address",
            "email": "E-mail address",
            "accent_colour": "Accent colour",
            "signatory_name": "Letters are signed by",
            "signatory_position": "Their position",
            "school_day_minutes": "Length of the school day (minutes)",
        }
        help_texts = {
            "font": "Fonts installed on the server, so the PDF never fetches anything.",
            "accent_colour": "Used for the school's name and rules, e.g. #1d4f91.",
            "signatory_name": "Usually the headteacher; a letter can name someone else when it is produced.",
            "school_day_minutes": "Used to turn sessions missed into hours of learning lost (390 minutes is 6½ hours).",
        }
        widgets = {
            "address": forms.Textarea(attrs={"rows": 4}),
            "footer": forms.Textarea(attrs={"rows": 3}),
            "accent_colour": ColourInput,
        }

    def clean_logo_upload(self):
        upload = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("The logo is larger than 2 MB; save a smaller image and try again.")
        upload.seek(0)
        try:
            kind = logo_type(upload.read())
        except LetterError as error:
            raise forms.ValidationError(error.message)
        finally:
            upload.seek(0)
        upload.sniffed_content_type = kind
        return upload
