from django import forms
from django.utils import timezone

from registers.models import Contact, Staff
from registers.years import year_label

from .models import LadderStage, LegalStep, NoticeToImprove, PenaltyNotice, TaskKind
from .selectors.dashboard import CHARACTERISTICS

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
        self.fields["year"].choices = [("", "All year groups")] + [(y, year_label(y)) for y in years]
        self.fields["characteristic"].choices = [("", "All pupils")] + [
            (key, label) for key, (label, _q) in CHARACTERISTICS.items()
        ]


# A case's dates are plausible within these many years of today (a pupil's time at school, and
# the retention of the records); year 1 or 9999 is a typing slip, never a fact.
PAST_YEARS, FUTURE_YEARS = 10, 2


class CaseDateField(forms.DateField):
    """A date on a case (an action, a meeting, a notice, a review): within PAST_YEARS before today
    and FUTURE_YEARS after it, or a message saying which dates make sense."""

    widget = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        today = timezone.localdate()
        earliest = today.replace(year=today.year - PAST_YEARS, day=min(today.day, 28))
        latest = today.replace(year=today.year + FUTURE_YEARS, day=min(today.day, 28))
        if not earliest <= value <= latest:
            raise forms.ValidationError(
                f"{value:%-d %B %Y} cannot be right for a case: choose a date between {earliest:%-d %B %Y} and "
                f"{latest:%-d %B %Y}.",
                code="implausible_date",
            )


def _date(label, **kwargs):
    return CaseDateField(label=label, **kwargs)


def _id(text: str) -> int | None:
    """A record id from a form: ASCII digits that a database row can hold ('²' is a digit to isdigit())."""
    return int(text) if text and text.isascii() and text.isdigit() and len(text) <= 18 else None


def _item(value: str) -> list[int] | None:
    ids = [_id(p) for p in value.split("-")]
    return ids if value and None not in ids else None


class WorklistForm(forms.Form):
    """A decision on the worklist: one proposal's own Accept button (`accept`), or the bulk
    actions on the proposals ticked (`item`, each the alert ids it decides)."""

    ACTIONS = {"accept": "accept", "dismiss": "dismiss", "snooze": "snooze"}

    do = forms.ChoiceField(choices=[(k, k) for k in ACTIONS], required=False)
    reason = forms.CharField(max_length=500, required=False, label="Reason for dismissing")
    until = CaseDateField(required=False, label="Snooze until")

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.items: list[list[int]] = []
        if data is not None:
            one = data.get("accept", "")
            values = [one] if one else data.getlist("item")
            self.items = [item for value in values if (item := _item(value))]
            self.single = bool(one)

    def clean(self):
        data = super().clean()
        if getattr(self, "single", False):
            data["do"] = "accept"
        if not self.items:
            raise forms.ValidationError("Tick the proposals first, then choose what to do with them.")
        if not data.get("do"):
            raise forms.ValidationError("Choose what to do with the proposals ticked.")
        if data["do"] == "dismiss" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for dismissing them.")
        if data["do"] == "snooze" and not data.get("until"):
            self.add_error("until", "Choose the date they come back.")
        return data


class DismissForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label="Reason for dismissing")


class ActionForm(forms.Form):
    kind = forms.ChoiceField(choices=ACTION_KINDS, label="What happened")
    done_on = CaseDateField(label="Date")
    description = forms.CharField(max_length=300, required=False, label="Summary")
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Outcome and next steps")


class MonitoringForm(forms.Form):
    weeks = forms.TypedChoiceField(choices=[(2, "2 weeks"), (4, "4 weeks")], coerce=int, label="Length")
    start = CaseDateField(label="Starting")


class StageForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=LadderStage.objects.none(), label="Stage", empty_label="Choose a stage")
    note = forms.CharField(max_length=300, required=False, label="Note")

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        if policy is not None:
            self.fields["stage"].queryset = policy.stages.all()


class LegalStepForm(forms.Form):
    kind = forms.ChoiceField(
        choices=LegalStep.Kind.choices,
        label="Legal intervention",
        help_text="s444(1): failing to secure regular attendance (a fine of up to £1,000). "
        "s444(1A): knowing the child is failing to attend (up to £2,500 and/or 3 months' imprisonment).",
    )
    date = CaseDateField(label="Date")
    reference = forms.CharField(max_length=60, required=False, label="Reference")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Notes")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "legal_%s")  # shares the case page with the action form
        super().__init__(*args, **kwargs)


def _text(label, rows=3, **kwargs):
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class CaseListFilterForm(forms.Form):
    STATUS_CHOICES = [("open", "Open"), ("closed", "Closed"), ("all", "Open and closed")]

    year = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Year group")
    stage = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Stage")
    owner = forms.ChoiceField(required=False, label="Owner")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, label="Status")

    def __init__(self, *args, years=(), stages=(), owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "All year groups")] + [(y, year_label(y)) for y in years]
        self.fields["stage"].choices = [("", "Any stage")] + [(s.pk, str(s)) for s in stages]
        self.fields["owner"].choices = [("", "Anyone"), ("none", "Nobody yet")] + [
            (str(o.pk), o.display_name) for o in owners
        ]

    def clean_status(self):
        return self.cleaned_data["status"] or "open"


class CloseCaseForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome")
    on = _date("Closed on")
    reason = _text("Why the case is closing", rows=2, max_length=1000)

    def __init__(self, *args, outcomes=(), **kwargs):
        kwargs.setdefault("auto_id", "close_%s")  # shares the case page with the action form
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [("", "Choose an outcome")] + list(outcomes)


class ReopenCaseForm(forms.Form):
    reason = _text("Why the case is reopening", rows=2, max_length=1000)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reopen_%s")
        super().__init__(*args, **kwargs)


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=Staff.objects.none(), required=False, label="Owner", empty_label="Nobody")

    def __init__(self, *args, school=None, positions=(), **kwargs):
        super().__init__(*args, **kwargs)
        if school is not None:
            self.fields["owner"].queryset = (
                Staff.objects.filter(school=school, position__in=positions)
                .select_related("user")
                .order_by("user__last_name", "user__first_name")
            )
            self.fields["owner"].label_from_instance = lambda s: f"{s.display_name} ({s.get_position_display()})"


class SupportPlanForm(forms.Form):
    description = forms.CharField(max_length=300, label="The plan in a sentence")
    on = _date("Agreed on")


class SupportTargetForm(forms.Form):
    """One SMART target: specific, measurable, achievable, relevant, time-bound."""

    specific = forms.CharField(max_length=300, label="Specific: what will change")
    measure = forms.CharField(max_length=300, label="Measurable: how we will know")
    achievable = forms.CharField(max_length=300, required=False, label="Achievable: the support that makes it so")
    relevant = forms.CharField(max_length=300, required=False, label="Relevant: why it matters for this pupil")
    due_on = _date("Time-bound: reviewed by")


SupportTargetFormSet = forms.formset_factory(SupportTargetForm, extra=3, max_num=10)


def targets_from(formset) -> list[dict]:
    """The filled-in rows of a target formset (blank rows are left out)."""
    return [f.cleaned_data for f in formset.forms if f.has_changed() and f.cleaned_data]


class TargetOutcomeForm(forms.Form):
    CHOICES = [("in_progress", "In progress"), ("met", "Met"), ("not_met", "Not met")]
    VALUES = {"in_progress": None, "met": True, "not_met": False}

    result = forms.ChoiceField(choices=CHOICES, label="Change the result")

    @property
    def met(self):
        return self.VALUES[self.cleaned_data["result"]]


class NoticeToImproveForm(forms.Form):
    parent = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        label="Parent or carer",
        empty_label="Choose a parent or carer",
        help_text="Only contacts with parental responsibility are listed.",
    )
    issued_on = _date("Issued on")
    weeks = forms.IntegerField(
        label="Improvement period (weeks)", min_value=1, help_text="Between 3 and 6 weeks (national framework)."
    )
    record_summary = _text("The attendance record and offences")
    support_offered = _text("Support offered so far")
    further_support = _text("Further support available", required=False)
    sufficient_improvement = _text(
        "What sufficient improvement means", help_text="e.g. no unauthorised absence during the improvement period."
    )

    def __init__(self, *args, pupil=None, **kwargs):
        super().__init__(*args, **kwargs)
        if pupil is not None:
            self.fields["parent"].queryset = pupil.contacts.filter(parental_responsibility=True)


class NoticeOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "Choose")] + NoticeToImprove.Outcome.choices, label="Outcome")
    on = _date("Decided on")
    note = _text("Note", rows=2, required=False)


class PenaltyNoticeForm(forms.Form):
    marks = forms.TypedMultipleChoiceField(
        coerce=int, label="Sessions the notice relies on", widget=forms.CheckboxSelectMultiple
    )
    issued_on = _date("Issue date")
    la_reference = forms.CharField(max_length=60, required=False, label="LA reference")
    confirm = forms.BooleanField(
        label="The headteacher has decided to issue this notice, and support was offered first.",
        error_messages={"required": "Confirm that the headteacher has decided to issue the notice."},
    )

    def __init__(self, *args, eligible=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["marks"].choices = [(m.pk, f"{m.date:%a %d %b %Y} {m.session} ({m.code.code})") for m in eligible]

    def clean_issued_on(self):
        day = self.cleaned_data["issued_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("A notice is recorded once issued: the date cannot be in the future.")
        return day


class PenaltyStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(k, v) for k, v in PenaltyNotice.Status.choices if k != PenaltyNotice.Status.ISSUED], label="Status"
    )
    on = _date("Date", help_text="For a payment, the date it was paid.")


class ProsecutionForm(forms.Form):
    on = _date("Referred on")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "prosecution_%s")  # shares the notice page with the status form
        super().__init__(*args, **kwargs)
