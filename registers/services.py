"""The register service: the only code that writes marks (DESIGN.md principle 1).

Every caller — a teacher taking a register, the office amending, an accepted parent report,
a leave decision, an import — hands `record_marks` a batch of entries. The batch is
validated as a whole (code valid on the date, a school session, the pupil on roll, a reason
for every change, no conflicting edit meanwhile); if any entry is bad nothing is written and
every problem is reported. Marks and their history rows are written in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, partial

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import register_taken
from .calendar import describe_non_school_day
from .mark_reads import code_table, read_batch
from .mark_rows import insert_new_marks
from .models import (
    AM,
    PM,
    AttendanceCode,
    Closure,
    Enrolment,
    Mark,
    Pupil,
    Register,
    Staff,
    SubReason,
)
from .signals import marks_recorded

CLOSURE_CODE = "#"
LATE_CODES = ("L", "U")
MAX_MINUTES_LATE = 300
MINUTES_IN_A_DAY = 24 * 60  # beyond it a number of minutes is no time of day (refused before any sum)


@dataclass(frozen=True)
class MarkEntry:
    """One mark to write. `expected_version` is the version the writer last saw (0 for "no
    mark yet"); when given, a mark changed by someone else meanwhile is a conflict."""

    pupil_id: int
    date: dt.date
    session: str
    code: str
    minutes_late: int | None = None
    comment: str = ""
    sub_reason_id: int | None = None
    expected_version: int | None = None
    reason: str = ""
    line: int | None = None


@dataclass(frozen=True)
class MarkProblem:
    entry: MarkEntry
    message: str
    conflict: bool = False

    def __str__(self):
        where = f"line {self.entry.line}: " if self.entry.line is not None else ""
        return f"{where}{self.message}"


class MarkValidationError(Exception):
    """Nothing was written; `problems` says why, one per bad entry."""

    def __init__(self, problems: list[MarkProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]) + (" …" if len(problems) > 5 else ""))

    @property
    def conflicts(self) -> list[MarkProblem]:
        return [p for p in self.problems if p.conflict]


@dataclass
class Actor:
    """Who is writing, as the register records them: name and position."""

    user: object | None
    name: str
    position: str

    @classmethod
    def for_user(cls, user, *, position: str | None = None) -> Actor:
        staff = Staff.objects.filter(user=user).first() if user is not None else None
        name = staff.display_name if staff else (user.get_full_name() or user.get_username())
        if position is None:
            position = staff.get_position_display() if staff else ("Administrator" if user.is_superuser else "User")
        return cls(user=user, name=name, position=position)

    @classmethod
    def for_staff(cls, user, staff) -> Actor:
        """The user as their staff record (already at hand, so no query) names them."""
        if staff is not None:
            return cls(user=user, name=staff.display_name, position=staff.get_position_display())
        return cls.for_user(user)


@dataclass
class WriteResult:
    created: list[Mark] = field(default_factory=list)
    amended: list[Mark] = field(default_factory=list)
    unchanged: list[Mark] = field(default_factory=list)

    @property
    def written(self) -> int:
        return len(self.created) + len(self.amended)


def codes_by_symbol() -> dict[str, list[AttendanceCode]]:
    """The national codes by symbol, read once per process (`mark_reads.code_table`): read it, never change it."""
    return code_table()[0]


def resolve_code(table: dict[str, list[AttendanceCode]], symbol: str, day: dt.date) -> AttendanceCode | str:
    """The code row valid on `day`, or a message saying why there is none."""
    rows = table.get(symbol)
    if not rows:
        return f"'{symbol}' is not a national attendance code."
    for row in rows:
        if row.valid_on(day):
            return row
    row = rows[0]
    if row.valid_to and day > row.valid_to:
        instead = f"; use {row.replaced_by}" if row.replaced_by else ""
        return f"code {symbol} was withdrawn on {row.valid_to:%d %b %Y}{instead}."
    return f"code {symbol} is valid only from {row.valid_from:%d %b %Y}."


