"""The merge-field catalogue: every field a letter template may use (the sandbox refuses any
other), with the label, group and example the editor shows, and the produce option staff give
for it. What a template's fields need (produce options, groups of data) is read from here."""

from __future__ import annotations

from dataclasses import dataclass

from ..sandbox import Catalogue


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    group: str
    example: object
    kind: str = "text"  # text, number, date, html, list
    required: bool = True  # an empty value is an error when a template uses the field
    option: str | None = None  # the produce option staff give for it
    items: tuple[str, ...] = ()


PERIODS = {
    "year": "this school year",
    "term": "this term",
    "since": "since a date you choose",
}


def _period_fields() -> list[Field]:
    out = []
    examples = {"year": (234, 219, 15, 9, 6, 4), "term": (104, 96, 8, 5, 3, 2), "since": (40, 35, 5, 2, 3, 1)}
    for key, words in PERIODS.items():
        option = "since" if key == "since" else None
        possible, attended, missed, authorised, unauthorised, late = examples[key]
        group = f"Attendance {words}"
        out += [
            Field(f"attendance.{key}.percent", f"Attendance % {words}", group, "93.6%", option=option),
            Field(f"attendance.{key}.possible", f"Possible sessions {words}", group, possible, "number", option=option),
            Field(f"attendance.{key}.attended", f"Sessions attended {words}", group, attended, "number", option=option),
            Field(f"attendance.{key}.missed", f"Sessions missed {words}", group, missed, "number", option=option),
            Field(
                f"attendance.{key}.authorised", f"Authorised absence (sessions) {words}", group, authorised, "number"
            ),
            Field(
                f"attendance.{key}.unauthorised",
                f"Unauthorised absence (sessions) {words}",
                group,
                unauthorised,
                "number",
                option=option,
            ),
            Field(f"attendance.{key}.late", f"Late marks {words}", group, late, "number", option=option),
            Field(
                f"attendance.{key}.from", f"First day counted {words}", group, "3 September 2026", "date", option=option
            ),
            Field(
                f"attendance.{key}.to", f"Last day counted {words}", group, "23 November 2026", "date", option=option
            ),
            Field(
                f"learning_lost.{key}.sessions", f"Sessions of learning lost {words}", f"Learning lost {words}", missed
            ),
            Field(f"learning_lost.{key}.days", f"Days of learning lost {words}", f"Learning lost {words}", "7½ days"),
            Field(
                f"learning_lost.{key}.hours", f"Hours of learning lost {words}", f"Learning lost {words}", "49 hours"
            ),
            Field(
                f"learning_lost.{key}.minutes_late",
                f"Minutes late {words}",
                f"Learning lost {words}",
                "35 minutes",
                option=option,
            ),
        ]
    return out


