"""Importing pupils and their enrolments from the school's pupil file (CSV)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Enrolment, Pupil, RegistrationGroup, School
from ..upn import upn_problem
from .base import ImportProblem, ImportRejected, _message, parse_bool, parse_date, save_if_changed

# --- pupils ------------------------------------------------------------------------------

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


def _reader(text: str, columns: list[str]):
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([ImportProblem(1, f"the header is missing column(s): {', '.join(missing)}")])
    return reader


def import_pupils(*, school: School, text: str) -> dict:
    reader = _reader(text, PUPIL_COLUMNS)
    groups = {g.name: g for g in RegistrationGroup.objects.filter(school=school)}
    problems: list[ImportProblem] = []
    parsed = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            upn = (row["upn"] or "").strip().upper()
            if problem := upn_problem(upn):
                raise ValueError(problem)
            if upn in seen:
                raise ValueError(f"UPN {upn} appears again (first on line {seen[upn]})")
            seen[upn] = line
            for key in ("legal_surname", "legal_forename"):
                if not (row[key] or "").strip():
                    raise ValueError(f"{key} is empty")
            sex = (row["sex"] or "").strip().upper()
            if sex not in Pupil.Sex.values:
                raise ValueError(f"sex '{row['sex']}' should be F or M")
            try:
                year = int(row["year"])
            except (TypeError, ValueError):
                raise ValueError(f"year '{row['year']}' is not a national curriculum year number") from None
            group_name = (row["group"] or "").strip()
            if group_name and group_name not in groups:
                raise ValueError(
                    f"group '{group_name}' does not exist at {school.name}; import it with the school first"
                )
            sen = (row["sen"] or "N").strip().upper()
            if sen not in Pupil.SEN.values:
                raise ValueError(f"sen '{row['sen']}' should be N, K or E")
            admission = parse_date(row["admission_date"], "admission_date")
            leaving = parse_date(row["leaving_date"], "leaving_date") if (row["leaving_date"] or "").strip() else None
            if leaving and leaving < admission:
                raise ValueError(f"leaving_date {leaving} is before admission_date {admission}")
            birth = parse_date(row["date_of_birth"], "date_of_birth")
            values = {
                "legal_surname": row["legal_surname"].strip(),
                "legal_forename": row["legal_forename"].strip(),
                "preferred_forename": (row["preferred_forename"] or "").strip(),
                "date_of_birth": birth,
                "sex": sex,
                "year": year,
                "group": groups.get(group_name),
                "fsm": parse_bool(row["fsm"], "fsm"),
                "sen": sen,
                "eal": parse_bool(row["eal"], "eal"),
                "looked_after": parse_bool(row["looked_after"], "looked_after"),
                "ethnicity": (row["ethnicity"] or "").strip().upper(),
            }
            try:
                Pupil(school=school, upn=upn, **values).full_clean(
                    exclude=["school", "group"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                raise ValueError(_message(exc)) from None
            parsed.append((upn, values, admission, leaving))
        except ValueError as exc:
            problems.append(ImportProblem(line, str(exc)))
    problems += _overlapping_enrolments(school, parsed, seen)
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: p.line))

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    reason = "imported from the school's pupil file"
    with transaction.atomic():
        existing = {p.upn: p for p in Pupil.objects.filter(school=school, upn__in=seen)}
        for upn, values, admission, leaving in parsed:
            pupil = existing.get(upn) or Pupil(school=school, upn=upn)
            is_new = pupil.pk is None
            changed = save_if_changed(pupil, values, reason=reason)
            enrolment = Enrolment.objects.filter(pupil=pupil, admission_date=admission).first()
            changed |= save_if_changed(
                enrolment or Enrolment(pupil=pupil, admission_date=admission), {"leaving_date": leaving}, reason=reason
            )
            counts["created" if is_new else "updated" if changed else "unchanged"] += 1
    return counts


def _overlapping_enrolments(school, parsed, lines) -> list[ImportProblem]:
    """A known pupil given a different admission date would be on roll twice over the same days.
    It may be a correction or a return to the school; the file cannot say which, so the row is
    refused with what to do rather than guessed."""
    current = defaultdict(list)
    for e in Enrolment.objects.filter(pupil__school=school, pupil__upn__in=lines).select_related("pupil"):
        current[e.pupil.upn].append(e)
    problems = []
    for upn, _values, admission, leaving in parsed:
        for e in current.get(upn, []):
            if e.admission_date == admission:
                continue
            starts_before_end = e.leaving_date is None or admission <= e.leaving_date
            ends_after_start = leaving is None or leaving >= e.admission_date
            if starts_before_end and ends_after_start:
                until = f"to {e.leaving_date:%d/%m/%Y}" if e.leaving_date else "with no leaving date"
                problems.append(
                    ImportProblem(
                        lines[upn],
                        f"UPN {upn} is already on roll from {e.admission_date:%d/%m/%Y} {until}; admission on "
                        f"{admission:%d/%m/%Y} would put them on roll twice. If they left and came back, record "
                        "the leaving date on the earlier enrolment first; if the date is a correction, correct "
                        "it on the pupil's record.",
                    )
                )
                break
    return problems
