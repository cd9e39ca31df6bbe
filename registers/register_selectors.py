"""Reads behind the register pages, the office's live views and the register API: a register with
its times, its roll with this session's marks, recent marks, the day's sessions and counts.

Each is a constant number of queries whatever the size of the group (the register page's
budget is in tests/registers/test_register_views.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, Subquery
from django.utils import timezone

from . import timing
from .models import (
    AM,
    PM,
    AttendanceCode,
    Enrolment,
    Mark,
    Pupil,
    Register,
    RegisterTime,
    RegistrationGroup,
    School,
    SchoolDay,
    Staff,
)

CAT = AttendanceCode.Category
STRIP_SESSIONS = 10
UNEXPLAINED_CODES = ("N", "O", "G", "U")


@dataclass(frozen=True)
class Times:
    """A register's opening, late and closing times (what `registers.timing` reads)."""

    opens: dt.time
    late_after: dt.time
    closes: dt.time


def _on_roll(day: dt.date):
    """Enrolments covering `day`, for the pupil of the outer query."""
    return Enrolment.objects.filter(pupil_id=OuterRef("pk"), admission_date__lte=day).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=day)
    )


# --- a register and its times -----------------------------------------------------------------


def register_time_subquery(field_name: str, via: str = ""):
    """The register's own time `field_name` (opens, late_after, closes) for its group's phase and
    session, as a subquery to annotate registers with (or rows pointing at one: `via="register__"`)."""
    return Subquery(
        RegisterTime.objects.filter(
            school=OuterRef(f"{via}school_id"),
            phase=OuterRef(f"{via}group__phase"),
            session=OuterRef(f"{via}session"),
        ).values(field_name)[:1]
    )


def register_queryset(staff: Staff | None):
    """Registers with their group, school, register times, whether the day is a school day,
    and whether `staff` teaches the group — one query."""
    qs = Register.objects.select_related("group", "school").annotate(
        rt_opens=register_time_subquery("opens"),
        rt_late=register_time_subquery("late_after"),
        rt_closes=register_time_subquery("closes"),
        is_school_day=Exists(SchoolDay.objects.filter(school=OuterRef("school_id"), date=OuterRef("date"))),
    )
    if staff is not None:
        teaches = RegistrationGroup.teachers.through.objects.filter(
            registrationgroup_id=OuterRef("group_id"), staff_id=staff.pk
        )
        qs = qs.annotate(is_teacher=Exists(teaches))
    return qs


