"""Taking a register: the legal rule, in one place, for the register page, the office taking a
register for a teacher, the API, and any future register (a lesson's) with its own times.

Who may write when (`registers.timing`):
- Nothing is written on a day that is not a school day, or for a register with no times set.
- A class teacher may write from when the register opens until the end of its day; the office
  and integrations may write at any time.
- A late arrival (`L` or `U`) recorded by a teacher or the office is decided by when the pupil
  arrived (an arrival time, or minutes after the late time), checked against the register's
  times: `L` before it closes, `U` from then, with the minutes to the arrival — never to the
  moment it is typed in. While the register is open an arrival given no time is now; after it
  closes the time must be given. An integration's `L`/`U` keeps its code and minutes (the
  clock's when it gives none).
- After the register closes a teacher may still give a first mark to a pupil left unmarked, but
  never change a mark already there: only the office can, with a reason.
- A change to an existing mark needs a reason: while the register is open the automatic one
  ("corrected by class teacher / the office / <integration> before the register closed"); after
  it closes the office's own (a teacher's change is refused before that).

A row the page showed and the taker left alone, or a mark identical to the one recorded, is
not written again. Marks go through the register's `Book`: for the statutory register
`registers.services.record_marks` (validation, conflicts against the version the taker saw,
history), and the register is marked taken when every pupil on its roll has a mark
(`take_register_if_complete`), in the same transaction. A lesson's register brings a book of its
own (`lessons.taking`), so this rule never imports the lessons app and lesson marks never touch
the statutory marks. All or nothing: a refused mark and none is written; every refusal is
returned, never raised."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from django.db import transaction

from . import timing
from .calendar import describe_non_school_day
from .models import Mark, Register
from .register_selectors import is_school_day
from .services import (
    LATE_CODES,
    MAX_MINUTES_LATE,
    MINUTES_IN_A_DAY,
    Actor,
    MarkEntry,
    MarkProblem,
    MarkValidationError,
    normalise_symbol,
    open_registers,
    record_marks,
    take_register_if_complete,
)


class Taker(StrEnum):
    """Who is taking the register, as the rule tells them apart."""

    TEACHER = "teacher"  # a teacher of the group
    OFFICE = "office"  # the office team (or an administrator), taking it for the teacher or amending it
    INTEGRATION = "integration"  # another system, with an API token


SOURCES = {Taker.TEACHER: Mark.Source.TEACHER, Taker.OFFICE: Mark.Source.OFFICE, Taker.INTEGRATION: Mark.Source.API}


@dataclass(frozen=True)
class TakenBy:
    """Who is taking the register: which kind of taker, and how the register records them."""

    kind: Taker
    actor: Actor

    @property
    def teacher(self) -> bool:
        return self.kind == Taker.TEACHER


class Written(Protocol):
    """What a book wrote: the marks created, amended and left unchanged (each with `pupil_id`)."""

    created: list
    amended: list
    unchanged: list


class Book(Protocol):
    """Where a register's marks are kept: the one rule above decides what is written, the book
    writes it. The statutory register's book is `StatutoryBook`; a lesson's is in `lessons.taking`."""

    def no_times(self, register) -> str:
        """Why the register has no times, for the refusal."""

    def open(self, register, taken_by: TakenBy):
        """The register saved ("opened"), for a register not saved yet."""

    def record(
        self, *, register, entries: list[MarkEntry], taken_by: TakenBy, reason: str, now: dt.datetime, check_only: bool
    ) -> Written:
        """Validate and write the marks with their history (raising `MarkValidationError`, writing
        nothing, when any is refused); `check_only`: validate only, to list every problem at once."""

    def take_if_complete(
        self, *, register, roll: list[int], marked: set[int], taken_by: TakenBy, now: dt.datetime
    ) -> bool:
        """Record the register taken when every pupil on its roll has a mark; whether it became taken."""


class StatutoryBook:
    """The statutory AM/PM register: `registers.services` writes its marks (`Mark`)."""

    def no_times(self, register) -> str:
        return (
            f"no register times are set for {register.group.get_phase_display().lower()} {register.session}. "
            "Ask the office to set them."
        )

    def open(self, register, taken_by: TakenBy):
        key = (register.group_id, register.date, register.session)
        wanted = [(register.group, register.date, register.session)]
        return open_registers(school=register.school, wanted=wanted, user=taken_by.actor.user)[key]

    def record(self, *, register, entries, taken_by, reason, now, check_only):
        return record_marks(
            school=register.school,
            entries=entries,
            actor=taken_by.actor,
            source=SOURCES[taken_by.kind],
            reason=reason,
            now=now,
            register=None if check_only else register,
        )

    def take_if_complete(self, *, register, roll, marked, taken_by, now):
        return take_register_if_complete(
            register=register, roll=roll, marked=marked, actor=taken_by.actor, now=now, by_teacher=taken_by.teacher
        )


STATUTORY = StatutoryBook()


class Why(StrEnum):
    """Why something was refused: pages and the API choose their status codes by it."""

    NOT_A_SCHOOL_DAY = "not_school_day"
    NO_TIMES = "no_times"
    NOT_OPEN = "not_open"  # a teacher, before the register opens
    CLOSED = "closed"  # a teacher, after the register's day, or changing a mark after it closed
    NOT_ON_ROLL = "not_on_roll"
    CONFLICT = "conflict"  # someone else changed the mark since the taker saw it
    INVALID = "invalid"  # the register service refused the mark (code, reason, minutes …)


@dataclass(frozen=True)
class Refusal:
    """One thing refused: about the whole register (`pupil_id` None) or one pupil's mark (`line`:
    its position in the caller's input, when the caller numbers its input)."""

    kind: Why
    message: str
    pupil_id: int | None = None
    line: int | None = None

    @property
    def conflict(self) -> bool:
        return self.kind == Why.CONFLICT

    @classmethod
    def of(cls, problem: MarkProblem) -> Refusal:
        """A refusal of the register service, as a refusal of taking the register."""
        kind = Why.CONFLICT if problem.conflict else Why.INVALID
        return cls(kind, problem.message, pupil_id=problem.entry.pupil_id, line=problem.entry.line)


