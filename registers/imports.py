"""Imports from a school's MIS: the school and calendar (JSON), pupils and marks (CSV).

An import with any bad row writes nothing and reports every bad row with its line number and
a message an administrator can act on. Re-running the same import changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from .calendar import describe_non_school_day, rebuild_school_days
from .models import (
    AcademicYear,
    Closure,
    Enrolment,
    Holiday,
    Mark,
    Pupil,
    RegisterTime,
    RegistrationGroup,
    School,
    SchoolDay,
    Term,
)
from .services import Actor, MarkEntry, MarkValidationError, apply_closure, record_marks
from .upn import upn_problem


@dataclass(frozen=True)
class ImportProblem:
    line: int | None
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class ImportRejected(Exception):
    """Nothing was written. `problems` lists every bad row."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value, what: str) -> dt.date:
    # Strictly YYYY-MM-DD: fromisoformat alone would also take 20250903 (or a JSON number).
    text = value.strip() if isinstance(value, str) else ""
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} '{value}' is not a date in the form YYYY-MM-DD") from None


def parse_time(value, what: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value if value is not None else "").strip())
    except ValueError:
        raise ValueError(f"{what} '{value}' is not a time in the form HH:MM") from None


TRUE_WORDS, FALSE_WORDS = {"y", "yes", "true", "1", "t"}, {"n", "no", "false", "0", "f", ""}


def parse_bool(value: str, what: str) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{what} '{value}' should be Y or N")


def save_if_changed(instance, values: dict, *, reason: str) -> bool:
    """Apply values and save only when something changed, so re-imports add no history."""
    changed = instance.pk is None or any(getattr(instance, k) != v for k, v in values.items())
    if changed:
        for key, value in values.items():
            setattr(instance, key, value)
        instance._change_reason = reason
        try:
            instance.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            # Name the record and the field, so the administrator knows which value to fix.
            label = f"{instance._meta.verbose_name} {values.get('name') or getattr(instance, 'name', '')}".strip()
            raise ValidationError(f"{label}: {_message(exc)}") from None
        instance.save()
    return changed


# --- school and calendar ---------------------------------------------------------------

SCHOOL_SESSIONS = {"AM": Closure.Session.AM, "PM": Closure.Session.PM, "BOTH": Closure.Session.BOTH}


def import_school(data: dict, *, actor: Actor | None = None) -> School:
    problems: list[ImportProblem] = []

    def problem(message):
        problems.append(ImportProblem(None, message))

    for key in ("urn", "name", "la_number", "establishment_number", "phase"):
        if not str(data.get(key) or "").strip():
            problem(f"'{key}' is missing")
    phase = data.get("phase")
    if phase and phase not in School.Phase.values:
        problem(f"phase '{phase}' is not one of {', '.join(School.Phase.values)}")

    def items(key: str) -> list[dict]:
        """The list under `key`, keeping only objects; anything else is reported."""
        value = data.get(key) or []
        if not isinstance(value, list):
            problem(f"'{key}' should be a list")
            return []
        for i, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                problem(f"{key}[{i}] should be an object, not {item!r}")
        return [item if isinstance(item, dict) else {} for item in value]

    times = []
    register_times = data.get("register_times") or {}
    if not isinstance(register_times, dict):
        problem("'register_times' should map 'primary'/'secondary' to their AM and PM times")
        register_times = {}
    for time_phase, sessions in register_times.items():
        if time_phase not in ("primary", "secondary"):
            problem(f"register_times: phase '{time_phase}' should be 'primary' or 'secondary'")
            continue
        for session, t in (sessions or {}).items():
            try:
                if str(session).upper() not in ("AM", "PM"):
                    raise ValueError(f"session '{session}' should be 'am' or 'pm'")
                if not isinstance(t, dict):
                    raise ValueError('give the times as {"opens": "08:50", "late_after": …, "closes": …}')
                rt = RegisterTime(
                    phase=time_phase,
                    session=session.upper(),
                    opens=parse_time(t.get("opens"), f"{time_phase} {session} opens"),
                    late_after=parse_time(t.get("late_after"), f"{time_phase} {session} late_after"),
                    closes=parse_time(t.get("closes"), f"{time_phase} {session} closes"),
                )
                rt.clean()
                times.append(rt)
            except (ValueError, ValidationError) as exc:
                problem(f"register_times {time_phase} {session}: {_message(exc)}")

    # RULES.md: a register stays open no more than 30 minutes, "the same length for every session"
    # (times already held for the school count too, unless this file replaces them).
    held = RegisterTime.objects.filter(school__urn=str(data.get("urn") or "").strip())
    replaced = {(rt.phase, rt.session) for rt in times}  # the file wins
    kept = [rt for rt in held if (rt.phase, rt.session) not in replaced]
    if unequal := RegisterTime.unequal_lengths([*kept, *times]):
        problem(f"register_times: {unequal}")

    terms = []
    for i, term in enumerate(items("terms"), start=1):
        try:
            start, end = parse_date(term.get("start"), "start"), parse_date(term.get("end"), "end")
            if end < start:
                raise ValueError(f"ends ({end}) before it starts ({start})")
            terms.append((term.get("name") or f"Term {i}", start, end))
        except ValueError as exc:
            problem(f"terms[{i}] {term.get('name', '')}: {exc}")
    terms.sort(key=lambda t: t[1])
    for (name_a, _, end_a), (name_b, start_b, _) in zip(terms, terms[1:], strict=False):
        if start_b <= end_a:
            problem(f"terms '{name_a}' and '{name_b}' overlap")

    breaks = []
    for i, item in enumerate(items("half_term_breaks"), start=1):
        try:
            start, end = parse_date(item.get("start"), "start"), parse_date(item.get("end"), "end")
            if end < start:
                raise ValueError(f"ends ({end}) before it starts ({start})")
            breaks.append((item.get("name") or "Half-term", start, end))
        except ValueError as exc:
            problem(f"half_term_breaks[{i}]: {exc}")

    closures = []
    for i, item in enumerate(items("closures"), start=1):
        try:
            day = parse_date(item.get("date"), "date")
            session = SCHOOL_SESSIONS.get(str(item.get("session", "both")).upper())
            if session is None:
                raise ValueError(f"session '{item.get('session')}' should be AM, PM or both")
            kind = item.get("kind", Closure.Kind.CLOSURE)
            if kind not in Closure.Kind.values:
                raise ValueError(f"kind '{kind}' should be 'closure' or 'inset'")
            years = item.get("year_groups") or []
            if not isinstance(years, list) or not all(isinstance(y, int) for y in years):
                raise ValueError("year_groups should be a list of year numbers, e.g. [5, 6]")
            if not str(item.get("reason") or "").strip():
                raise ValueError("a reason is required")
            closures.append((day, session, kind, str(item["reason"]).strip(), sorted(years)))
        except ValueError as exc:
            problem(f"closures[{i}]: {exc}")

    groups = []
    for i, item in enumerate(items("groups"), start=1):
        name = str(item.get("name") or "").strip()
        if not name:
            problem(f"groups[{i}]: a name is required")
            continue
        try:
            year = int(item.get("year"))
        except (TypeError, ValueError):
            problem(f"groups[{i}] {name}: year '{item.get('year')}' is not a number")
            continue
        group_phase = item.get("phase") or ("secondary" if year >= 7 else "primary")
        if group_phase not in ("primary", "secondary"):
            problem(f"groups[{i}] {name}: phase should be 'primary' or 'secondary'")
            continue
        groups.append((name, year, group_phase, item.get("room", "")))

    if problems:
        raise ImportRejected(problems)

    try:
        return _write_school(data, phase, times, terms, breaks, closures, groups, actor)
    except ValidationError as exc:
        # A value the checks above let through but the model refuses (too long, badly formed):
        # the transaction has rolled back, so report it like any other problem.
        raise ImportRejected([ImportProblem(None, _message(exc))]) from None