CATALOGUE: list[Field] = [
    Field("school.name", "School name", "School", "Brookside Primary School"),
    Field("school.address", "School address", "School", "Mill Street\nAshford Green\nAG4 7PL"),
    Field("school.telephone", "School telephone", "School", "01632 960 417", required=False),
    Field("school.email", "School e-mail", "School", "office@brookside.example.sch.uk", required=False),
    Field("school.website", "School website", "School", "www.brookside.example.sch.uk", required=False),
    Field("school.logo", "School logo (image)", "School", "", "html", required=False),
    Field("letter.date", "Date of the letter", "Letter", "23 November 2026", "date"),
    Field("parent.salutation", "Salutation (after “Dear”)", "Parent or carer", "Mr and Mrs Okafor"),
    Field("parent.names", "Parents’/carers’ names", "Parent or carer", "Mr David Okafor and Mrs Grace Okafor"),
    Field("parent.address_block", "Address block (names and address)", "Parent or carer", "", "html"),
    Field("parent.address", "Address", "Parent or carer", "14 Mill Lane\nAshford Green"),
    Field("parent.postcode", "Postcode", "Parent or carer", "AG4 2QT", required=False),
    Field("parent.email", "E-mail address", "Parent or carer", "grace.okafor@example.com", required=False),
    Field("pupil.preferred_name", "Pupil’s name (preferred)", "Pupil", "Sam Okafor"),
    Field("pupil.first_name", "Pupil’s first name (preferred)", "Pupil", "Sam"),
    Field("pupil.legal_name", "Pupil’s legal name", "Pupil", "Samuel Okafor"),
    Field("pupil.legal_first_name", "Pupil’s legal first name", "Pupil", "Samuel"),
    Field("pupil.surname", "Pupil’s surname", "Pupil", "Okafor"),
    Field("pupil.date_of_birth", "Pupil’s date of birth", "Pupil", "14 March 2018", "date"),
    Field("pupil.they", "Pronoun: he / she / they", "Pupil", "he"),
    Field("pupil.them", "Pronoun: him / her / them", "Pupil", "him"),
    Field("pupil.their", "Pronoun: his / her / their", "Pupil", "his"),
    Field("pupil.they_are", "“he is” / “she is” / “they are”", "Pupil", "he is"),
    Field("pupil.year", "Year group", "Pupil", "Year 3"),
    Field("pupil.group", "Class or form", "Pupil", "Year 3 Kestrels", required=False),
    *_period_fields(),
    Field("marks.table", "Marks table (each session)", "Marks", "", "html", option="period_from"),
    Field("marks.from", "Marks table: from", "Marks", "9 November 2026", "date", option="period_from"),
    Field("marks.to", "Marks table: to", "Marks", "20 November 2026", "date", option="period_to"),
    Field(
        "marks.rows",
        "Marks, one row per day (for {% for %})",
        "Marks",
        [],
        "list",
        option="period_from",
        items=("date", "morning", "afternoon"),
    ),
    Field("case.stage", "Stage of the school’s attendance procedure", "Case", "Stage 2: Concern letter"),
    Field("case.opened_on", "Date the case was opened", "Case", "2 October 2026", "date"),
    Field("case.owner", "Who leads the case", "Case", "Mrs J Patel", required=False),
    Field("meeting.date", "Meeting date", "Meeting", "Thursday 3 December 2026", "date", option="meeting_date"),
    Field("meeting.time", "Meeting time", "Meeting", "3:30pm", option="meeting_time"),
    Field("meeting.place", "Meeting place", "Meeting", "the school office", option="meeting_place"),
    Field(
        "improvement.weeks", "Improvement period (weeks)", "Notice to improve", 4, "number", option="improvement_weeks"
    ),
    Field("improvement.starts", "Improvement period starts", "Notice to improve", "23 November 2026", "date"),
    Field("improvement.ends", "Improvement period ends", "Notice to improve", "21 December 2026", "date"),
    Field(
        "improvement.record_summary",
        "Attendance record and offences (from the notice)",
        "Notice to improve",
        "Sam has missed 22 sessions this term, 14 of them unauthorised.",
    ),
    Field(
        "improvement.support_offered",
        "Support offered so far (from the notice)",
        "Notice to improve",
        "Meetings with the attendance officer; a morning routine plan; breakfast club.",
    ),
    Field(
        "improvement.further_support",
        "Further support available (from the notice)",
        "Notice to improve",
        "Early help from the local authority.",
        required=False,
    ),
    Field(
        "improvement.sufficient_improvement",
        "What sufficient improvement means (from the notice)",
        "Notice to improve",
        "No unauthorised absence during the improvement period.",
    ),
    Field("penalty.threshold_sessions", "National threshold: sessions", "Penalty notice", 10, "number"),
    Field("penalty.threshold_weeks", "National threshold: school weeks", "Penalty notice", 10, "number"),
    Field("penalty.unauthorised_sessions", "Unauthorised sessions in the window", "Penalty notice", 8, "number"),
    Field("penalty.window_from", "Window: first day", "Penalty notice", "14 September 2026", "date"),
    Field("penalty.window_to", "Window: last day", "Penalty notice", "23 November 2026", "date"),
    Field("penalty.first_reduced", "First notice if paid within 21 days", "Penalty notice", "£80"),
    Field("penalty.first_full", "First notice if paid within 28 days", "Penalty notice", "£160"),
    Field("penalty.second", "Second notice within 3 years", "Penalty notice", "£160"),
    Field("leave.requested_period", "Leave: dates requested", "Leave of absence", "Mon 1 Feb 2027 to Fri 5 Feb 2027"),
    Field("leave.granted_period", "Leave: dates granted", "Leave of absence", "Mon 1 Feb 2027 to Wed 3 Feb 2027"),
    Field("leave.circumstance", "Leave: circumstance", "Leave of absence", "Exceptional circumstances"),
    Field("leave.decision", "Leave: decision", "Leave of absence", "Granted"),
    Field("leave.reason", "Leave: reason for the decision", "Leave of absence", "A family funeral abroad."),
    Field("leave.requested_on", "Leave: date of the request", "Leave of absence", "9 November 2026", "date"),
    Field("leave.decided_on", "Leave: date of the decision", "Leave of absence", "12 November 2026", "date"),
    Field("leave.decided_by", "Leave: decided by", "Leave of absence", "Mrs H Whitfield"),
    Field("leave.decided_by_position", "Leave: their position", "Leave of absence", "Headteacher"),
    Field("signatory.name", "Signatory’s name", "Signatory", "Mrs H Whitfield", option="signatory_name"),
    Field("signatory.position", "Signatory’s position", "Signatory", "Headteacher", option="signatory_position"),
]
FIELDS = {f.name: f for f in CATALOGUE}
# Fields the letter layout itself prints (letterhead, address window, date, signature block).
LAYOUT_FIELDS = {"school.name", "letter.date", "signatory.name"}
# Fields the layout cannot do without: the signatory always, the address window for a printed
# letter, an e-mail address for an e-mailed one.
DELIVERY_FIELDS = {
    "print": {"signatory.name", "parent.address"},
    "email": {"signatory.name", "parent.email"},
    "certificate": {"signatory.name"},
}


def sandbox_catalogue() -> Catalogue:
    return Catalogue(
        fields=frozenset(f.name for f in CATALOGUE if f.kind != "list"),
        lists={f.name: frozenset(f.items) for f in CATALOGUE if f.kind == "list"},
    )


def options_for(fields: set[str]) -> set[str]:
    """The produce options a template that uses `fields` needs staff to give."""
    options = {FIELDS[name].option for name in fields if name in FIELDS and FIELDS[name].option}
    if "period_from" in options:
        options.add("period_to")
    if "attendance.since" in {n.rsplit(".", 1)[0] for n in fields} or any(
        n.startswith("learning_lost.since") for n in fields
    ):
        options.add("since")
    if options & {"meeting_date", "meeting_time", "meeting_place"}:
        options |= {"meeting_date", "meeting_time", "meeting_place"}
    return options


def groups_needed(fields: set[str]) -> set[str]:
    """The groups of data (`pupil`, `attendance`, `period:term` …) that `fields` print."""
    out = set()
    for name in fields:
        head, _, rest = name.partition(".")
        out.add(head)
        if head in ("attendance", "learning_lost"):
            out.add("period:" + rest.split(".")[0])
    return out
