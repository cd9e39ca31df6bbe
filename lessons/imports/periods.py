"""The periods file: each phase's school day (name, start, end, the statutory register a period
holds) from a date. It lists the whole day of every phase it names, so a period of that phase
missing from the file ends the day before (refused while lessons are still timetabled in it)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from registers.imports import (
    CHANGED,
    CREATED,
    LEAVING,
    UNCHANGED,
    ImportProblem,
    ImportReport,
    parse_time,
    save_if_changed,
)
from registers.models import SECONDARY, School

from ..models import Period
from .dated import TooLate, change_from, check_free, end_row, holding_from, lessons_of_period, move_lessons
from .reading import effective_from, parse_phase, parse_register


def import_periods(*, school: School, csv_file, report: ImportReport, reason: str) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    rows = []  # (line, phase, name, starts, ends, register, day)
    seen: dict[tuple, int] = {}
    for line, row, shape in csv_file.rows():
        problems += shape
        try:
            phase = parse_phase(row.get("phase", ""), csv_file.heading("phase")) or SECONDARY
            name = row["name"]
            if not name:
                raise ValueError(f"{csv_file.heading('name')} is empty: give the period's name, e.g. P1")
            if len(name) > 20:
                raise ValueError(f"{csv_file.heading('name')} '{name}' is longer than 20 characters")
            starts = parse_time(row["starts"], csv_file.heading("starts"))
            ends = parse_time(row["ends"], csv_file.heading("ends"))
            if starts >= ends:
                raise ValueError(
                    f"{name} starts at {starts:%H:%M} but ends at {ends:%H:%M}: it must end after it starts"
                )
            register = parse_register(row.get("register", ""), csv_file.heading("register"))
            day = effective_from(row, csv_file)
            if (phase, name, day) in seen:
                raise ValueError(f"{name} is also on line {seen[(phase, name, day)]}: each period once per phase")
            seen[(phase, name, day)] = line
            rows.append((line, phase, name, starts, ends, register, day))
        except ValueError as exc:
            problems.append(ImportProblem(line, str(exc)))
    problems += _overlaps(rows)
    if problems:
        return problems
    by_phase: dict[str, list] = defaultdict(list)
    for entry in rows:
        by_phase[entry[1]].append(entry)
    for phase, entries in by_phase.items():
        problems += _apply_phase(school, phase, entries, report, reason)
    return problems


def _overlaps(rows) -> list[ImportProblem]:
    """Periods of one phase from one date that overlap in time, and two holding one register."""
    problems = []
    groups: dict[tuple, list] = defaultdict(list)
    for entry in rows:
        groups[(entry[1], entry[6])].append(entry)
    for entries in groups.values():
        entries.sort(key=lambda e: e[3])
        for before, after in zip(entries, entries[1:], strict=False):
            if after[3] < before[4]:
                problems.append(
                    ImportProblem(
                        after[0],
                        f"{after[2]} ({after[3]:%H:%M}–{after[4]:%H:%M}) overlaps {before[2]} "
                        f"({before[3]:%H:%M}–{before[4]:%H:%M}, line {before[0]}): periods of one day cannot overlap",
                    )
                )
        holders: dict[str, tuple] = {}
        for entry in entries:
            if entry[5] and entry[5] in holders:
                first = holders[entry[5]]
                problems.append(
                    ImportProblem(
                        entry[0],
                        f"{entry[2]} and {first[2]} (line {first[0]}) both hold the {entry[5]} register: "
                        "only one period a day can",
                    )
                )
            holders.setdefault(entry[5], entry)
    return problems


def _apply_phase(school, phase, entries, report, reason) -> list[ImportProblem]:
    problems = []
    first_day = min(e[6] for e in entries)
    existing = list(Period.objects.filter(school=school, phase=phase).filter(holding_from(first_day)))
    named = {e[2] for e in entries}
    for line, _phase, name, starts, ends, register, day in entries:
        values = {"starts": starts, "ends": ends, "holds_session": register, "valid_to": None}
        label = f"{name} ({phase})"
        rows = sorted(
            (p for p in existing if p.name == name and (p.valid_to is None or p.valid_to >= day)),
            key=lambda p: p.valid_from,
        )
        holding = next((p for p in rows if p.valid_from <= day), None)
        try:
            for later in (p for p in rows if p.valid_from > day):
                check_free(lessons_of_period(later, later.valid_from), later.valid_from, f"Period {name}")
                if later.lessons.exists():
                    raise TooLate(f"period {name} from {later.valid_from:%d/%m/%Y} has lessons: change those first")
                report.add(
                    "period",
                    LEAVING,
                    f"{label} from {later.valid_from:%d/%m/%Y}",
                    [end_row(later, day, reason=reason)],
                    f"line {line}",
                )
            if holding is None:
                period = Period(school=school, phase=phase, name=name, valid_from=day)
                save_if_changed(period, values, reason=reason)
                report.add(
                    "period",
                    CREATED,
                    label,
                    [f"{starts:%H:%M}–{ends:%H:%M}", _holds(register), _from(day)],
                    f"line {line}",
                )
                continue
            details = _differences(holding, values)
            if not details:
                report.add("period", UNCHANGED, label)
                continue
            if set(details) == {"valid_to"}:
                change_from(holding, holding.valid_from, {"valid_to": None}, reason=reason)
                report.add("period", CHANGED, label, ["no longer ends: holds from now on"], f"line {line}")
                continue
            lessons = lessons_of_period(holding, day)
            check_free(lessons, day, f"A lesson in {name}")
            new = change_from(holding, day, values, reason=reason)
            moved = move_lessons(holding, new, day, reason=reason) if new.pk != holding.pk else 0
            words = [details[k] for k in ("starts", "ends", "holds_session") if k in details]
            words.append(_from(day))
            if moved:
                words.append(f"its {moved} lesson{'s' if moved != 1 else ''} move{'s' if moved == 1 else ''} with it")
            report.add("period", CHANGED, label, words, f"line {line}")
        except TooLate as exc:
            problems.append(ImportProblem(line, str(exc)))
    for period in existing:
        if period.name in named:
            continue
        try:
            if lessons_of_period(period, first_day):
                raise TooLate(
                    f"{period.name} ({phase}) is not in the file, but lessons are timetabled in it from "
                    f"{first_day:%d/%m/%Y}: import the new lessons first, or keep {period.name} in the file"
                )
            what = end_row(period, first_day, reason=reason)
            report.add("period", LEAVING, f"{period.name} ({phase})", [f"not in the file: {what}"])
        except TooLate as exc:
            problems.append(ImportProblem(None, str(exc)))
    return problems


def _differences(period: Period, values: dict) -> dict[str, str]:
    out = {}
    if period.starts != values["starts"]:
        out["starts"] = f"starts {period.starts:%H:%M} → {values['starts']:%H:%M}"
    if period.ends != values["ends"]:
        out["ends"] = f"ends {period.ends:%H:%M} → {values['ends']:%H:%M}"
    if period.holds_session != values["holds_session"]:
        out["holds_session"] = f"register {period.holds_session or 'none'} → {values['holds_session'] or 'none'}"
    if not out and period.valid_to is not None:
        out["valid_to"] = "open"
    return out


def _holds(register: str) -> str:
    return f"holds the {register} register" if register else "no statutory register"


def _from(day: dt.date) -> str:
    return f"from {day:%d/%m/%Y}"