def normalise_symbol(symbol: str, session: str) -> str:
    """Codes are typed in any case; `/` and `\\` both mean present and follow the session."""
    symbol = (symbol or "").strip().upper()
    if symbol in ("/", "\\"):
        return "/" if session == AM else "\\"
    return symbol


# When a session begins if the school has set no register times: the morning at the start of
# the day, the afternoon at noon. Otherwise when its earliest register opens.
DEFAULT_SESSION_STARTS = {AM: dt.time(0, 0), PM: dt.time(12, 0)}


class SessionStarts:
    """When each of a school's sessions begins: when its earliest register opens (read with the
    batch's school days by `mark_reads.read_batch`, so the rule costs no query of its own)."""

    def __init__(self, now: dt.datetime, opens: dict[str, dt.time | None]):
        self.now, self.today = now, timezone.localtime(now).date()
        self.opens = {s: opens.get(s) or DEFAULT_SESSION_STARTS[s] for s in (AM, PM)}
        self.begun_today: dict[str, bool] = {}

    def begun(self, day: dt.date, session: str) -> bool:
        if day != self.today:
            return day < self.today
        if session not in self.begun_today:  # asked for every entry of a batch: the answer once a session
            self.begun_today[session] = self.now >= timezone.make_aware(dt.datetime.combine(day, self.opens[session]))
        return self.begun_today[session]

    def not_yet(self, day: dt.date, session: str) -> str:
        """Why an entry for a session still to come is refused, with when it begins."""
        if day == self.today:
            return f"the session has not begun yet (the register opens at {self.opens[session]:%H:%M})"
        return "the session has not happened yet"


def record_marks(
    *,
    school,
    entries: list[MarkEntry],
    actor: Actor,
    source: str,
    reason: str = "",
    register: Register | None = None,
    now: dt.datetime | None = None,
) -> WriteResult:
    """Validate and write a batch of marks; all or nothing.

    `reason` applies to every changed entry without its own; a change to an existing mark
    with no reason is refused. Only plannable codes (`AttendanceCode.plannable`) may be
    entered for a session that has not begun by `now`. An entry identical to the mark already there is left alone,
    so re-running an import or re-submitting a register writes no spurious history."""
    now = now or timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                result = _record_marks(school, entries, actor, source, reason, register, now)
                if result.written:
                    transaction.on_commit(partial(_announce, school, result.created + result.amended, source, now))
                return result
        except IntegrityError:
            # Two writers inserted the same pupil-session at once: go again, the second
            # time as an amendment of what the first wrote (or a conflict it reports).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _announce(school, marks: list[Mark], source: str, now) -> None:
    """After the commit: tell the apps above (lessons clears a truancy alert on a late sign-in)."""
    marks_recorded.send(sender=Mark, school=school, marks=marks, source=source, now=now)