@dataclass(frozen=True)
class MarkWish:
    """One pupil's mark as the taker asks for it. `code` "" asks for nothing (a row left blank).
    `expected_version`: the version of the mark the taker saw (0: none), by default the one on
    the roll. `shown`: the (code, minutes) the page showed for the row, so a row left as it was
    is not written again. `comment` None keeps the mark's comment. `reason`: this mark's own."""

    pupil_id: int
    code: str
    minutes_late: int | None = None
    expected_version: int | None = None
    shown: tuple[str, int | None] | None = None
    comment: str | None = None
    reason: str = ""
    line: int | None = None
    arrived: dt.time | None = None  # when a late pupil arrived (the school's local time)


class OnRoll(Protocol):
    """A pupil on the register's roll with this session's mark, as
    `registers.register_selectors.roll_with_marks` reads them (`mark_id` None: no mark yet)."""

    pk: int
    name: str
    mark_id: int | None
    mark_code: str | None
    mark_minutes: int | None
    mark_comment: str | None
    mark_sub_reason_id: int | None
    mark_version: int | None


class RegisterTimes(Protocol):
    """When a register opens, after which an arrival is late, and when it closes."""

    opens: dt.time
    late_after: dt.time
    closes: dt.time


@dataclass
class TakeResult:
    """What taking the register did: pupils whose marks were created, amended or left unchanged;
    who became `U` (pupil id, minutes late); who is still unmarked; whether the register became
    taken — or, when anything was refused, the refusals (and nothing was written)."""

    register: Register
    entries: list[MarkEntry] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    amended: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    became_u: list[tuple[int, int]] = field(default_factory=list)
    unmarked: list[int] = field(default_factory=list)
    taken: bool = False
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refusals


