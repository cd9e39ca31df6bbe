"""Importing marks (CSV) through the register service, which validates every entry (code valid
on the date, a school session, the pupil on roll) and keeps the history of every change."""

from __future__ import annotations

from django.db import transaction

from ..models import Mark, Pupil, School
from ..services import Actor, MarkEntry, MarkValidationError, record_marks
from ..upn import upn_problem
from .base import ImportProblem, ImportRejected, parse_file_date
from .headings import CSVFile, Heading
from .report import CHANGED, CREATED, UNCHANGED, ImportReport

MARK_COLUMNS = ["upn", "date", "session", "code", "minutes_late"]
MARK_HEADINGS = [
    Heading("upn", "UPN", ("upn", "unique pupil number", "pupil upn"), required=True),
    Heading("date", "date", ("date", "session date", "attendance date"), required=True),
    Heading("session", "session (AM or PM)", ("session", "am pm", "am/pm"), required=True),
    Heading("code", "attendance code", ("code", "mark", "attendance code", "attendance mark"), required=True),
    Heading("minutes_late", "minutes late", ("minutes late", "mins late", "late minutes")),
]
SESSIONS = {"am": "AM", "pm": "PM", "morning": "AM", "afternoon": "PM", "a": "AM", "p": "PM"}


def import_marks(*, school: School, text: str, actor: Actor, source_name: str = "file") -> ImportReport:
    csv_file = CSVFile(text, MARK_HEADINGS)
    report = ImportReport(kind="marks", main="mark", columns=csv_file.columns, ignored=csv_file.ignored)
    pupils = dict(Pupil.objects.filter(school=school).values_list("upn", "id"))
    names = {}
    problems: list[ImportProblem] = []
    entries: list[MarkEntry] = []
    seen: dict[tuple, int] = {}
    for line, row, shape in csv_file.rows():
        problems += shape
        try:
            upn = row["upn"].upper().replace(" ", "")
            if problem := upn_problem(upn):
                raise ValueError(problem)
            if upn not in pupils:
                raise ValueError(f"no pupil with UPN {upn} at {school.name}; import the pupil first")
            day = parse_file_date(row["date"], csv_file.heading("date"))
            session = SESSIONS.get(row["session"].casefold())
            if session is None:
                raise ValueError(f"{csv_file.heading('session')} '{row['session']}' should be AM or PM")
            key = (upn, day, session)
            if key in seen:
                raise ValueError(f"duplicate row: {upn} {day} {session} is also on line {seen[key]}")
            seen[key] = line
            minutes = row.get("minutes_late", "")
            try:
                minutes_late = int(minutes) if minutes else None
            except ValueError:
                raise ValueError(f"{csv_file.heading('minutes_late')} '{minutes}' is not a whole number") from None
            entries.append(
                MarkEntry(
                    pupil_id=pupils[upn],
                    date=day,
                    session=session,
                    code=row["code"],
                    minutes_late=minutes_late,
                    line=line,
                )
            )
        except ValueError as exc:
            problems.append(ImportProblem(line, str(exc)))
    if not entries and not problems:
        problems.append(ImportProblem(None, "the file has headings but no marks"))
    # Validate every parsed row through the register service even when other rows failed,
    # so the administrator sees all problems at once; roll back unless all were good.
    result = None
    with transaction.atomic():
        before = {
            (m.pupil_id, m.date, m.session): m.code.code
            for m in Mark.objects.filter(
                school=school, pupil_id__in={e.pupil_id for e in entries}, date__in={e.date for e in entries}
            ).select_related("code")
        }
        try:
            result = record_marks(
                school=school,
                entries=entries,
                actor=actor,
                source=Mark.Source.IMPORT,
                reason=f"corrected by import of {source_name}",
            )
        except MarkValidationError as exc:
            problems += [ImportProblem(p.entry.line, p.message) for p in exc.problems]
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise ImportRejected(problems)
    report.tally("mark", CREATED, len(result.created))
    report.tally("mark", UNCHANGED, len(result.unchanged))
    if result.amended:
        names = {p.pk: p for p in Pupil.objects.filter(pk__in={m.pupil_id for m in result.amended})}
    for mark in result.amended:
        pupil = names[mark.pupil_id]
        old = before.get((mark.pupil_id, mark.date, mark.session), "")
        report.add(
            "mark",
            CHANGED,
            f"{pupil.legal_surname}, {pupil.legal_forename} ({pupil.upn}): {mark.date:%a %d/%m/%Y} {mark.session}",
            [f"{old} → {mark.code.code}" + (f" ({mark.minutes_late} minutes late)" if mark.minutes_late else "")],
            f"line {seen[(pupil.upn, mark.date, mark.session)]}",
        )
    return report
