"""The lessons file: a row per lesson in the cycle (group, day, period, week A/B or every week,
room, teacher) from a date. It is the whole timetable of each group it names: a lesson of that
group missing from the file ends the day before, a changed one ends and a new one starts, and
lesson registers already taken keep the lesson they were taken in (`dated`).

Refused, naming the row: an unknown group, period, room or teacher; week A/B in a one-week
timetable; and time overlaps — a teacher, a room or a group in two lessons at once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from registers.imports import CHANGED, CREATED, LEAVING, UNCHANGED, ImportProblem, ImportReport, save_if_changed
from registers.models import School, Staff

from ..models import Lesson, Period, Room, TeachingGroup, TimetableSettings
from .dated import TooLate, change_from, check_free, end_row, holding_from
from .reading import Teachers, effective_from, parse_day, parse_phase, parse_week, phase_of_year

DAY_NAMES = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri"}


@dataclass
class Row:
    line: int
    group: TeachingGroup
    weekday: int
    week: str
    period: Period
    room: Room | None
    teacher: Staff | None
    day: dt.date

    @property
    def label(self) -> str:
        return lesson_label(self.group, self.weekday, self.period, self.week)


def lesson_label(group, weekday: int, period: Period, week: str) -> str:
    return f"{group.name} {DAY_NAMES[weekday]} {period.name}" + (f" (week {week})" if week else "")


def import_lessons(*, school: School, csv_file, report: ImportReport, reason: str) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    groups = {g.name.casefold(): g for g in TeachingGroup.objects.filter(school=school).prefetch_related("teachers")}
    rooms = {r.code.casefold(): r for r in Room.objects.filter(school=school)}
    periods = list(Period.objects.filter(school=school))
    teachers = Teachers(school)
    settings = TimetableSettings.objects.filter(school=school).first()
    two_weeks = settings is not None and settings.cycle_weeks == TimetableSettings.Cycle.TWO_WEEKS
    rows: list[Row] = []
    seen: dict[tuple, int] = {}
    for line, raw, shape in csv_file.rows():
        problems += shape
        try:
            row = _read(raw, line, csv_file, school, groups, rooms, periods, teachers, two_weeks)
            key = (row.group.pk, row.weekday, row.week, row.period.name, row.day)
            if key in seen:
                raise ValueError(f"{row.label} is also on line {seen[key]}: each lesson once")
            seen[key] = line
            rows.append(row)
        except ValueError as exc:
            problems.append(ImportProblem(line, str(exc)))
    problems += _overlaps(rows)
    if not rows and not problems:
        problems.append(ImportProblem(None, "the file has headings but no lessons"))
    if problems:
        return problems
    by_group: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_group[row.group.pk].append(row)
    for entries in by_group.values():
        problems += _apply_group(entries, report, reason)
    return problems


def _read(raw, line, csv_file, school, groups, rooms, periods, teachers, two_weeks) -> Row:
    group = groups.get(raw["group"].casefold())
    if group is None:
        raise ValueError(
            f"there is no teaching group '{raw['group']}' at {school.name}: import the teaching groups file first "
            "(or check the spelling)"
        )
    weekday, week = parse_day(raw["day"], csv_file.heading("day"))
    if csv_file.has("week"):
        column = parse_week(raw.get("week", ""), csv_file.heading("week"))
        if week and column and week != column:
            raise ValueError(f"the day says week {week} but {csv_file.heading('week')} says week {column}")
        week = week or column
    if week and not two_weeks:
        raise ValueError(
            f"week {week}: the school's timetable is a one-week cycle. If it runs in weeks A and B, set that in "
            "Timetable → Settings first (with a Monday in week A), then import the lessons"
        )
    day = effective_from(raw, csv_file)
    period = _period(raw, csv_file, periods, group, day)
    room = None
    if code := raw.get("room", ""):
        room = rooms.get(code.casefold())
        if room is None:
            raise ValueError(f"there is no room '{code}': add it to the rooms file (or Timetable → Rooms) first")
    if who := raw.get("teacher", ""):
        teacher = teachers.get(who, csv_file.heading("teacher"))
    else:
        staff = list(group.teachers.all())
        teacher = staff[0] if len(staff) == 1 else None
    return Row(line, group, weekday, week, period, room, teacher, day)


def _period(raw, csv_file, periods: list[Period], group: TeachingGroup, day: dt.date) -> Period:
    name = raw["period"]
    phase = parse_phase(raw.get("phase", ""), csv_file.heading("phase"))
    named = [p for p in periods if p.name.casefold() == name.casefold() and p.holds_on(day)]
    if phase:
        named = [p for p in named if p.phase == phase]
    if len(named) > 1:
        named = [p for p in named if p.phase == phase_of_year(group.year)] or named[:1]
    if not named:
        known = sorted({p.name for p in periods if p.holds_on(day)}, key=lambda n: (len(n), n))
        listed = f" (the periods on {day:%d/%m/%Y} are {', '.join(known)})" if known else ""
        raise ValueError(
            f"there is no period '{name}' on {day:%d/%m/%Y}{listed}: import the periods file first (or check the name)"
        )
    return named[0]


def _overlaps(rows: list[Row]) -> list[ImportProblem]:
    """A teacher, room or group in two lessons at once: the same day, weeks that meet (every
    week meets A and B), periods whose times overlap, from the same date."""
    problems = []
    slots: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        slots[(row.weekday, row.day)].append(row)
    for entries in slots.values():
        entries.sort(key=lambda r: (r.period.starts, r.line))
        for i, a in enumerate(entries):
            for b in entries[i + 1 :]:
                if b.period.starts >= a.period.ends:
                    break
                if a.week and b.week and a.week != b.week:
                    continue
                both = f"{a.label} (line {a.line}) and {b.label}"
                when = f"{DAY_NAMES[a.weekday]} {a.period.starts:%H:%M}–{a.period.ends:%H:%M}"
                if a.group.pk == b.group.pk:
                    problems.append(ImportProblem(b.line, f"time overlaps: {both} are the same group at once ({when})"))
                if a.teacher and a.teacher == b.teacher:
                    problems.append(
                        ImportProblem(
                            b.line, f"time overlaps: {a.teacher.display_name} teaches {both} at once ({when})"
                        )
                    )
                if a.room and a.room == b.room:
                    problems.append(
                        ImportProblem(b.line, f"time overlaps: room {a.room.code} has {both} at once ({when})")
                    )
    return problems


def _apply_group(entries: list[Row], report: ImportReport, reason: str) -> list[ImportProblem]:
    problems = []
    group = entries[0].group
    first_day = min(r.day for r in entries)
    current = list(
        Lesson.objects.filter(group=group)
        .filter(holding_from(first_day))
        .select_related("period", "room", "teacher__user")
    )
    matched: set[int] = set()
    for row in entries:
        slot = sorted(
            (
                lesson
                for lesson in current
                if lesson.weekday == row.weekday
                and lesson.week == row.week
                and lesson.period.name == row.period.name
                and lesson.period.phase == row.period.phase
                and (lesson.valid_to is None or lesson.valid_to >= row.day)
            ),
            key=lambda lesson: lesson.valid_from,
        )
        matched.update(lesson.pk for lesson in slot)
        values = {"period": row.period, "room": row.room, "teacher": row.teacher, "valid_to": None}
        try:
            for later in (lesson for lesson in slot if lesson.valid_from > row.day):
                check_free([later], later.valid_from, row.label)
                end_row(later, row.day, reason=reason)
            holding = next((lesson for lesson in slot if lesson.valid_from <= row.day), None)
            if holding is None:
                lesson = Lesson(
                    school=group.school, group=group, weekday=row.weekday, week=row.week, valid_from=row.day
                )
                save_if_changed(lesson, values, reason=reason)
                report.add(
                    "lesson", CREATED, row.label, [*_describe(row), f"from {row.day:%d/%m/%Y}"], f"line {row.line}"
                )
                continue
            details = _differences(holding, row)
            if not details and holding.valid_to is None:
                report.add("lesson", UNCHANGED, row.label)
                continue
            if details:
                check_free([holding], row.day, row.label)
                change_from(holding, row.day, values, reason=reason)
                details.append(f"from {row.day:%d/%m/%Y}")
            else:
                save_if_changed(holding, {"valid_to": None}, reason=reason)
                details = ["no longer ends: holds from now on"]
            report.add("lesson", CHANGED, row.label, details, f"line {row.line}")
        except TooLate as exc:
            problems.append(ImportProblem(row.line, str(exc)))
    for lesson in current:
        if lesson.pk in matched:
            continue
        label = lesson_label(group, lesson.weekday, lesson.period, lesson.week)
        try:
            check_free([lesson], first_day, label)
            what = end_row(lesson, first_day, reason=reason)
            report.add("lesson", LEAVING, label, [f"not in the file: {what}"])
        except TooLate as exc:
            problems.append(ImportProblem(None, f"{exc} (it is not in the file, so it would end)"))
    return problems


def _describe(row: Row) -> list[str]:
    return [
        f"{row.period.starts:%H:%M}–{row.period.ends:%H:%M}",
        f"room {row.room.code}" if row.room else "no room",
        row.teacher.display_name if row.teacher else "no teacher",
    ]


def _differences(lesson: Lesson, row: Row) -> list[str]:
    out = []
    if lesson.period_id != row.period.pk:
        out.append(f"period times: {lesson.period.starts:%H:%M} → {row.period.starts:%H:%M}")
    if lesson.room_id != (row.room.pk if row.room else None):
        out.append(f"room: {lesson.room.code if lesson.room else 'none'} → {row.room.code if row.room else 'none'}")
    if lesson.teacher_id != (row.teacher.pk if row.teacher else None):
        was = lesson.teacher.display_name if lesson.teacher else "none"
        out.append(f"teacher: {was} → {row.teacher.display_name if row.teacher else 'none'}")
    return out
