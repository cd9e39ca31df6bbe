"""The year rollover: the school moves into its next academic year in one step, previewed first.

Every pupil moves up a year; the school's top year (Year 6, 11 or 13, from its phase) leaves on the
last day of the old year — a deletion from the admission register at a standard transition — unless
the office says a pupil stays on (they keep their year and group); pupils move into next year's
groups; the new Reception / Year 7 intake comes in through the existing pupil import. Nothing
historic changes: marks, registers, figures, cases, notices and penalty notices are only ever read here.

Groups: a group whose name carries its year ("Year 3", "3A", "10RB", "Reception") keeps its name for
that year, and its pupils move into the group named for the next year ("Year 4", "4A", "11RB",
"Year 1"), created if the school has none. A group whose name does not ("Oak", "Kestrels") moves up
with its pupils. A groups file (UPN, group) reassigns the pupils it lists.

Applied once: the YearRollover row (unique per school and year) makes a second apply do nothing.
The preview is the apply, run in a transaction that is rolled back, so it shows exactly what
applying will do."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from .imports import CREATED, confirm_import
from .leaving import DeletionRefused, delete_from_register
from .models import (
    AcademicYear,
    Ground,
    ImportRun,
    Mark,
    Pupil,
    RegistrationGroup,
    School,
    SchoolDay,
    YearRollover,
)
from .models.school import PRIMARY, SECONDARY
from .years import NOT_FOLLOWING, NURSERY_2, RECEPTION, year_label

TOP_YEARS = {School.Phase.PRIMARY: 6, School.Phase.NURSERY: NURSERY_2}
FIRST_DAYS = 5  # a rollover forgotten over the summer can still be applied in the new year's first week
GROUP_HEADINGS = {"upn": "upn", "group": "group", "reg group": "group", "registration group": "group", "form": "group"}


class RolloverRefused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def top_year(school: School) -> int:
    """The last year the school teaches: Year 6 for a primary, 11 for a secondary (13 with a sixth
    form, i.e. pupils in Years 12–13), otherwise the highest year of its pupils on roll."""
    if school.phase in TOP_YEARS:
        return TOP_YEARS[school.phase]
    years = set(
        Pupil.objects.filter(school=school, enrolments__leaving_date__isnull=True)
        .exclude(year=NOT_FOLLOWING)
        .values_list("year", flat=True)
    ) | set(RegistrationGroup.objects.filter(school=school).exclude(year=NOT_FOLLOWING).values_list("year", flat=True))
    if school.phase in (School.Phase.SECONDARY, School.Phase.ALL_THROUGH):
        return 13 if years & {12, 13} else 11
    return max(years, default=6)


_YEAR_WORD = re.compile(r"\b(Year|Yr|Y)(\s?)(\d{1,2})\b", re.IGNORECASE)
_LEADING = re.compile(r"^(\d{1,2})(?=[^\d]|$)")


def next_group_name(name: str, year: int) -> str | None:
    """The name the group for the next year has, when `name` carries `year`; None when it does not."""
    if year == RECEPTION and re.search(r"\breception\b", name, re.IGNORECASE):
        return re.sub(r"\breception\b", "Year 1", name, flags=re.IGNORECASE)
    if year < 1:
        return None
    match = _YEAR_WORD.search(name)
    if match and int(match.group(3)) == year:
        return f"{name[: match.start(3)]}{year + 1}{name[match.end(3) :]}"
    match = _LEADING.match(name)
    if match and int(match.group(1)) == year:
        return f"{year + 1}{name[match.end(1) :]}"
    return None


def read_groups_file(text: str) -> tuple[dict[str, str], list[str]]:
    """UPN → group name from a CSV with UPN and group headings; every problem with its line."""
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error:  # an unclosed quote runs on to the end of the file, past the field limit
        return {}, [f"groups file line {len(rows) + 1}: the file cannot be read from here (an unclosed quote?)"]
    if not rows:
        return {}, ["the groups file is empty: it needs the headings UPN and Group"]
    headings = [GROUP_HEADINGS.get(h.strip().lower()) for h in rows[0]]
    if "upn" not in headings or "group" not in headings:
        return {}, ["the groups file needs the headings UPN and Group (or Reg group / Form)"]
    u, g = headings.index("upn"), headings.index("group")
    found: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        upn = row[u].strip().upper() if u < len(row) else ""
        group = row[g].strip() if g < len(row) else ""
        if not upn or not group:
            problems.append(f"groups file line {line}: give both the UPN and the group")
        elif any(ord(c) < 32 for c in upn + group):
            problems.append(f"groups file line {line}: the UPN or group has a control character in it")
        elif upn in found:
            problems.append(f"groups file line {line}: UPN {upn} is listed twice")
        elif len(group) > RegistrationGroup._meta.get_field("name").max_length:
            problems.append(f"groups file line {line}: the group name '{group[:50]}…' is too long")
        else:
            found[upn] = group
    return found, problems


@dataclass
class Move:
    pupil: Pupil
    old_year: int
    new_year: int
    old_group: str
    new_group: str

    @property
    def old_label(self):
        return year_label(self.old_year)

    @property
    def new_label(self):
        return year_label(self.new_year)


@dataclass
class GroupChange:
    name: str
    old_year: int | None
    new_year: int
    change: str  # created / moves up / empty

    @property
    def old_label(self) -> str:
        return "–" if self.old_year is None else year_label(self.old_year)

    @property
    def new_label(self) -> str:
        return year_label(self.new_year)


@dataclass
class RolloverPlan:
    school: School
    from_year: AcademicYear | None
    to_year: AcademicYear | None
    top_year: int
    leaving_date: dt.date | None
    moves: list[Move] = field(default_factory=list)
    leavers: list[Pupil] = field(default_factory=list)
    staying: list[Pupil] = field(default_factory=list)
    groups: list[GroupChange] = field(default_factory=list)
    intake: ImportRun | None = None
    problems: list[str] = field(default_factory=list)
    applied: YearRollover | None = None

    @property
    def can_apply(self) -> bool:
        return not self.problems and self.applied is None

    @property
    def top_label(self) -> str:
        return year_label(self.top_year)

    @property
    def moving_up(self) -> list[Move]:
        return [m for m in self.moves if m.new_year != m.old_year]

    def move_summary(self) -> list[tuple[str, str, str, str, int]]:
        """(from year, from group, to year, to group, pupils) for the preview, in year order."""
        counts: dict[tuple, int] = {}
        for m in self.moves:
            key = (m.old_year, m.old_group, m.new_year, m.new_group)
            counts[key] = counts.get(key, 0) + 1
        return [
            (year_label(a), g, year_label(b), h, n) for (a, g, b, h), n in sorted(counts.items(), key=lambda i: i[0])
        ]

    def summary(self) -> dict:
        return {
            "moved": len(self.moving_up),
            "left": len(self.leavers),
            "stayed_on": len(self.staying),
            "groups_created": sum(1 for g in self.groups if g.change == "created"),
            "groups_moved_up": sum(1 for g in self.groups if g.change == "moves up"),
            "intake": (self.intake.counts or {}).get("pupil", {}).get(CREATED, 0) if self.intake else 0,
            "intake_import": self.intake.pk if self.intake else None,
            "leavers": [p.upn for p in self.leavers],
            "staying": [p.upn for p in self.staying],
        }


def _years(school: School, today: dt.date) -> tuple[AcademicYear | None, AcademicYear | None, list[str]]:
    """The year to roll from and the year to roll into. After a year's last school day it is that year;
    on the first morning of the next year, before any register is taken, it is still the year before."""
    last_day = SchoolDay.objects.filter(school=school, date__lt=today).select_related("term__academic_year").last()
    if last_day is None:
        return None, None, ["the school has no school days before today: import its calendar first"]
    from_year = last_day.term.academic_year
    earlier = AcademicYear.objects.filter(school=school, start_date__lt=from_year.start_date).order_by("start_date")
    previous = earlier.last()
    started = SchoolDay.objects.filter(school=school, term__academic_year=from_year, date__lt=today)
    if (
        previous is not None
        and not YearRollover.objects.filter(school=school, from_year=previous.name).exists()
        and not _new_year_marked(school, from_year)
        and started.count() <= FIRST_DAYS
    ):
        from_year = previous
    problems = []
    end = SchoolDay.objects.filter(school=school, term__academic_year=from_year).last().date
    if end >= today:
        problems.append(
            f"{from_year.name} is not over yet: the rollover can be applied after its last school day, "
            f"{end:%A %d %B %Y}"
        )
    to_year = AcademicYear.objects.filter(school=school, start_date__gt=from_year.start_date).order_by("start_date")
    to_year = to_year.first()
    if to_year is None:
        problems.append(
            f"next year's calendar is not imported yet: import the term dates for the year after {from_year.name} "
            "(Imports → School calendar) first"
        )
    return from_year, to_year, problems


def _new_year_marked(school: School, year: AcademicYear) -> bool:
    """Registers taken in `year` (planned-closure `#` marks the calendar import wrote do not count)."""
    return Mark.objects.filter(school=school, date__gte=year.start_date).exclude(source=Mark.Source.CLOSURE).exists()


def plan_rollover(
    *,
    school: School,
    today: dt.date | None = None,
    groups_file: str = "",
    staying: set[int] | frozenset = frozenset(),
    intake: ImportRun | None = None,
) -> RolloverPlan:
    """What applying would do: the moves, the leavers, the groups, the intake and every problem."""
    today = today or timezone.localdate()
    from_year, to_year, problems = _years(school, today)
    plan = RolloverPlan(school, from_year, to_year, top_year(school), None, problems=problems)
    if from_year is None:
        return plan
    plan.applied = YearRollover.objects.filter(school=school, from_year=from_year.name).first()
    plan.leaving_date = max(dt.date(from_year.start_date.year + 1, 8, 31), today)
    if to_year is not None and plan.applied is None and _new_year_marked(school, to_year):
        problems.append(
            f"registers have already been taken in {to_year.name}: roll the school over before the first "
            "register of the new year"
        )
    assignments, file_problems = read_groups_file(groups_file) if groups_file.strip() else ({}, [])
    problems += file_problems
    if intake is not None and (intake.school_id != school.pk or intake.kind != ImportRun.Kind.PUPILS):
        problems.append("the intake must be a pupil file uploaded for this school")
    elif intake is not None and intake.status != ImportRun.Status.PREVIEWED:
        problems.append(
            f"the intake file '{intake.file_name}' is {intake.get_status_display().lower()}: upload it again"
        )

    pupils = list(
        Pupil.objects.filter(school=school, enrolments__leaving_date__isnull=True)
        .exclude(enrolments__registration="subsidiary")
        .select_related("group")
        .distinct()
        .order_by("year", "legal_surname", "legal_forename")
    )
    if unknown := set(assignments) - {p.upn for p in pupils}:
        problems.append(f"the groups file names pupils not on roll: {', '.join(sorted(unknown)[:10])}")
    groups = {g.name: g for g in RegistrationGroup.objects.filter(school=school)}
    group_years: dict[str, int] = {}
    for pupil in pupils:
        old_group = pupil.group.name if pupil.group else ""
        if pupil.year == plan.top_year and pupil.pk not in staying:
            plan.leavers.append(pupil)
            continue
        if pupil.year == plan.top_year:
            plan.staying.append(pupil)  # told otherwise: stays on roll, in the same year
        new_year = pupil.year if pupil.year in (NOT_FOLLOWING, plan.top_year) else pupil.year + 1
        if pupil.upn in assignments:
            new_group = assignments[pupil.upn]
        elif pupil.group is None or new_year == pupil.year:
            new_group = old_group
        else:
            new_group = next_group_name(old_group, pupil.group.year) or old_group
        plan.moves.append(Move(pupil, pupil.year, new_year, old_group, new_group))
        if new_group:
            group_years.setdefault(new_group, new_year)
    for name, year in sorted(group_years.items(), key=lambda i: (i[1], i[0])):
        current = groups.get(name)
        if current is None:
            plan.groups.append(GroupChange(name, None, year, "created"))
        elif current.year != year:
            plan.groups.append(GroupChange(name, current.year, year, "moves up"))
    for name, group in sorted(groups.items(), key=lambda i: (i[1].year, i[0])):
        if name not in group_years:
            plan.groups.append(GroupChange(name, group.year, group.year, "empty"))
    plan.intake = intake
    return plan


def apply_rollover(
    *,
    school: School,
    user,
    applied_by_name: str,
    applied_by_position: str = "",
    today: dt.date | None = None,
    groups_file: str = "",
    staying: set[int] | frozenset = frozenset(),
    intake: ImportRun | None = None,
) -> YearRollover:
    """Apply the plan in one transaction; a second apply for the same year returns the first."""
    today = today or timezone.localdate()
    with transaction.atomic():
        School.objects.select_for_update().get(pk=school.pk)  # one rollover at a time per school
        plan = plan_rollover(school=school, today=today, groups_file=groups_file, staying=staying, intake=intake)
        if plan.applied is not None:
            return plan.applied
        if plan.problems:
            raise RolloverRefused(plan.problems)
        reason = f"Year rollover {plan.from_year.name} → {plan.to_year.name}"
        groups = {g.name: g for g in RegistrationGroup.objects.filter(school=school)}
        phases = school.register_phases
        for change in plan.groups:
            if change.change == "created":
                group = RegistrationGroup(
                    school=school,
                    name=change.name,
                    year=change.new_year,
                    phase=phases[0] if len(phases) == 1 else (SECONDARY if change.new_year >= 7 else PRIMARY),
                )
            elif change.change == "moves up":
                group = groups[change.name]
                group.year = change.new_year
            else:
                continue
            group._change_reason, group._history_user = reason, user
            group.save()
            groups[change.name] = group
        for leaver in plan.leavers:
            try:
                delete_from_register(
                    pupil=leaver,
                    ground=Ground.FINAL_YEAR,
                    deleted_on=plan.leaving_date,
                    user=user,
                    recorded_by_name=applied_by_name,
                    recorded_by_position=applied_by_position,
                    destination="",
                    today=today,
                )
            except DeletionRefused as exc:
                raise RolloverRefused([f"{leaver.name} cannot leave: {exc}"]) from None
        moved = []
        for move in plan.moves:
            pupil = move.pupil
            new_group = groups.get(move.new_group) if move.new_group else None
            if (pupil.year, pupil.group_id) != (move.new_year, new_group.pk if new_group else None):
                pupil.year, pupil.group = move.new_year, new_group
                moved.append(pupil)
        # One UPDATE and one history INSERT per batch, each history row with the reason and the user.
        bulk_update_with_history(
            moved, Pupil, ["year", "group"], batch_size=500, default_user=user, default_change_reason=reason
        )
        if intake is not None:
            run = confirm_import(run=intake, user=user)
            if run.status != ImportRun.Status.IMPORTED:
                raise RolloverRefused(
                    [f"the intake file '{run.file_name}' no longer imports as previewed: upload it again"]
                )
        rollover = YearRollover(
            school=school,
            from_year=plan.from_year.name,
            to_year=plan.to_year.name,
            leaving_date=plan.leaving_date,
            summary=plan.summary(),
            applied_by=user,
            applied_by_name=applied_by_name,
        )
        rollover._history_user = user
        rollover.save()
    return rollover
