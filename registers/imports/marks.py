"""Importing marks (CSV) through the register service."""

from __future__ import annotations

from django.db import transaction

from ..models import Mark, Pupil, School
from ..services import Actor, MarkEntry, MarkValidationError, record_marks
from ..upn import upn_problem
from .base import ImportProblem, ImportRejected, parse_date
from .pupils import _reader

# --- marks -------------------------------------------------------------------------------

MARK_COLUMNS = ["upn", "date", "session", "code", "minutes_late"]


def import_marks(*, school: School, text: str, actor: Actor, source_name: str = "file") -> dict:
    reader = _reader(text, MARK_COLUMNS)
    pupils = dict(Pupil.objects.filter(school=school).values_list("upn", "id"))
    problems: list[ImportProblem] = []
    entries: list[MarkEntry] = []
    seen: dict[tuple, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            upn = (row["upn"] or "").strip().upper()
            if problem := upn_problem(upn):
                raise ValueError(problem)
            if upn not in pupils:
                raise ValueError(f"no pupil with UPN {upn} at {school.name}; import the pupil first")
            day = parse_date(row["date"], "date")
            session = (row["session"] or "").strip().upper()
            if session not in ("AM", "PM"):
                raise ValueError(f"session '{row['session']}' should be AM or PM")
            key = (upn, day, session)
            if key in seen:
                raise ValueError(f"duplicate row: {upn} {day} {session} is also on line {seen[key]}")
            seen[key] = line
            minutes = (row["minutes_late"] or "").strip()
            try:
                minutes_late = int(minutes) if minutes else None
            except ValueError:
                raise ValueError(f"minutes_late '{minutes}' is not a whole number") from None
            entries.append(
                MarkEntry(
                    pupil_id=pupils[upn],
                    date=day,
                    session=session,
                    code=(row["code"] or "").strip(),
                    minutes_late=minutes_late,
                    line=line,
                )
            )
        except ValueError as exc:
            problems.append(ImportProblem(line, str(exc)))
    # Validate every parsed row through the register service even when other rows failed,
    # so the administrator sees all problems at once; roll back unless all were good.
    result = None
    with transaction.atomic():
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
        raise ImportRejected(sorted(problems, key=lambda p: p.line or 0))
    return {"created": len(result.created), "amended": len(result.amended), "unchanged": len(result.unchanged)}