def _record_marks(school, entries, actor, source, reason, register, now) -> WriteResult:
    problems: list[MarkProblem] = []
    codes = codes_by_symbol()
    pupil_ids = {e.pupil_id for e in entries}
    dates = {e.date for e in entries}
    facts = read_batch(school, pupil_ids, dates)
    pupils, enrolments, school_days, closures, existing = (
        facts.pupils,
        facts.enrolments,
        facts.school_days,
        facts.closures,
        facts.existing,
    )
    starts = SessionStarts(now, facts.opens)

    # Only batches that name a sub-reason pay for this query.
    sub_reason_ids = {e.sub_reason_id for e in entries if e.sub_reason_id is not None}
    sub_reasons = {r.pk: r for r in SubReason.objects.filter(pk__in=sub_reason_ids)} if sub_reason_ids else {}

    seen: set[tuple] = set()
    to_create: list[Mark] = []
    to_amend: list[Mark] = []
    result = WriteResult()
    for entry in entries:
        key = (entry.pupil_id, entry.date, entry.session)
        pupil = pupils.get(entry.pupil_id)
        symbol = normalise_symbol(entry.code, entry.session)
        who = pupil.name if pupil else f"pupil #{entry.pupil_id}"
        when = f"{entry.date:%a %d %b %Y} {entry.session}"

        def refuse(message: str, conflict: bool = False, _entry=entry):
            problems.append(MarkProblem(_entry, message, conflict))

        if entry.session not in (AM, PM):
            refuse(f"session must be AM or PM, not '{entry.session}'.")
            continue
        if pupil is None:
            refuse(f"{who} is not a pupil of {school.name}.")
            continue
        if key in seen:
            refuse(f"{who} appears more than once for {when}.")
            continue
        seen.add(key)
        code = resolve_code(codes, symbol, entry.date)
        if isinstance(code, str):
            refuse(f"{who}, {when}: {code}")
            continue
        if entry.date not in school_days:
            refuse(f"{when} is not a school session: {describe_non_school_day(school, entry.date)}.")
            continue
        if not any(e.covers(entry.date) for e in enrolments[pupil.id]):
            refuse(f"{who} was not on roll on {entry.date:%a %d %b %Y}{_roll_hint(enrolments[pupil.id])}.")
            continue
        closed = [c for c in closures[entry.date] if c.covers(entry.session, pupil.year)]
        if closed and symbol != CLOSURE_CODE:
            refuse(f"{when} was a planned closure for {who} ({closed[0].reason}); the only mark is #.")
            continue
        if symbol == CLOSURE_CODE and not closed:
            refuse(f"{who}, {when}: # is for planned closures; record the closure in the calendar first.")
            continue
        if not code.plannable and not starts.begun(entry.date, entry.session):
            refuse(
                f"{who}, {when}: {symbol} can't be recorded yet — {starts.not_yet(entry.date, entry.session)}. "
                "Only planned absence (leave, a parent's report, a closure) may be entered ahead."
            )
            continue
        if entry.sub_reason_id is not None:
            sub_reason = sub_reasons.get(entry.sub_reason_id)
            if sub_reason is None or sub_reason.school_id != school.pk:
                refuse(f"{who}, {when}: that sub-reason is not one of {school.name}'s.")
                continue
            if sub_reason.code != symbol:
                refuse(
                    f"{who}, {when}: the sub-reason '{sub_reason.label}' belongs under code {sub_reason.code}, "
                    f"not {symbol}."
                )
                continue
        minutes = entry.minutes_late
        if minutes is not None and symbol not in LATE_CODES:
            minutes = None  # minutes late belong only to L and U
        if minutes is not None and not 0 <= minutes <= MAX_MINUTES_LATE:
            refuse(f"{who}, {when}: minutes late must be between 0 and {MAX_MINUTES_LATE}.")
            continue

        current = existing.get(key)
        if entry.expected_version is not None and (current.version if current else 0) != entry.expected_version:
            if current is None:
                refuse(f"{who}, {when}: the mark you saw has gone; reload the register.", conflict=True)
            else:
                refuse(
                    f"{who}, {when}: {current.recorded_by_name} recorded {current.code.code} at "
                    f"{timezone.localtime(current.recorded_at):%H:%M} after you loaded the page.",
                    conflict=True,
                )
            continue
        if current is not None:
            if (current.code_id, current.minutes_late, current.comment, current.sub_reason_id) == (
                code.id,
                minutes,
                entry.comment,
                entry.sub_reason_id,
            ):
                result.unchanged.append(current)
                continue
            why = (entry.reason or reason).strip()
            if not why:
                refuse(
                    f"{who}, {when}: changing {current.code.code} to {code.code} needs a reason "
                    "(the register keeps the original entry and why it changed)."
                )
                continue
            current.code = code
            current.minutes_late = minutes
            current.comment = entry.comment
            current.sub_reason_id = entry.sub_reason_id
            current.version += 1
            current.reason = why
            _stamp(current, actor, source, now, register)
            to_amend.append(current)
        else:
            to_create.append(_new_mark(school, pupil, entry, code, minutes, actor, source, now, register))

    if problems:
        raise MarkValidationError(problems)

    insert_new_marks(to_create, now=now)  # with their history rows
    if to_amend:
        # History first: the database refuses a changed mark whose history row is not already there
        # (registers/audit_triggers.py).
        Mark.history.bulk_history_create(to_amend, update=True, default_date=now)
        Mark._base_manager.bulk_update(
            to_amend,
            [
                "code",
                "minutes_late",
                "comment",
                "sub_reason",
                "version",
                "reason",
                "source",
                "register",
                "recorded_by",
                "recorded_by_name",
                "recorded_by_position",
                "recorded_at",
            ],
        )
    result.created, result.amended = to_create, to_amend
    return result