def refusal_to_write(
    *, register: Register, times: RegisterTimes | None, taken_by: TakenBy, now: dt.datetime, book: Book = STATUTORY
) -> Refusal | None:
    """Whether anything may be written to this register now, before looking at any mark (no query
    for a register read with `register_selectors.register_queryset`)."""
    day = register.date
    when = f"{day:%A %d %B}"
    if not is_school_day(register):
        why = describe_non_school_day(register.school, day)
        return Refusal(Why.NOT_A_SCHOOL_DAY, f"Nothing was saved: {why}, so there is no register.")
    if times is None:
        return Refusal(Why.NO_TIMES, f"Nothing was saved: {book.no_times(register)}")
    if taken_by.teacher and not timing.has_opened(times, day, now):
        return Refusal(Why.NOT_OPEN, f"Nothing was saved: this register opens at {times.opens:%H:%M} on {when}.")
    if taken_by.teacher and not timing.teacher_may_add_marks(times, day, now):
        return Refusal(
            Why.CLOSED,
            f"Nothing was saved: the {when} register closed at {times.closes:%H:%M}. "
            "Only the office can change it now — ask them, with the reason.",
        )
    return None


def correction_reason(*, taken_by: TakenBy, closed: bool, given: str = "") -> str:
    """The reason recorded for changes to existing marks: the automatic one while the register is
    open, the office's (or integration's) own when given; a teacher's is always the automatic one."""
    if taken_by.teacher:
        return timing.TEACHER_CORRECTION_REASON if not closed else ""
    if given:
        return given
    if closed:
        return ""
    if taken_by.kind == Taker.OFFICE:
        return timing.OFFICE_CORRECTION_REASON
    return f"corrected by {taken_by.actor.position} before the register closed"


def take_register(
    *,
    register: Register,
    times: RegisterTimes | None,
    roll: Sequence[OnRoll],
    wishes: Sequence[MarkWish],
    taken_by: TakenBy,
    now: dt.datetime,
    reason: str = "",
    all_present: bool = False,
    book: Book = STATUTORY,
) -> TakeResult:
    """Write the wished-for marks of `register` and mark it taken when complete; all or nothing.

    `times`: the register's opening, late and closing times (a `RegisterTime`, or a lesson's);
    `roll`: the pupils on its roll with their current marks, read by the caller (under a lock, if
    the caller checks preconditions against it first); `reason`: the office's or integration's
    reason for changes; `all_present`: every pupil with no mark and no wish is present.
    `register` may be unsaved: it is saved ("opened") only when marks are written. `book`: where
    the register's marks are kept (the statutory register's unless a lesson's is given)."""
    refusal = refusal_to_write(register=register, times=times, taken_by=taken_by, now=now, book=book)
    if refusal is not None:
        return TakeResult(register=register, refusals=[refusal])
    day, session = register.date, register.session
    teacher = taken_by.teacher
    closed = timing.is_closed(times, day, now)
    on_roll = {pupil.pk: pupil for pupil in roll}
    result = TakeResult(register=register)
    wished = [wish for wish in wishes if normalise_symbol(wish.code, session)]  # a blank row asks for nothing
    if all_present:
        asked = {wish.pupil_id for wish in wished}
        present = timing.present_symbol(session)
        wished += [MarkWish(pupil.pk, present) for pupil in roll if not pupil.mark_id and pupil.pk not in asked]

    for wish in wished:
        outcome = _mark_for(
            wish,
            on_roll.get(wish.pupil_id),
            register=register,
            times=times,
            teacher=teacher,
            now=now,
            taken_by_office=taken_by.kind == Taker.OFFICE,
        )
        if isinstance(outcome, Refusal):
            result.refusals.append(outcome)
        elif outcome is None:
            result.unchanged.append(wish.pupil_id)
        else:
            result.entries.append(outcome)
            if outcome.code == "U" and normalise_symbol(wish.code, session) != "U":
                result.became_u.append((outcome.pupil_id, outcome.minutes_late))

    marked = {pupil.pk for pupil in roll if pupil.mark_id} | {entry.pupil_id for entry in result.entries}
    write = {
        "entries": result.entries,
        "taken_by": taken_by,
        "reason": correction_reason(taken_by=taken_by, closed=closed, given=reason),
        "now": now,
    }
    try:
        # The marks, the register and "register taken" are saved together or not at all.
        with transaction.atomic():
            if result.refusals:
                # The service checks the other marks too, so every refusal is listed at once.
                if result.entries:
                    book.record(**write, register=register, check_only=True)
                transaction.set_rollback(True)
                return result
            if register.pk is None:
                result.register = register = book.open(register, taken_by)
            written = book.record(**write, register=register, check_only=False)
            result.taken = book.take_if_complete(
                register=register, roll=[pupil.pk for pupil in roll], marked=marked, taken_by=taken_by, now=now
            )
    except MarkValidationError as error:
        result.refusals += [Refusal.of(problem) for problem in error.problems]
        return result
    result.created = [mark.pupil_id for mark in written.created]
    result.amended = [mark.pupil_id for mark in written.amended]
    result.unchanged += [mark.pupil_id for mark in written.unchanged]
    result.unmarked = [pupil.pk for pupil in roll if pupil.pk not in marked]
    return result


