"""Importing pupils from the school's pupil file (CSV), as an MIS exports it.

Headings: our own (`legal_surname` …) or the MIS's ("UPN", "Legal Surname", "Forename",
"Preferred Forename", "DOB", "Gender"/"Sex", "Year", "Reg Group", "Admission Date", "FSM",
"SEN Status", "EAL", "In Care"/"Looked After", "Ethnicity" …; see PUPIL_HEADINGS). Values: dates
DD/MM/YYYY or YYYY-MM-DD, flags Yes/No/Y/N/True/False/1/0, years N1, N2, R, 1–14, X (with or
without "Year"), SEN N/K/E or its words, ethnicity as the DfE's four-letter code.

Only the columns the file has are changed on a known pupil, so a re-import of an updated
export keeps the roll in step (see `roll.py`): names, groups and characteristics updated, new
pupils admitted, leavers recorded; marks never touched."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction

from ..models import School
from ..upn import upn_problem
from ..years import parse_year
from .base import ImportProblem, ImportRejected, parse_bool, parse_file_date
from .headings import CSVFile, Heading
from .report import ImportReport
from .roll import PupilRecord, update_roll

PUPIL_COLUMNS = [
    "upn",
    "legal_surname",
    "legal_forename",
    "preferred_forename",
    "date_of_birth",
    "sex",
    "year",
    "group",
    "admission_date",
    "leaving_date",
    "fsm",
    "sen",
    "eal",
    "looked_after",
    "ethnicity",
]

PUPIL_HEADINGS = [
    Heading("upn", "UPN", ("upn", "unique pupil number", "pupil upn"), required=True),
    Heading(
        "legal_surname",
        "legal surname",
        ("legal surname", "legal last name", "surname", "last name", "family name"),
        required=True,
    ),
    Heading(
        "legal_forename",
        "legal forename",
        ("legal forename", "legal first name", "forename", "first name", "given name"),
        required=True,
    ),
    Heading(
        "preferred_forename",
        "preferred forename",
        ("preferred forename", "preferred first name", "known as", "known as first name", "chosen name"),
    ),
    Heading(
        "preferred_surname", "preferred surname", ("preferred surname", "preferred last name", "known as last name")
    ),
    Heading("date_of_birth", "date of birth", ("dob", "date of birth", "birth date", "birthdate"), required=True),
    Heading("sex", "sex", ("sex", "gender"), required=True),
    Heading(
        "year",
        "national curriculum year",
        ("year", "nc year", "year group", "curriculum year", "ncyearactual", "nc year actual"),
        required=True,
    ),
    Heading(
        "group",
        "registration group",
        ("reg group", "registration group", "reg", "form", "tutor group", "class", "registration form", "group"),
    ),
    Heading(
        "admission_date",
        "admission date",
        ("admission date", "date of admission", "entry date", "start date"),
        required=True,
    ),
    Heading("leaving_date", "leaving date", ("leaving date", "date of leaving", "end date")),
    Heading("fsm", "FSM eligible", ("fsm eligible", "fsm", "free school meals", "fsm eligibility", "eligible for fsm")),
    Heading("sen", "SEN provision", ("sen status", "sen provision", "sen", "send status")),
    Heading("eal", "EAL", ("eal", "english as an additional language")),
    Heading("first_language", "first language", ("first language", "home language", "language")),
    Heading(
        "looked_after",
        "looked after",
        ("in care", "looked after", "cla", "lac", "looked after child", "child looked after"),
    ),
    Heading("ethnicity", "ethnicity", ("ethnicity", "ethnic code", "ethnicity code", "ethnic group code")),
]
WHOLE_NAME = "holds whole names: export Legal Surname and Legal Forename as separate columns"
REFUSED_HEADINGS = dict.fromkeys(
    ("surname forename", "forename surname", "name", "full name", "pupil name"), WHOLE_NAME
)

SEXES = {"f": "F", "female": "F", "girl": "F", "m": "M", "male": "M", "boy": "M"}
SEN_WORDS = {
    "n": "N",
    "no": "N",
    "none": "N",
    "no special educational need": "N",
    "k": "K",
    "sen support": "K",
    "a": "K",  # before September 2014: School Action and School Action Plus are now SEN support
    "p": "K",
    "e": "E",
    "ehc plan": "E",
    "ehcp": "E",
    "education, health and care plan": "E",
    "education health and care plan": "E",
    "s": "E",  # a statement became an EHC plan
    "statement": "E",
}
ENGLISH = {"eng", "enb", "english", "english (believed)", "believed to be english"}
LANGUAGE_NOT_KNOWN = {"not", "ref", "not obtained", "refused", "information not obtained", "information refused"}
ETHNICITY = re.compile(r"[A-Z]{4}")


def import_pupils(
    *,
    school: School,
    text: str,
    full_roll: bool = False,
    leaving_date: dt.date | None = None,
    source_name: str = "the school's pupil file",
) -> ImportReport:
    """Create or update pupils and their enrolments; all or nothing. With `full_roll`, pupils
    on roll who are not in the file are recorded as leaving on `leaving_date`."""
    csv_file = CSVFile(text, PUPIL_HEADINGS, refused=REFUSED_HEADINGS)
    report = ImportReport(kind="pupils", main="pupil", columns=csv_file.columns, ignored=csv_file.ignored)
    problems: list[ImportProblem] = []
    records: list[PupilRecord] = []
    seen: dict[str, int] = {}
    for line, row, shape in csv_file.rows():
        problems += shape
        try:
            records.append(_record(csv_file, line, row, seen, report))
        except ValueError as exc:
            problems.append(ImportProblem(line, str(exc)))
    for key, label in (("fsm", "not FSM eligible"), ("sen", "no SEN"), ("looked_after", "not looked after")):
        if not csv_file.has(key):
            report.note(
                f"The file has no {_label(key)} column: new pupils are recorded as {label}; "
                "pupils already here keep what they have."
            )
    if not csv_file.has("eal") and not csv_file.has("first_language"):
        report.note("The file has no EAL column: new pupils are recorded as not EAL; pupils already here keep theirs.")
    if not records and not problems:
        problems.append(ImportProblem(None, "the file has headings but no pupils"))
    if problems:
        raise ImportRejected(problems)
    with transaction.atomic():
        update_roll(
            school=school,
            records=records,
            reason=f"imported from {source_name}",
            report=report,
            full_roll=full_roll,
            leaving_date=leaving_date,
        )
    return report


def _label(field: str) -> str:
    return next(h.label for h in PUPIL_HEADINGS if h.field == field)


def _record(csv_file: CSVFile, line: int, row: dict, seen: dict, report: ImportReport) -> PupilRecord:
    heading = csv_file.heading
    upn = row["upn"].upper().replace(" ", "")
    if problem := upn_problem(upn):
        raise ValueError(problem)
    if upn in seen:
        raise ValueError(f"UPN {upn} appears again (first on line {seen[upn]})")
    seen[upn] = line
    values = {}
    for key in ("legal_surname", "legal_forename"):
        if not row[key]:
            raise ValueError(f"{heading(key)} is empty")
        values[key] = row[key]
    for key in ("preferred_forename", "preferred_surname"):
        if csv_file.has(key):
            values[key] = row[key]
    values["date_of_birth"] = parse_file_date(row["date_of_birth"], heading("date_of_birth"))
    sex = SEXES.get(row["sex"].casefold())
    if sex is None:
        raise ValueError(f"{heading('sex')} '{row['sex']}' should be F or M")
    values["sex"] = sex
    try:
        values["year"] = parse_year(row["year"])
    except ValueError as exc:
        raise ValueError(f"{heading('year')}: {exc}") from None
    admission = parse_file_date(row["admission_date"], heading("admission_date"))
    leaving = None
    if csv_file.has("leaving_date") and row["leaving_date"]:
        leaving = parse_file_date(row["leaving_date"], heading("leaving_date"))
        if leaving < admission:
            before = f"is before {heading('admission_date')} {admission:%d/%m/%Y}"
            raise ValueError(f"{heading('leaving_date')} {leaving:%d/%m/%Y} {before}")
    for key in ("fsm", "looked_after"):
        if csv_file.has(key):
            values[key] = parse_bool(row[key], heading(key))
    defaults = {}
    if csv_file.has("eal"):
        values["eal"] = parse_bool(row["eal"], heading("eal"))
    elif csv_file.has("first_language"):
        language = row["first_language"].casefold()
        if language and language not in LANGUAGE_NOT_KNOWN:
            values["eal"] = language not in ENGLISH
        else:
            defaults["eal"] = False
    if csv_file.has("sen"):
        sen = SEN_WORDS.get(row["sen"].casefold()) if row["sen"] else "N"
        if sen is None:
            raise ValueError(f"{heading('sen')} '{row['sen']}' should be N (none), K (SEN support) or E (EHC plan)")
        values["sen"] = sen
    if csv_file.has("ethnicity"):
        ethnicity = row["ethnicity"].upper()
        if ethnicity and not ETHNICITY.fullmatch(ethnicity):
            raise ValueError(
                f"{heading('ethnicity')} '{row['ethnicity']}' is not a DfE ethnicity code: use the four-letter code, "
                "e.g. WBRI"
            )
        values["ethnicity"] = ethnicity
    return PupilRecord(
        where=f"line {line}",
        line=line,
        upn=upn,
        values=values,
        group=row["group"] if csv_file.has("group") else None,
        admission=admission,
        leaving=leaving,
        leaving_given=csv_file.has("leaving_date"),
        defaults=defaults,
    )