@cache
def _mark_fields() -> tuple[list[str], dict]:
    """The names `_new_mark` gives in `Mark.__init__`'s order (all but the database's own
    defaults, which come last), and the foreign keys it fills in."""
    fields = Mark._meta.concrete_fields
    given = [f.attname for f in fields if not f.has_db_default()]
    assert [f.attname for f in fields[: len(given)]] == given, "Mark's fields with a database default come last"
    return given, {f.name: f for f in fields if f.is_relation}


def _new_mark(school, pupil, entry: MarkEntry, code, minutes, actor: Actor, source: str, now, register) -> Mark:
    """The new mark `Mark(school=…, pupil=…, …)` and `_stamp` would make, from its values in field
    order: `Mark.__init__`'s fast path, a third of the keyword path's CPU, thirty times a register."""
    given, relations = _mark_fields()
    user = actor.user
    values = {
        "id": None,
        "school_id": school.pk,
        "pupil_id": pupil.pk,
        "date": entry.date,
        "session": entry.session,
        "code_id": code.pk,
        "minutes_late": minutes,
        "comment": entry.comment,
        "sub_reason_id": entry.sub_reason_id,
        "source": source,
        "register_id": register.pk if register is not None else None,
        "recorded_by_id": getattr(user, "pk", None),
        "recorded_by_name": actor.name,
        "recorded_by_position": actor.position,
        "recorded_at": now,
        "reason": entry.reason,
        "version": 1,
    }
    mark = Mark(*(values[name] for name in given))
    for name, related in (("school", school), ("pupil", pupil), ("code", code), ("register", register)):
        if related is not None:
            relations[name].set_cached_value(mark, related)
    if getattr(user, "pk", None) is not None:
        relations["recorded_by"].set_cached_value(mark, user)
    mark._history_user = user
    mark._change_reason = mark.reason
    return mark


def _stamp(mark: Mark, actor: Actor, source: str, now, register) -> None:
    mark.source = source
    mark.register = register if register is not None else mark.register
    mark.recorded_by = actor.user
    mark.recorded_by_name = actor.name
    mark.recorded_by_position = actor.position
    mark.recorded_at = now
    mark._history_user = actor.user
    mark._change_reason = mark.reason


def _roll_hint(enrolments: list[Enrolment]) -> str:
    if not enrolments:
        return " (no admission date is recorded)"
    spans = ", ".join(str(e) for e in enrolments)
    return f" (on roll {spans})"


