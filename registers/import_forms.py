"""The Imports page's upload form: which kind of file, the file, and the dates some imports need."""

from __future__ import annotations

from django import forms

from .ctf import MAX_CTF_BYTES
from .imports import max_bytes, registered_import_kinds
from .models import ImportRun

Kind = ImportRun.Kind
KIND_CHOICES = [
    (Kind.PUPILS, "Pupils (CSV) — the pupil list from your MIS: UPN, names, date of birth, year, reg group …"),
    (Kind.CONTACTS, "Contacts (CSV) — parents, carers and others to ring, one row per pupil's contact"),
    (Kind.MARKS, "Marks (CSV) — attendance marks: UPN, date, session, code"),
    (Kind.CALENDAR, "School calendar (JSON) — terms, half-terms, closures, INSET days, groups"),
    (Kind.CTF, "Common Transfer File (XML) — pupils and contacts from your MIS or a pupil's previous school"),
]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label="What are you importing?", choices=KIND_CHOICES, widget=forms.RadioSelect)
    file = forms.FileField(
        label="The file",
        help_text=f"Exported from your MIS. At most {max_bytes(Kind.PUPILS) // 2**20} MB "
        f"({MAX_CTF_BYTES // 2**20} MB for a CTF). Nothing is imported until you have checked the preview.",
    )
    full_roll = forms.BooleanField(
        label="This file lists every pupil on roll: pupils not in it have left",
        required=False,
        help_text="Pupils or CTF only. Pupils on roll who are not in the file are recorded as leaving on the "
        "date below (their marks are kept).",
    )
    leaving_date = forms.DateField(
        label="Leaving date for pupils not in the file",
        required=False,
        input_formats=DATE_FORMATS,
        widget=DateInput(),
        help_text="Their last day on roll.",
    )
    admission_date = forms.DateField(
        label="Admission date for pupils joining from another school",
        required=False,
        input_formats=DATE_FORMATS,
        widget=DateInput(),
        help_text="CTF only: the first day on roll here, for a file from a pupil's previous school (and for "
        "pupils your own MIS gives no entry date for).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Kinds other apps register (the timetable) join the list once those apps have loaded.
        self.fields["kind"].choices = KIND_CHOICES + [(k.kind, k.choice) for k in registered_import_kinds()]

    def clean(self):
        data = super().clean()
        kind, upload = data.get("kind"), data.get("file")
        if kind and upload:
            limit = max_bytes(kind)
            if upload.size > limit:
                self.add_error(
                    "file",
                    f"The file is {upload.size / 2**20:.1f} MB; this kind of file may be at most "
                    f"{limit // 2**20} MB. Is it the right file?",
                )
            elif upload.size == 0:
                self.add_error("file", "The file is empty.")
            else:
                content = upload.read()
                upload.seek(0)
                if problem := _looks_wrong(kind, content):
                    self.add_error("file", problem)
                data["content"] = content
        if data.get("full_roll"):
            if kind not in (Kind.PUPILS, Kind.CTF):
                self.add_error("full_roll", "Only a pupil file or a CTF can list the whole roll.")
            if not data.get("leaving_date"):
                self.add_error("leaving_date", "Give the leaving date for pupils who are not in the file.")
        return data


def _looks_wrong(kind: str, content: bytes) -> str | None:
    """A file that is plainly another kind than the one chosen (XML for a CSV, and so on)."""
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if kind == Kind.CTF and start != b"<":
        return "This is not an XML file, so it is not a Common Transfer File. Did you mean another kind of file?"
    if kind == Kind.CALENDAR and start != b"{":
        return "This is not a JSON file, so it is not a school calendar. Did you mean another kind of file?"
    if kind not in (Kind.CTF, Kind.CALENDAR) and start in (b"<", b"{"):
        what = "an XML file (a CTF?)" if start == b"<" else "a JSON file (the school calendar?)"
        return f"This looks like {what}, not a CSV file: choose the kind of file it is."
    return None
