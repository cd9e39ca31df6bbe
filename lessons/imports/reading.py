"""Reading the timetable files an MIS exports: which of the five files a CSV is (by its
headings), and the values they hold — weekdays, weeks of the cycle, teachers by username or
e-mail, the date a change takes effect. The contract is docs/timetable-csv.md."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from registers.imports import ImportProblem, ImportRejected, parse_file_date
from registers.imports.headings import CSVFile, Heading, normalise
from registers.models import PRIMARY, SECONDARY, School, Staff

GROUP_ALIASES = ("group", "class", "teaching group", "class name", "group name", "set")
VALID_FROM = Heading(
    "valid_from",
    "date the change takes effect",
    ("valid from", "from", "from date", "effective from", "effective date"),
)
PHASE = Heading("phase", "phase (primary or secondary)", ("phase", "school phase"))

HEADINGS = {
    "periods": [
        PHASE,
        Heading("name", "period", ("period", "name", "period name", "period code", "short name"), required=True),
        Heading("starts", "start time", ("starts", "start", "start time", "starts at"), required=True),
        Heading("ends", "end time", ("ends", "end", "end time", "ends at"), required=True),
        Heading(
            "register",
            "statutory register it holds (AM, PM or blank)",
            ("register", "holds", "holds register", "statutory register", "session", "am pm", "registration"),
        ),
        VALID_FROM,
    ],
    "rooms": [
        Heading("code", "room", ("room", "room code", "code", "short name"), required=True),
        Heading("name", "room name", ("name", "description", "room description", "room name", "long name")),
    ],
    "groups": [
        Heading("name", "teaching group", (*GROUP_ALIASES, "name"), required=True),
        Heading("subject", "subject", ("subject", "subject name"), required=True),
        Heading("year", "year", ("year", "year group", "nc year", "yr"), required=True),
        Heading(
            "teacher_columns",
            "teachers",
            many=lambda name: name.startswith(("teacher", "staff")),
        ),
    ],
    "memberships": [
        Heading("group", "teaching group", GROUP_ALIASES, required=True),
        Heading("upn", "UPN", ("upn", "pupil upn", "unique pupil number"), required=True),
        Heading(
            "starts", "date the pupil joins the group", ("from", "from date", "start date", "starts", "valid from")
        ),
        Heading("ends", "date the pupil leaves the group", ("to", "to date", "end date", "ends", "valid to")),
    ],
    "lessons": [
        Heading("group", "teaching group", GROUP_ALIASES, required=True),
        Heading("day", "day", ("day", "weekday", "day of week", "day name"), required=True),
        Heading("period", "period", ("period", "period name", "lesson"), required=True),
        Heading("week", "week of the cycle (A, B or blank)", ("week", "cycle week", "timetable week")),
        Heading("room", "room", ("room", "room code")),
        Heading("teacher", "teacher", ("teacher", "staff", "teacher username", "teacher email", "teacher e mail")),
        PHASE,
        VALID_FROM,
    ],
}
# The heading that tells each file apart, tried in this order (a lessons file has a room column
# too, a groups file may have one): the first file whose marker the headings hold.
MARKERS = [
    ("memberships", {"upn", "pupil upn", "unique pupil number"}),
    ("lessons", {"day", "weekday", "day of week", "day name"}),
    ("periods", {"starts", "start", "start time", "starts at"}),
    ("groups", {"subject", "subject name"}),
    ("rooms", {"room", "room code", "code"}),
]
FILE_NAMES = {
    "periods": "periods",
    "rooms": "rooms",
    "groups": "teaching groups",
    "memberships": "pupils in teaching groups",
    "lessons": "lessons",
}


def which_file(text: str) -> str:
    """The kind of timetable file, from its heading row."""
    first = next(iter(text.lstrip("\ufeff").splitlines()), "")
    headings = {normalise(h.strip().strip('"')) for h in first.split(",")}
    for kind, marker in MARKERS:
        if headings & marker:
            return kind
    raise ImportRejected(
        [
            ImportProblem(
                1,
                "these headings are not one of the timetable files (periods, rooms, teaching groups, pupils in "
                "teaching groups, lessons): a periods file has a 'Start time' column, a rooms file 'Room', a "
                "teaching groups file 'Subject', a pupils file 'UPN', a lessons file 'Day'",
            )
        ]
    )


def read(text: str, kind: str) -> CSVFile:
    return CSVFile(text, HEADINGS[kind])


def effective_from(row: dict, csv_file: CSVFile, field: str = "valid_from") -> dt.date:
    """The date the row's change takes effect: its own, or today when the file has none."""
    if row.get(field):
        return parse_file_date(row[field], csv_file.heading(field))
    return timezone.localdate()