def mark_register_taken(*, register: Register, actor: Actor, now=None, on_behalf_of: Staff | None = None) -> Register:
    """Record that a register was taken (audited with the register's own history). The row is
    locked first, so two devices finishing the same register at once record it taken once."""
    now = now or timezone.now()
    fast = connection.vendor == "postgresql"  # the same statements, written once (register_taken.py)
    # No savepoint inside a caller's transaction (the register page's): nothing here is retried
    # or caught, so a failure rolls the caller's marks back with it, as it must.
    with transaction.atomic(savepoint=False):
        if fast:
            state, taken_by_id, taken_at = register_taken.lock(register.pk)
        else:
            state, taken_by_id, taken_at = (
                Register.objects.select_for_update().values_list("state", "taken_by_id", "taken_at").get(pk=register.pk)
            )
        if state != Register.State.NOT_TAKEN:
            register.state, register.taken_by_id, register.taken_at = state, taken_by_id, taken_at
            return register
        register.state = Register.State.TAKEN
        register.taken_by = actor.user
        register.taken_at = now
        register.taken_on_behalf_of = on_behalf_of
        register._history_user = actor.user
        register._change_reason = f"taken by {actor.name} ({actor.position})" + (
            f" on behalf of {on_behalf_of.display_name}" if on_behalf_of else ""
        )
        # History first, as for marks: the database refuses to take a register without it.
        if fast:
            register_taken.record_taken(register, user=actor.user, reason=register._change_reason, now=now)
        else:
            Register.history.bulk_history_create([register], update=True, default_date=now)
            register.save_without_historical_record(update_fields=list(register_taken.TAKEN_FIELDS))
    return register


def open_registers(*, school, wanted, user=None) -> dict[tuple, Register]:
    """The registers for (group, date, session) triples, by (group id, date, session), creating
    ("opening") those that do not exist yet — registers are created lazily, on first use. `user`
    is recorded in the register's history when it is a person (not an API token)."""
    if not wanted:
        return {}
    dates = {d for _, d, _ in wanted}
    found = {
        (r.group_id, r.date, r.session): r
        for r in Register.objects.filter(school=school, date__in=dates, group_id__in={g.pk for g, _, _ in wanted})
    }
    person = user if user is not None and getattr(user, "pk", None) is not None and user.is_authenticated else None
    for group, day, session in wanted:
        key = (group.pk, day, session)
        if key in found:
            continue
        register = Register(school=school, group=group, date=day, session=session)
        register._history_user = person
        register._change_reason = "register opened"
        try:
            with transaction.atomic():
                register.save()
        except IntegrityError:  # opened by someone else at the same moment
            register = Register.objects.get(group=group, date=day, session=session)
        found[key] = register
    return found


def take_register_if_complete(
    *, register: Register, roll: Iterable[int], marked: Iterable[int], actor: Actor, now=None, by_teacher: bool
) -> bool:
    """The rule for when a register counts as taken: every pupil on its roll has a mark. Someone
    other than the class teacher (the office, an API client) takes it on the first teacher's behalf.
    Called inside the transaction that wrote the marks, so marks and "taken" commit together."""
    marked = set(marked)
    if register.state != Register.State.NOT_TAKEN or any(pid not in marked for pid in roll):
        return False
    on_behalf_of = None if by_teacher else register.group.teachers.order_by("pk").first()
    mark_register_taken(register=register, actor=actor, now=now, on_behalf_of=on_behalf_of)
    return True


def apply_closure(*, closure: Closure, actor: Actor) -> WriteResult:
    """Write `#` for every pupil on roll in the closure's year groups for its sessions."""
    sessions = [AM, PM] if closure.session == Closure.Session.BOTH else [closure.session]
    on_roll = Pupil.objects.filter(school=closure.school).filter(
        Q(enrolments__admission_date__lte=closure.date)
        & (Q(enrolments__leaving_date__isnull=True) | Q(enrolments__leaving_date__gte=closure.date))
    )
    if closure.year_groups:
        on_roll = on_roll.filter(year__in=closure.year_groups)
    entries = [
        MarkEntry(pupil_id=pid, date=closure.date, session=s, code=CLOSURE_CODE)
        for pid in on_roll.values_list("id", flat=True).distinct()
        for s in sessions
    ]
    return record_marks(
        school=closure.school,
        entries=entries,
        actor=actor,
        source=Mark.Source.CLOSURE,
        reason=f"planned closure: {closure.reason}",
    )
