"""The timetable pages' forms: settings, a period, a room, a teaching group, a pupil joining a
group, a lesson, and the "from date" every change to something with history takes."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from registers.models import Pupil, Staff

from .models import WEEKDAYS, Lesson, Period, Room, TeachingGroup, TimetableSettings

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


def date_field(label: str, help_text: str = "", required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, help_text=help_text, required=required, input_formats=DATE_FORMATS, widget=DateInput()
    )


class SettingsForm(forms.ModelForm):
    week_a_starts = date_field(
        "A Monday in week A", TimetableSettings._meta.get_field("week_a_starts").help_text, False
    )

    class Meta:
        model = TimetableSettings
        fields = ["cycle_weeks", "week_a_starts", "late_after_minutes", "missing_after_minutes", "prefill_statutory"]
        labels = {
            "cycle_weeks": "Timetable cycle",
            "late_after_minutes": "Late after (minutes)",
            "missing_after_minutes": "Register missing after (minutes)",
            "prefill_statutory": "Pre-fill the AM/PM register from the lesson that holds it",
        }
        widgets = {"cycle_weeks": forms.RadioSelect}

    def clean(self):
        data = super().clean()
        late, missing = data.get("late_after_minutes"), data.get("missing_after_minutes")
        if late is not None and late > 60:
            self.add_error("late_after_minutes", "At most 60 minutes.")
        if missing is not None and not 1 <= missing <= 60:
            self.add_error("missing_after_minutes", "Between 1 and 60 minutes.")
        return data


class FromDateMixin(forms.Form):
    """A change to something with history takes effect from a date: earlier registers keep what
    was timetabled when they were taken."""

    valid_from = date_field(
        "From", "The first day the change applies. Lessons before it keep what was timetabled then."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].initial = timezone.localdate()


class PeriodForm(FromDateMixin, forms.ModelForm):
    class Meta:
        model = Period
        fields = ["phase", "name", "starts", "ends", "holds_session"]
        labels = {"holds_session": "Statutory register taken in it"}
        widgets = {
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self):
        data = super().clean()
        if data.get("starts") and data.get("ends") and data["starts"] >= data["ends"]:
            self.add_error("ends", "A period must end after it starts.")
        return data

    def _post_clean(self):
        pass  # the service saves (dated), checking the model's rules itself


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["code", "name"]

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        taken = Room.objects.filter(school=self.school, code__iexact=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"There is already a room {code}.")
        return code


class GroupForm(forms.ModelForm):
    class Meta:
        model = TeachingGroup
        fields = ["name", "subject", "year", "teachers"]
        widgets = {"teachers": forms.CheckboxSelectMultiple}

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["teachers"].queryset = (
            Staff.objects.filter(school=school).select_related("user").order_by("user__last_name", "user__first_name")
        )
        self.fields["teachers"].label_from_instance = lambda s: s.display_name

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = TeachingGroup.objects.filter(school=self.school, name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"There is already a teaching group {name}.")
        return name


class JoinForm(forms.Form):
    pupil = forms.ModelChoiceField(queryset=Pupil.objects.none(), label="Pupil")
    starts = date_field("Joins on")

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupil"].queryset = Pupil.objects.filter(school=school).order_by("legal_surname", "legal_forename")
        self.fields["pupil"].label_from_instance = lambda p: f"{p.legal_surname}, {p.legal_forename} ({p.upn})"
        self.fields["starts"].initial = timezone.localdate()


class EndForm(forms.Form):
    """The last day something holds (a pupil in a group, a lesson)."""

    last_day = date_field("Last day")


class LessonForm(FromDateMixin, forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["weekday", "period", "week", "room", "teacher"]
        labels = {"weekday": "Day"}

    def __init__(self, *args, school, on: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekday"].choices = WEEKDAYS
        self.fields["period"].queryset = Period.objects.filter(school=school).filter(
            Period.on(on or timezone.localdate())
        )
        self.fields["room"].queryset = Room.objects.filter(school=school)
        self.fields["teacher"].queryset = Staff.objects.filter(school=school).select_related("user")
        self.fields["teacher"].label_from_instance = lambda s: s.display_name
        settings = TimetableSettings.objects.filter(school=school).first()
        if settings is None or settings.cycle_weeks == TimetableSettings.Cycle.ONE_WEEK:
            self.fields["week"].choices = [("", "Every week")]
            self.fields["week"].help_text = "A one-week timetable: change the cycle in Settings for weeks A and B."

    def _post_clean(self):
        pass  # the service saves (dated) and checks clashes itself