def _arrival(wish: MarkWish, pupil: OnRoll, *, times, day: dt.date, now: dt.datetime) -> dt.datetime | Refusal:
    """When a late pupil arrived: the time given, or the minutes given after the late time, or —
    while the register is open — now. After it closes a time must be given."""
    if wish.arrived is not None:
        arrival = timing.at(day, wish.arrived)
    elif wish.minutes_late is not None:
        if not 0 <= wish.minutes_late <= MINUTES_IN_A_DAY:  # e.g. 2**70 from a hand-made request
            return Refusal(Why.INVALID, f"{pupil.name}: minutes late must be between 0 and {MAX_MINUTES_LATE}.")
        arrival = timing.arrival_from_minutes(times, day, wish.minutes_late)
    elif not timing.is_closed(times, day, now):
        return now
    else:
        return Refusal(
            Why.INVALID,
            f"{pupil.name}: enter the time they arrived (the register closed at {times.closes:%H:%M}, "
            "so the time decides between L and U and the minutes late).",
            pupil_id=pupil.pk,
            line=wish.line,
        )
    problem = timing.arrival_problem(times, day, arrival, now)
    if problem:
        return Refusal(Why.INVALID, f"{pupil.name}: {problem}.", pupil_id=pupil.pk, line=wish.line)
    return arrival


def _mark_for(
    wish: MarkWish, pupil: OnRoll | None, *, register, times, teacher: bool, now, taken_by_office: bool = False
) -> MarkEntry | Refusal | None:
    """What one wish comes to: the entry to write, a refusal, or None when there is nothing to write."""
    day, session = register.date, register.session
    if pupil is None:
        return Refusal(
            Why.NOT_ON_ROLL,
            f"pupil #{wish.pupil_id} is not on the {register.group.name} roll on {day:%a %d %b %Y}.",
            pupil_id=wish.pupil_id,
            line=wish.line,
        )
    code, minutes = normalise_symbol(wish.code, session), wish.minutes_late
    if code in LATE_CODES:
        if teacher or wish.arrived is not None or taken_by_office:
            arrival = _arrival(wish, pupil, times=times, day=day, now=now)
            if isinstance(arrival, Refusal):
                return arrival
            code, minutes = timing.arrival_mark(times, day, session, arrival)
        elif minutes is None:
            minutes = timing.minutes_late(times, day, now)
    else:
        minutes = None
    if pupil.mark_id and wish.shown is not None and (code, minutes) == wish.shown:
        return None  # the row as the page showed it, untouched
    comment = (pupil.mark_comment or "") if wish.comment is None else wish.comment
    if pupil.mark_id and (code, minutes, comment) == (pupil.mark_code, pupil.mark_minutes, pupil.mark_comment):
        return None  # already recorded (e.g. the same page submitted twice)
    if teacher and pupil.mark_id and timing.is_closed(times, day, now):
        return Refusal(
            Why.CLOSED,
            f"{pupil.name} already has {pupil.mark_code}; the register closed at {times.closes:%H:%M}, "
            "so only the office can change it.",
            pupil_id=pupil.pk,
            line=wish.line,
        )
    return MarkEntry(
        pupil_id=pupil.pk,
        date=day,
        session=session,
        code=code,
        minutes_late=minutes,
        comment=comment,
        # a sub-reason belongs under its code: kept while the code stays, dropped with it
        sub_reason_id=pupil.mark_sub_reason_id if code == pupil.mark_code else None,
        expected_version=wish.expected_version if wish.expected_version is not None else (pupil.mark_version or 0),
        reason=wish.reason,
        line=wish.line,
    )
