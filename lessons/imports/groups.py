"""The rooms file (code, name) and the teaching groups file (name, subject, year, teachers).
Neither is dated: a room or a group is the same record all year, and lessons say which room
and teacher they had on a day. A room or group not in the file is left as it is."""

from __future__ import annotations

from registers.imports import CHANGED, CREATED, UNCHANGED, ImportProblem, ImportReport, save_if_changed
from registers.models import School
from registers.years import parse_year, year_label

from ..models import Room, TeachingGroup
from .reading import Teachers, split_names


def import_rooms(*, school: School, csv_file, report: ImportReport, reason: str) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    rooms = {r.code.casefold(): r for r in Room.objects.filter(school=school)}
    seen: dict[str, int] = {}
    for line, row, shape in csv_file.rows():
        problems += shape
        code, name = row["code"], row.get("name", "")
        if not code:
            problems.append(ImportProblem(line, f"{csv_file.heading('code')} is empty: give the room's code, e.g. S12"))
            continue
        if len(code) > 20 or len(name) > 100:
            problems.append(ImportProblem(line, f"room '{code}': the code may be 20 characters, the name 100"))
            continue
        if code.casefold() in seen:
            problems.append(ImportProblem(line, f"room {code} is also on line {seen[code.casefold()]}"))
            continue
        seen[code.casefold()] = line
        if problems:
            continue
        room = rooms.get(code.casefold()) or Room(school=school, code=code)
        was = room.name if room.pk else None
        values = {"name": name} if csv_file.has("name") else {}
        if save_if_changed(room, values, reason=reason):
            outcome = CREATED if was is None else CHANGED
            detail = [name or "no name"] if was is None else [f"name: {was or 'blank'} → {name or 'blank'}"]
            report.add("room", outcome, code, detail, f"line {line}")
        else:
            report.add("room", UNCHANGED, code)
    return problems


def import_groups(*, school: School, csv_file, report: ImportReport, reason: str) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    teachers = Teachers(school)
    groups = {g.name.casefold(): g for g in TeachingGroup.objects.filter(school=school).prefetch_related("teachers")}
    parsed = []
    seen: dict[str, int] = {}
    for line, row, shape in csv_file.rows():
        problems += shape
        try:
            name, subject = row["name"], row["subject"]
            if not name:
                raise ValueError(f"{csv_file.heading('name')} is empty: give the group's name, e.g. 10X/Ma1")
            if not subject:
                raise ValueError(f"{name}: {csv_file.heading('subject')} is empty")
            if len(name) > 40 or len(subject) > 60:
                raise ValueError(f"{name}: the group's name may be 40 characters, the subject 60")
            if name.casefold() in seen:
                raise ValueError(f"{name} is also on line {seen[name.casefold()]}: each group once")
            seen[name.casefold()] = line
            year = parse_year(row["year"])
            staff = []
            for who in split_names(row.get("teacher_columns", [])):
                try:
                    staff.append(teachers.get(who, "teacher"))
                except ValueError as exc:
                    problems.append(ImportProblem(line, f"{name}: {exc}"))
            parsed.append((line, name, subject, year, staff))
        except ValueError as exc:
            problems.append(ImportProblem(line, str(exc)))
    if problems:
        return problems
    for line, name, subject, year, staff in parsed:
        group = groups.get(name.casefold())
        details = []
        if group is None:
            group = TeachingGroup(school=school, name=name)
            save_if_changed(group, {"subject": subject, "year": year}, reason=reason)
            details = [f"{subject}, {year_label(year)}"]
        else:
            if group.subject != subject:
                details.append(f"subject: {group.subject} → {subject}")
            if group.year != year:
                details.append(f"year: {year_label(group.year)} → {year_label(year)}")
            save_if_changed(group, {"subject": subject, "year": year}, reason=reason)
        now = {s.pk for s in group.teachers.all()}
        if csv_file.has("teacher_columns") and now != {s.pk for s in staff}:
            group._change_reason = reason
            group.teachers.set(staff)
            details.append("teachers: " + (", ".join(s.display_name for s in staff) or "none"))
        if group.pk in {g.pk for g in groups.values()} and not details:
            report.add("teaching group", UNCHANGED, name)
        else:
            outcome = CHANGED if name.casefold() in groups else CREATED
            report.add("teaching group", outcome, name, details, f"line {line}")
    return problems
