"""Parsing what the register page and the office forms submit.

The register page is one plain HTML form (it works without JavaScript): for each pupil
`mark-<id>` (a radio: present, L or N), `other-<id>` (any national code, typed), `minutes-<id>`,
`arrived-<id>` (when a late pupil arrived; it decides the minutes), `reason-<id>` (the office's
reason for changing that row's mark), `version-<id>` (the mark's version shown on the page, 0 for
none) and `was-<id>` (the code and minutes shown, so a row the teacher did not touch is not sent again)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from .models import AM, PM
from .services import normalise_symbol as normalise_code

FIELD = re.compile(r"^(mark|other|minutes|arrived|reason|version|was)-(\d+)$")
CODE_SHAPE = re.compile(r"^[A-Z0-9/\\#]{1,2}$")


@dataclass
class SubmittedRow:
    pupil_id: int
    code: str = ""
    minutes: int | None = None
    minutes_raw: str = ""
    version: int | None = None
    was: tuple[str, int | None] | None = None
    arrived: dt.time | None = None
    arrived_raw: str = ""
    reason: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class RegisterSubmission:
    rows: dict[int, SubmittedRow]
    action: str = "save"
    reason: str = ""


def _int(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    return int(value)


CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})(?::\d{2})?$")


def parse_clock(value: str) -> dt.time | None:
    """A time of day as a person or a time input types it (9:40, 09:40, 09.40); None if it is not one."""
    match = CLOCK.match(value.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_was(value: str) -> tuple[str, int | None] | None:
    if value is None:
        return None
    code, _, minutes = value.partition("|")
    try:
        return code, _int(minutes)
    except ValueError:
        return code, None


def parse_register_post(data, *, session: str) -> RegisterSubmission:
    """Read the register form: one row per pupil named in it. Whether each pupil is on the
    register's roll is the register rule's question (`registers.taking`), not the form's."""
    rows: dict[int, SubmittedRow] = {}
    for key in data:
        match = FIELD.match(key)
        if match:
            pupil_id = int(match.group(2))
            rows.setdefault(pupil_id, SubmittedRow(pupil_id))
    for pupil_id, row in rows.items():
        other = normalise_code(data.get(f"other-{pupil_id}", ""), session)
        chosen = normalise_code(data.get(f"mark-{pupil_id}", ""), session)
        row.code = other or chosen
        if row.code and not CODE_SHAPE.match(row.code):
            row.errors.append(
                f"'{row.code}' is not an attendance code (codes are one or two characters, e.g. L or C1)."
            )
        row.minutes_raw = (data.get(f"minutes-{pupil_id}") or "").strip()
        try:
            row.minutes = _int(row.minutes_raw)
            if row.minutes is not None and row.minutes < 0:
                raise ValueError
        except ValueError:
            row.errors.append("minutes late must be a whole number of minutes, e.g. 5.")
        row.arrived_raw = (data.get(f"arrived-{pupil_id}") or "").strip()
        if row.arrived_raw:
            row.arrived = parse_clock(row.arrived_raw)
            if row.arrived is None:
                row.errors.append("the arrival time must be a time of day, e.g. 09:40.")
        row.reason = (data.get(f"reason-{pupil_id}") or "").strip()[:500]
        try:
            row.version = _int(data.get(f"version-{pupil_id}", ""))
        except ValueError:
            row.version = None
        row.was = parse_was(data.get(f"was-{pupil_id}"))
    return RegisterSubmission(
        rows=rows,
        action=data.get("action", "save"),
        reason=(data.get("reason") or "").strip()[:500],
    )


class LateArrivalForm(forms.Form):
    """The office signs in a pupil who arrived late (found by the search above the form); the
    register rule decides present, L or U and the minutes from the arrival time."""

    pupil = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "Find the pupil first."})
    session = forms.ChoiceField(label="Session", choices=[(AM, "Morning (AM)"), (PM, "Afternoon (PM)")])
    arrived = forms.TimeField(
        label="Arrived at",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "invalid": "Enter the time they arrived, e.g. 09:40.",
            "required": "Enter the time they arrived.",
        },
    )
    comment = forms.CharField(label="Note (optional)", max_length=200, required=False)

    def arrival(self, day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, self.cleaned_data["arrived"]))


class RegisterFinderForm(forms.Form):
    """The office looks for a register: a date (today by default), a session, a group."""

    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    session = forms.ChoiceField(
        label="Session", required=False, choices=[("", "Both"), (AM, "Morning (AM)"), (PM, "Afternoon (PM)")]
    )
    group = forms.TypedChoiceField(label="Group", required=False, coerce=int, empty_value=None, choices=())

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "All groups")] + [(g.pk, g.name) for g in groups]
