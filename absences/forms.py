"""Forms: they parse and explain; the services decide."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.utils import timezone

from registers.models import AM, PM, Contact

from .models import AbsenceReport, ContactAttempt, LeaveRequest
from .services.errors import AbsenceError
from .services.follow_up import RESOLVE_CODES
from .services.leave import TAKEN_CODES, LeaveInput
from .services.reports import ABSENCE_CODES, ReportInput

SESSIONS_START = [(AM, "From the morning"), (PM, "From the afternoon")]
SESSIONS_END = [(PM, "Until the end of the day"), (AM, "Morning only")]


def add_refusal(form, error: AbsenceError) -> None:
    """Show a service's refusal on the form: on the field it names, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        return value.isoformat() if isinstance(value, dt.date) else value


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.heic,.heif"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ChildrenField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, pupil):
        return pupil.name


class PeriodForm(forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    start_date = forms.DateField(label="First day", widget=DateInput)
    start_session = forms.ChoiceField(label="", choices=SESSIONS_START, initial=AM, widget=forms.RadioSelect)
    end_date = forms.DateField(label="Last day", widget=DateInput)
    end_session = forms.ChoiceField(label="", choices=SESSIONS_END, initial=PM, widget=forms.RadioSelect)
    evidence = MultipleFileField(
        label="Evidence (optional)",
        help_text="A photo or PDF of an appointment card, letter or booking. PDF, JPEG, PNG or HEIC.",
    )

    def __init__(self, *args, children=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "children" in self.fields:
            self.fields["children"].queryset = children
            if children is not None and len(children) == 1:
                self.fields["children"].initial = [children[0].pk]
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The last day is before the first day. Please check the dates.")
        return data


class ReportForm(PeriodForm):
    children = ChildrenField(
        queryset=None, label="Which child is absent?", help_text="Choose more than one to report brothers and sisters."
    )
    reason = forms.ChoiceField(label="Reason", choices=AbsenceReport.Reason.choices, widget=forms.RadioSelect)
    description = forms.CharField(
        label="Tell us more (optional for illness)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example the symptoms, or the appointment time.",
    )
    expected_return = forms.DateField(
        label="When do you expect them back? (optional)", required=False, widget=DateInput
    )
    field_order = [
        "children",
        "start_date",
        "start_session",
        "end_date",
        "end_session",
        "reason",
        "description",
        "expected_return",
        "evidence",
    ]

    def report_input(self) -> ReportInput:
        d = self.cleaned_data
        return ReportInput(
            start_date=d["start_date"],
            start_session=d["start_session"],
            end_date=d["end_date"],
            end_session=d["end_session"],
            reason=d["reason"],
            description=d.get("description", "").strip(),
            expected_return=d.get("expected_return"),
        )


class ReportEditForm(ReportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["children"]

    @classmethod
    def initial_for(cls, report: AbsenceReport) -> dict:
        return {
            "submission_key": report.submission_key,
            **{
                f: getattr(report, f)
                for f in (
                    "start_date",
                    "start_session",
                    "end_date",
                    "end_session",
                    "reason",
                    "description",
                    "expected_return",
                )
            },
        }


class LeaveForm(PeriodForm):
    children = ChildrenField(queryset=None, label="Which child is the request for?")
    circumstance = forms.ChoiceField(
        label="Why is the leave needed?", choices=LeaveRequest.Circumstance.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="Please explain the circumstances",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    field_order = ["children", "circumstance", "start_date", "start_session", "end_date", "end_session", "reason"]

    def clean_start_date(self):
        start = self.cleaned_data["start_date"]
        if start <= timezone.localdate():
            raise forms.ValidationError(
                "Leave of absence can only be agreed in advance: please choose a first day after today. "
                "If your child is already absent, please report the absence instead."
            )
        return start

    def leave_input(self) -> LeaveInput:
        d = self.cleaned_data
        return LeaveInput(
            start_date=d["start_date"],
            start_session=d["start_session"],
            end_date=d["end_date"],
            end_session=d["end_session"],
            circumstance=d["circumstance"],
            reason=d["reason"].strip(),
        )


# --- the office -------------------------------------------------------------------------------


CODE_LABELS = {
    "I": "I – illness",
    "M": "M – medical or dental appointment",
    "R": "R – religious observance",
    "C": "C – leave, exceptional circumstances",
    "C1": "C1 – leave, performance or employment abroad",
    "J1": "J1 – leave, interview",
    "S": "S – leave, study",
    "C2": "C2 – leave, part-time timetable",
    "T": "T – travelling for work (mobile child)",
    "E": "E – suspended or excluded, no provision",
    "O": "O – unauthorised, other or unknown",
    "G": "G – holiday not granted",
    "U": "U – arrived after the register closed",
    "/": "/ – present",
    "L": "L – late before the register closed",
    "B": "B – approved educational activity",
    "V": "V – educational visit",
    "P": "P – approved sporting activity",
    "W": "W – work experience",
    "K": "K – LA-arranged provision",
}


def code_choices(codes):
    return [("", "Choose a code")] + [(c, CODE_LABELS.get(c, c)) for c in codes]


class AcceptForm(forms.Form):
    code = forms.ChoiceField(choices=code_choices(ABSENCE_CODES))
    note = forms.CharField(required=False, max_length=500, label="Note for the parent (optional)")


class MessageForm(forms.Form):
    message = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class GrantForm(forms.Form):
    start_date = forms.DateField(widget=DateInput, label="Granted from")
    start_session = forms.ChoiceField(choices=SESSIONS_START, label="")
    end_date = forms.DateField(widget=DateInput, label="Granted until")
    end_session = forms.ChoiceField(choices=SESSIONS_END, label="")
    reason = forms.CharField(
        required=False,
        max_length=1000,
        label="Note for the parent (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(
        max_length=1000, label="Reason for refusing (the parent sees this)", widget=forms.Textarea(attrs={"rows": 3})
    )


class TakenForm(forms.Form):
    code = forms.ChoiceField(choices=code_choices(TAKEN_CODES)[1:], label="Code the sessions taken")


class ResolveNForm(forms.Form):
    marks = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    code = forms.ChoiceField(choices=code_choices(RESOLVE_CODES))
    reason = forms.CharField(max_length=100, label="Why (who told you, how)")

    def __init__(self, *args, mark_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["marks"].choices = [(str(i), str(i)) for i in mark_ids]


class AttemptForm(forms.Form):
    action = forms.ChoiceField(choices=ContactAttempt.Action.choices)
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, empty_label="(no contact)")
    channel = forms.ChoiceField(choices=ContactAttempt.Channel.choices)
    outcome = forms.ChoiceField(choices=ContactAttempt.Outcome.choices)
    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    decision = forms.CharField(required=False, max_length=200, label="Decision (visits, referrals)")
    rationale = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    absence_date = forms.DateField(widget=forms.HiddenInput)

    def __init__(self, *args, pupil=None, **kwargs):
        super().__init__(*args, **kwargs)
        if pupil is not None:
            self.fields["contact"].queryset = pupil.contacts.order_by("priority")