def register_for_page(pk: int, staff: Staff | None) -> Register | None:
    """`register_queryset(staff).get(pk=pk)` (None when there is no such register). On PostgreSQL
    its SQL is written once per process: building and compiling the queryset with its five
    subqueries cost 4–5 ms of CPU, more than PostgreSQL spends running it, on every GET and POST."""
    if connection.vendor != "postgresql":
        return register_queryset(staff).filter(pk=pk).first()
    if not 0 < pk < 2**63:  # no row holds it (the ORM answers "none" without asking, too)
        return None
    with connection.cursor() as cursor:
        cursor.execute(_register_sql(), [staff.pk if staff is not None else None, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    models = (Register, RegistrationGroup, School)
    instances, at = [], 0
    for model in models:
        width = len(model._meta.concrete_fields)
        names = [f.attname for f in model._meta.concrete_fields]
        instances.append(model.from_db(connection.alias, names, row[at : at + width]))
        at += width
    register, group, school = instances
    register.group, register.school = group, school
    register.rt_opens, register.rt_late, register.rt_closes, register.is_school_day, is_teacher = row[at:]
    if staff is not None:
        register.is_teacher = is_teacher
    return register


@cache
def _register_sql() -> str:
    """`register_queryset`'s SQL (parameters: the staff id, or NULL, and the register's id)."""
    register, group, school, times, day = (
        m._meta.db_table for m in (Register, RegistrationGroup, School, RegisterTime, SchoolDay)
    )
    teachers = RegistrationGroup.teachers.through._meta.db_table
    columns = ", ".join(
        f'{alias}."{f.column}"'
        for alias, model in (("r", Register), ("g", RegistrationGroup), ("s", School))
        for f in model._meta.concrete_fields
    )
    time_of = [
        f'(SELECT t."{name}" FROM "{times}" t WHERE t."phase" = g."phase" AND t."school_id" = r."school_id" '
        'AND t."session" = r."session" LIMIT 1)'
        for name in ("opens", "late_after", "closes")
    ]
    return (
        f"SELECT {columns}, {', '.join(time_of)}, "
        f'EXISTS(SELECT 1 FROM "{day}" d WHERE d."date" = r."date" AND d."school_id" = r."school_id"), '
        f'EXISTS(SELECT 1 FROM "{teachers}" tg WHERE tg."registrationgroup_id" = r."group_id" AND tg."staff_id" = %s) '
        f'FROM "{register}" r JOIN "{group}" g ON g."id" = r."group_id" JOIN "{school}" s ON s."id" = r."school_id" '
        'WHERE r."id" = %s'
    )


def times_of(register) -> Times | None:
    """The times of a register read with `register_queryset` (None when the school has set none)."""
    if register.rt_opens is None:
        return None
    return Times(register.rt_opens, register.rt_late, register.rt_closes)


def register_times(*, school_id: int, phase: str, session: str) -> RegisterTime | None:
    return RegisterTime.objects.filter(school_id=school_id, phase=phase, session=session).first()


def register_times_by_phase(school) -> dict[tuple[str, str], RegisterTime]:
    """The school's register times, by (phase, session)."""
    return {(t.phase, t.session): t for t in RegisterTime.objects.filter(school=school)}


def is_school_day(register) -> bool:
    """Whether the register's date is a school day (free for a register read with `register_queryset`)."""
    known = getattr(register, "is_school_day", None)
    if known is not None:
        return bool(known)
    return SchoolDay.objects.filter(school_id=register.school_id, date=register.date).exists()


# --- the roll -------------------------------------------------------------------------------


def roll_with_marks(register, *, lock: bool = False) -> list[Pupil]:
    """Pupils of the group on roll on the register's date, in register order, each with this
    session's mark (if any) as `mark_*` attributes — one query (`register` may be unsaved).

    `lock=True` (inside a transaction) first locks the session's marks of the group's pupils,
    so nobody changes them until the caller's transaction ends."""
    day, session = register.date, register.session
    if lock:
        list(
            Mark.objects.select_for_update(of=("self",))
            .filter(pupil__group_id=register.group_id, date=day, session=session)
            .values_list("pk", flat=True)
        )
    if connection.vendor == "postgresql":
        # The same query as below, as SQL written once: building and compiling the queryset cost
        # more CPU than PostgreSQL spends running it, twice for every register taken.
        # Rows made into pupils here rather than by RawQuerySet, which works out its columns' order,
        # models and converters again on every call (a pupil has no converters on PostgreSQL).
        with connection.cursor() as cursor:
            cursor.execute(_roll_sql(), [day, session, register.group_id, day, day])
            rows = cursor.fetchall()
        names = [f.attname for f in Pupil._meta.concrete_fields]
        width, roll = len(names), []
        for row in rows:
            pupil = Pupil.from_db(connection.alias, names, row[:width])
            pupil.__dict__.update(zip(ROLL_MARK_COLUMNS, row[width:], strict=True))
            roll.append(pupil)
        return roll
    return list(roll_queryset(register))


def roll_queryset(register):
    """`roll_with_marks` as a queryset: what other databases run, and what its SQL must equal."""
    day, session = register.date, register.session
    return (
        Pupil.objects.filter(group_id=register.group_id)
        .filter(Exists(_on_roll(day)))
        .annotate(this_mark=FilteredRelation("marks", condition=Q(marks__date=day, marks__session=session)))
        .annotate(**{name: F(f"this_mark__{path}") for name, (path, _) in ROLL_MARK_COLUMNS.items()})
        .order_by("legal_surname", "legal_forename", "pk")
    )


# The `mark_*` attributes of `roll_with_marks`: this session's mark, by its path from the mark
# (the queryset's) and its column (the SQL's: `m` the mark, `c` its code).
ROLL_MARK_COLUMNS = {
    "mark_id": ("id", 'm."id"'),
    "mark_code": ("code__code", 'c."code"'),
    "mark_category": ("code__category", 'c."category"'),
    "mark_minutes": ("minutes_late", 'm."minutes_late"'),
    "mark_comment": ("comment", 'm."comment"'),
    "mark_sub_reason_id": ("sub_reason_id", 'm."sub_reason_id"'),
    "mark_version": ("version", 'm."version"'),
    "mark_source": ("source", 'm."source"'),
    "mark_by": ("recorded_by_name", 'm."recorded_by_name"'),
    "mark_position": ("recorded_by_position", 'm."recorded_by_position"'),
    "mark_at": ("recorded_at", 'm."recorded_at"'),
}


@cache
def _roll_sql() -> str:
    pupil, mark, code, enrolment = (m._meta.db_table for m in (Pupil, Mark, AttendanceCode, Enrolment))
    columns = ", ".join(f'p."{f.column}"' for f in Pupil._meta.concrete_fields)
    marks = ", ".join(f"{column} AS {name}" for name, (_, column) in ROLL_MARK_COLUMNS.items())
    return (
        f'SELECT {columns}, {marks} FROM "{pupil}" p '
        f'LEFT JOIN "{mark}" m ON m."pupil_id" = p."id" AND m."date" = %s AND m."session" = %s '
        f'LEFT JOIN "{code}" c ON c."id" = m."code_id" '
        f'WHERE p."group_id" = %s AND EXISTS (SELECT 1 FROM "{enrolment}" e WHERE e."pupil_id" = p."id" '
        'AND e."admission_date" <= %s AND (e."leaving_date" IS NULL OR e."leaving_date" >= %s)) '
        'ORDER BY p."legal_surname", p."legal_forename", p."id"'
    )


def recent_sessions(register, pupil_ids) -> tuple[list[tuple[dt.date, str]], dict[int, dict]]:
    """The last ten school sessions before this one and each pupil's marks in them (two queries)."""
    fast = connection.vendor == "postgresql"  # the same two queries, written once (`_strip_sql`)
    if fast:
        with connection.cursor() as cursor:
            cursor.execute(_strip_sql()[0], [register.school_id, register.date, STRIP_SESSIONS // 2 + 1])
            days = sorted(day for (day,) in cursor.fetchall())
    else:
        days = sorted(
            SchoolDay.objects.filter(school_id=register.school_id, date__lt=register.date)
            .order_by("-date")
            .values_list("date", flat=True)[: STRIP_SESSIONS // 2 + 1]
        )
    sessions = [(d, s) for d in days for s in (AM, PM)]
    if register.session == PM:
        sessions.append((register.date, AM))
    sessions = sessions[-STRIP_SESSIONS:]
    found: dict[int, dict] = defaultdict(dict)
    if sessions and pupil_ids:
        if fast:
            with connection.cursor() as cursor:
                cursor.execute(_strip_sql()[1], [list(pupil_ids), sessions[0][0], sessions[-1][0]])
                rows = cursor.fetchall()
        else:
            rows = Mark.objects.filter(
                pupil_id__in=pupil_ids, date__gte=sessions[0][0], date__lte=sessions[-1][0]
            ).values_list("pupil_id", "date", "session", "code__code", "code__category")
        for pupil_id, day, session, code, category in rows:
            found[pupil_id][(day, session)] = (code, category)
    return sessions, found


@cache
def _strip_sql() -> tuple[str, str]:
    """`recent_sessions`'s two queries: the school days before the register's, the pupils' marks in them."""
    day, mark, code = (m._meta.db_table for m in (SchoolDay, Mark, AttendanceCode))
    return (
        f'SELECT "date" FROM "{day}" WHERE "school_id" = %s AND "date" < %s ORDER BY "date" DESC LIMIT %s',
        f'SELECT m."pupil_id", m."date", m."session", c."code", c."category" FROM "{mark}" m '
        f'JOIN "{code}" c ON c."id" = m."code_id" WHERE m."pupil_id" = ANY(%s::bigint[]) AND m."date" >= %s '
        'AND m."date" <= %s',
    )


def school_roll(school, day: dt.date):
    """Every pupil of the school on roll on `day`, with their group, in group order."""
    return (
        Pupil.objects.filter(school=school)
        .filter(Exists(_on_roll(day)))
        .select_related("group")
        .order_by("group__year", "group__name", "legal_surname", "legal_forename")
    )


# --- a teacher's day ------------------------------------------------------------------------


def sessions_to_show(school, now: dt.datetime, times: dict[tuple[str, str], RegisterTime]) -> list[tuple[dt.date, str]]:
    """This session and the next (school days only); `times` as `register_times_by_phase` reads them."""
    today = timezone.localtime(now).date()
    days = list(
        SchoolDay.objects.filter(school=school, date__gte=today).order_by("date").values_list("date", flat=True)[:2]
    )
    if not days:
        return []
    pm_opens = min((t.opens for (phase, s), t in times.items() if s == PM), default=None)
    if days[0] != today:
        return [(days[0], AM), (days[0], PM)]
    this, _next = timing.current_and_next_sessions(pm_opens, now)
    if this == AM:
        return [(today, AM), (today, PM)]
    result = [(today, PM)]
    if len(days) > 1:
        result.append((days[1], AM))
    return result


# --- the office: today's attendance ---------------------------------------------------------


def session_under_way(school, now: dt.datetime) -> str:
    """AM, or PM once the school's earliest afternoon register has opened."""
    pm = RegisterTime.objects.filter(school=school, session=PM).order_by("opens").first()
    return PM if pm is not None and timezone.localtime(now).time() >= pm.opens else AM


@dataclass
class SessionAttendance:
    """One session's attendance across the school: counts by group and year, and the marks of
    every pupil with an unexplained absence code (N, O, G or U)."""

    groups: list[dict]
    years: list[dict]
    totals: dict
    unexplained: list[Mark]

    @property
    def n_marks(self) -> list[Mark]:
        return [m for m in self.unexplained if m.code.code == "N"]


def session_attendance(*, school, day: dt.date, session: str) -> SessionAttendance:
    """Counts by year and group (on roll, present, absent, N, not counted, unmarked) and the
    unexplained absences, for one session — two queries."""
    marks = Mark.objects.filter(pupil_id=OuterRef("pk"), date=day, session=session)
    per_group = (
        Pupil.objects.filter(school=school)
        .filter(Exists(_on_roll(day)))
        .annotate(
            category=Subquery(marks.values("code__category")[:1]), symbol=Subquery(marks.values("code__code")[:1])
        )
        .values("year", "group__name")
        .annotate(
            on_roll=Count("id"),
            present=Count("id", filter=Q(category__in=[CAT.PRESENT, CAT.APPROVED])),
            absent=Count("id", filter=Q(category__in=[CAT.AUTHORISED, CAT.UNAUTHORISED])),
            n_marks=Count("id", filter=Q(symbol="N")),
            not_counted=Count("id", filter=Q(category=CAT.NOT_COUNTED)),
            unmarked=Count("id", filter=Q(category__isnull=True)),
        )
        .order_by("year", "group__name")
    )
    groups = list(per_group)
    years: dict[int, dict] = {}
    for row in groups:
        y = years.setdefault(row["year"], {"year": row["year"], "on_roll": 0, "present": 0, "absent": 0, "n_marks": 0})
        for key in ("on_roll", "present", "absent", "n_marks"):
            y[key] += row[key]
    totals = {k: sum(g[k] for g in groups) for k in ("on_roll", "present", "absent", "n_marks", "unmarked")}
    unexplained = list(
        Mark.objects.filter(school=school, date=day, session=session, code__code__in=UNEXPLAINED_CODES)
        .select_related("pupil__group", "code")
        .order_by("code__code", "pupil__group__name", "pupil__legal_surname")
    )
    return SessionAttendance(
        groups=groups, years=sorted(years.values(), key=lambda y: y["year"]), totals=totals, unexplained=unexplained
    )


# --- the office: any register, past or today ---------------------------------------------------


@dataclass
class RegisterListing:
    """One group's register for one session as the office's register finder lists it."""

    group: RegistrationGroup
    day: dt.date
    session: str
    register: Register | None  # None: nobody has opened it yet

    @property
    def taken(self) -> bool:
        return self.register is not None and self.register.state != Register.State.NOT_TAKEN


def registers_on(school, day: dt.date, *, session: str = "", group_id: int | None = None) -> list[RegisterListing]:
    """Every register of `day` (both sessions, or one), taken or not, for each group with pupils
    on roll that day: two queries whatever the number of groups. Nothing is opened or written."""
    groups = (
        RegistrationGroup.objects.filter(school=school)
        .filter(
            Exists(
                Enrolment.objects.filter(pupil__group_id=OuterRef("pk"), admission_date__lte=day).filter(
                    Q(leaving_date__isnull=True) | Q(leaving_date__gte=day)
                )
            )
        )
        .order_by("year", "name")
    )
    if group_id is not None:
        groups = groups.filter(pk=group_id)
    sessions = [session] if session in (AM, PM) else [AM, PM]
    found = {
        (r.group_id, r.session): r
        for r in Register.objects.filter(school=school, date=day, session__in=sessions).select_related("taken_by")
    }
    return [RegisterListing(g, day, s, found.get((g.pk, s))) for g in groups for s in sessions]