def _write_school(data, phase, times, terms, breaks, closures, groups, actor) -> School:
    reason = "imported from the school's data file"
    with transaction.atomic():
        school = School.objects.filter(urn=str(data["urn"])).first() or School(urn=str(data["urn"]))
        save_if_changed(
            school,
            {
                "name": data["name"],
                "la_number": str(data["la_number"]),
                "establishment_number": str(data["establishment_number"]),
                "phase": phase,
                **{k: data[k] for k in ("address", "telephone", "email") if k in data},
            },
            reason=reason,
        )
        for rt in times:
            current = RegisterTime.objects.filter(school=school, phase=rt.phase, session=rt.session).first()
            save_if_changed(
                current or RegisterTime(school=school, phase=rt.phase, session=rt.session),
                {"opens": rt.opens, "late_after": rt.late_after, "closes": rt.closes},
                reason=reason,
            )
        for name, start, end in terms:
            year_name = AcademicYear.name_for(start)
            year, _ = AcademicYear.objects.get_or_create(
                school=school, name=year_name, defaults={"start_date": start, "end_date": end}
            )
            save_if_changed(
                year,
                {"start_date": min(year.start_date, start), "end_date": max(year.end_date, end)},
                reason=reason,
            )
            term = Term.objects.filter(school=school, start_date=start).first()
            save_if_changed(
                term or Term(school=school, start_date=start),
                {"name": name, "end_date": end, "academic_year": year},
                reason=reason,
            )
        for name, start, end in breaks:
            holiday = Holiday.objects.filter(school=school, start_date=start).first()
            save_if_changed(
                holiday or Holiday(school=school, start_date=start), {"name": name, "end_date": end}, reason=reason
            )
        new_closures = []
        for day, session, kind, why, years in closures:
            closure = Closure.objects.filter(school=school, date=day, session=session, kind=kind).first()
            if closure is None:
                closure = Closure(school=school, date=day, session=session, kind=kind)
                new_closures.append(closure)
            save_if_changed(closure, {"reason": why, "year_groups": years}, reason=reason)
        for name, year, group_phase, room in groups:
            group = RegistrationGroup.objects.filter(school=school, name=name).first()
            save_if_changed(
                group or RegistrationGroup(school=school, name=name),
                {"year": year, "phase": group_phase, "room": room or (group.room if group else "")},
                reason=reason,
            )
        rebuild_school_days(school)
        # A planned closure closes sessions: one on a weekend, a bank holiday or in a holiday
        # is a mistake in the file (raising here rolls the whole import back).
        school_days = set(SchoolDay.objects.filter(school=school).values_list("date", flat=True))
        off = [
            ImportProblem(
                None,
                f"closures: {day:%d %b %Y} ({why}) is not a school day — "
                f"{describe_non_school_day(school, day)} — so there is no session to close",
            )
            for day, _, kind, why, _ in closures
            if kind == Closure.Kind.CLOSURE and day not in school_days
        ]
        if off:
            raise ImportRejected(off)
        actor = actor or Actor(None, "School data import", "Data import")
        for closure in new_closures:
            if closure.kind == Closure.Kind.CLOSURE:
                try:
                    apply_closure(closure=closure, actor=actor)
                except MarkValidationError as exc:
                    raise ImportRejected(
                        [ImportProblem(None, f"closure on {closure.date:%d %b %Y}: {p}") for p in exc.problems]
                    ) from None
    return school


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return " ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        return " ".join(exc.messages)
    return str(exc)


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