DAYS = {
    **{name: n for n, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday"), start=1)},
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri"), start=1)},
    "tues": 2,
    "weds": 3,
    "thur": 4,
    "thurs": 4,
    **{str(n): n for n in range(1, 6)},
}
DAY_AND_WEEK = re.compile(r"\s*([ab])?\s*([a-z]+?|\d)\s*([ab])?\s*")


def parse_day(value: str, heading: str) -> tuple[int, str]:
    """(weekday 1–5, week "A"/"B"/"") from "Mon", "Monday", "1", or with the week in it as some
    MIS write it ("MonA", "Mon A", "A:Mon", "Monday Week B")."""
    word = (value or "").strip()
    lowered = word.casefold()
    if lowered in DAYS:
        return DAYS[lowered], ""
    match = DAY_AND_WEEK.fullmatch(re.sub(r"week|wk|[:\-/_]", " ", lowered))
    if match and match[2] in DAYS and not (match[1] and match[3]):
        return DAYS[match[2]], (match[1] or match[3] or "").upper()
    if lowered in ("saturday", "sunday", "sat", "sun"):
        raise ValueError(f"{heading} '{word}': lessons are timetabled Monday to Friday")
    raise ValueError(f"{heading} '{word}' is not a school day: write Mon–Fri (or Monday–Friday, or 1–5)")


def parse_week(value: str, heading: str) -> str:
    word = (value or "").strip().upper().removeprefix("WEEK").strip()
    if word in ("", "A", "B"):
        return word
    if word in ("AB", "A/B", "BOTH", "ALL", "EVERY"):
        return ""
    raise ValueError(f"{heading} '{value}' should be A, B or blank (blank: every week)")


def parse_register(value: str, heading: str) -> str:
    word = (value or "").strip().upper()
    if word in ("AM", "PM"):
        return word
    if word in ("", "NO", "N", "NONE", "-"):
        return ""
    if word in ("MORNING",):
        return "AM"
    if word in ("AFTERNOON",):
        return "PM"
    raise ValueError(f"{heading} '{value}' should be AM, PM or blank (blank: no statutory register in it)")


def parse_phase(value: str, heading: str) -> str | None:
    word = (value or "").strip().casefold()
    if not word:
        return None
    if word in (PRIMARY, SECONDARY):
        return word
    raise ValueError(f"{heading} '{value}' should be Primary or Secondary")


def phase_of_year(year: int) -> str:
    """Years 7 and up are secondary; an all-through school's younger pupils primary."""
    return SECONDARY if year >= 7 else PRIMARY


class Teachers:
    """The school's staff by username and e-mail (either may be in the file), case-insensitive."""

    def __init__(self, school: School):
        self.by_key: dict[str, Staff] = {}
        for staff in Staff.objects.filter(school=school).select_related("user"):
            for key in (staff.user.get_username(), staff.user.email):
                if key:
                    self.by_key.setdefault(key.strip().casefold(), staff)
        self.school = school

    def get(self, value: str, heading: str) -> Staff:
        key = (value or "").strip().casefold()
        if key not in self.by_key:
            raise ValueError(
                f"{heading} '{value.strip()}' is not a member of staff at {self.school.name}: use their username "
                "or e-mail address as it is on their staff account (Set-up → Staff)"
            )
        return self.by_key[key]


def split_names(cells: list[tuple[str, str]]) -> list[str]:
    """Teachers in one or more columns, several to a cell separated by ';', ',' or '/'."""
    names = []
    for _heading, cell in cells:
        names += [n.strip() for n in re.split(r"[;,/]", cell) if n.strip()]
    return names


def day_label(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"
