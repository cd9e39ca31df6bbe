"""What the register service reads to validate a batch of marks: the national code table, and
for the batch's pupils and dates their enrolments, the school days with when each session
begins, the planned closures, and the marks already there (locked until the write commits).

A register of thirty pupils is five of these reads on every POST. Through the ORM, building and
compiling the querysets and making their model instances was half the CPU the POST cost the web
process. On PostgreSQL each read is one SQL text written once per process, its lists passed as
arrays, so the text never changes with the batch; other databases (SQLite for the demo) run the
querysets, which read the same rows (tests/registers/test_register_fast_paths.py compares them).
The code table is read once per process: its rows are the reference table a migration loads and
schools cannot change; it is read again after every migrate or test flush (`reread_codes`),
which load the rows again, after a flush with new ids."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Subquery

from .models import AM, PM, AttendanceCode, Closure, Enrolment, Mark, Pupil, RegisterTime, SchoolDay

_codes: dict[tuple, tuple[dict[str, list[AttendanceCode]], dict[int, AttendanceCode]]] = {}


def code_table(using: str = DEFAULT_DB_ALIAS) -> tuple[dict[str, list[AttendanceCode]], dict[int, AttendanceCode]]:
    """The national codes by symbol (each symbol's rows in id order) and by id, shared by every
    caller in the process: read them, never change them."""
    key = (using, connections[using].settings_dict["NAME"])
    if key not in _codes:
        by_symbol: dict[str, list[AttendanceCode]] = defaultdict(list)
        by_id = {}
        for code in AttendanceCode.objects.using(using).all():
            by_symbol[code.code].append(code)
            by_id[code.pk] = code
        _codes[key] = (dict(by_symbol), by_id)
    return _codes[key]


def reread_codes(using: str) -> None:
    """After a migrate or a flush has (re)loaded the code rows, with new ids after a flush."""
    _codes.pop((using, connections[using].settings_dict["NAME"]), None)
    code_table(using)


@dataclass
class BatchFacts:
    """What `record_marks` checks a batch against."""

    pupils: dict[int, Pupil] = field(default_factory=dict)  # the school's pupils of the batch
    enrolments: dict[int, list[Enrolment]] = field(default_factory=lambda: defaultdict(list))
    school_days: set[dt.date] = field(default_factory=set)
    opens: dict[str, dt.time | None] = field(default_factory=dict)  # the earliest register opening, by session
    closures: dict[dt.date, list[Closure]] = field(default_factory=lambda: defaultdict(list))
    existing: dict[tuple, Mark] = field(default_factory=dict)  # by (pupil id, date, session), locked


def read_batch(school, pupil_ids: set[int], dates: set[dt.date]) -> BatchFacts:
    """Four queries whatever the size of the batch (five when a pupil has no enrolment at all)."""
    # An id no row can hold is no pupil of the school: asked about, SQLite would overflow on it
    # and a bigint[] would refuse the whole statement.
    pupil_ids = {i for i in pupil_ids if -(2**63) <= i < 2**63}
    if connection.vendor == "postgresql":
        return _read_by_sql(school, pupil_ids, dates)
    return read_by_querysets(school, pupil_ids, dates)


def read_by_querysets(school, pupil_ids: set[int], dates: set[dt.date]) -> BatchFacts:
    """`read_batch` through the ORM: what other databases run, and what the SQL must equal."""
    facts = BatchFacts()
    # Pupils come with their enrolments in one query; only a pupil with no enrolment at all
    # (an error to report) needs a second look.
    for enrolment in Enrolment.objects.filter(pupil__school=school, pupil_id__in=pupil_ids).select_related("pupil"):
        facts.pupils[enrolment.pupil_id] = enrolment.pupil
        facts.enrolments[enrolment.pupil_id].append(enrolment)
    if unseen := pupil_ids - facts.pupils.keys():
        facts.pupils.update({p.id: p for p in Pupil.objects.filter(school=school, id__in=unseen)})
    opens = {
        f"opens_{s.lower()}": Subquery(
            RegisterTime.objects.filter(school=school, session=s).order_by("opens").values("opens")[:1]
        )
        for s in (AM, PM)
    }
    days = SchoolDay.objects.filter(school=school, date__in=dates).annotate(**opens)
    for day, opens_am, opens_pm in days.values_list("date", "opens_am", "opens_pm"):
        facts.school_days.add(day)
        facts.opens = {AM: opens_am, PM: opens_pm}
    for closure in Closure.objects.filter(school=school, date__in=dates, kind=Closure.Kind.CLOSURE):
        facts.closures[closure.date].append(closure)
    facts.existing = {
        (m.pupil_id, m.date, m.session): m
        # Lock only the marks: a plain FOR UPDATE would also lock the joined code rows, so every
        # register writing `/` at 08:50 would queue behind the others on PostgreSQL.
        for m in Mark.objects.select_for_update(of=("self",))
        .filter(school=school, pupil_id__in=facts.pupils, date__in=dates)
        .select_related("code")
    }
    return facts


def _read_by_sql(school, pupil_ids: set[int], dates: set[dt.date]) -> BatchFacts:
    facts = BatchFacts()
    statements = _statements()
    alias = connection.alias
    enrolment_fields, pupil_fields = _attnames(Enrolment), _attnames(Pupil)
    width = len(enrolment_fields)
    ids, days = list(pupil_ids), list(dates)
    # An empty list asks nothing, as `IN ()` asks the ORM nothing.
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(statements["enrolments"], [school.pk, ids])
            for row in cursor.fetchall():
                enrolment = Enrolment.from_db(alias, enrolment_fields, row[:width])
                pupil = facts.pupils.get(enrolment.pupil_id)
                if pupil is None:
                    pupil = facts.pupils[enrolment.pupil_id] = Pupil.from_db(alias, pupil_fields, row[width:])
                Enrolment._meta.get_field("pupil").set_cached_value(enrolment, pupil)  # as select_related("pupil")
                facts.enrolments[enrolment.pupil_id].append(enrolment)
        if unseen := pupil_ids - facts.pupils.keys():
            facts.pupils.update({p.id: p for p in Pupil.objects.filter(school=school, id__in=unseen)})
        if not days:
            return facts
        cursor.execute(statements["days"], [school.pk, school.pk, school.pk, days])
        for day, opens_am, opens_pm in cursor.fetchall():
            facts.school_days.add(day)
            facts.opens = {AM: opens_am, PM: opens_pm}
        for closure in Closure.objects.raw(statements["closures"], [school.pk, days, Closure.Kind.CLOSURE]):
            facts.closures[closure.date].append(closure)
        if not facts.pupils:
            return facts
        cursor.execute(statements["marks"], [school.pk, list(facts.pupils), days])
        _, codes = code_table()
        code = Mark._meta.get_field("code")
        for row in cursor.fetchall():
            mark = Mark.from_db(alias, _attnames(Mark), row)
            code.set_cached_value(mark, codes[mark.code_id])  # what select_related("code") gave
            facts.existing[(mark.pupil_id, mark.date, mark.session)] = mark
    return facts


@cache
def _attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _columns(model, alias: str) -> str:
    return ", ".join(f'"{alias}"."{f.column}"' for f in model._meta.concrete_fields)


@cache
def _statements() -> dict[str, str]:
    """`read_by_querysets`'s statements, with `= ANY(array)` for `IN (…)`."""
    enrolment, pupil, day, times, closure, mark = (
        m._meta.db_table for m in (Enrolment, Pupil, SchoolDay, RegisterTime, Closure, Mark)
    )
    opens = 'SELECT t."opens" FROM "{}" t WHERE t."school_id" = %s AND t."session" = \'{}\' ORDER BY t."opens" LIMIT 1'
    return {
        "enrolments": (
            f'SELECT {_columns(Enrolment, "e")}, {_columns(Pupil, "p")} FROM "{enrolment}" e '
            f'JOIN "{pupil}" p ON p."id" = e."pupil_id" WHERE p."school_id" = %s AND e."pupil_id" = ANY(%s::bigint[]) '
            'ORDER BY e."admission_date"'
        ),
        "days": (
            f'SELECT d."date", ({opens.format(times, AM)}), ({opens.format(times, PM)}) FROM "{day}" d '
            'WHERE d."school_id" = %s AND d."date" = ANY(%s::date[])'
        ),
        "closures": (
            f'SELECT * FROM "{closure}" WHERE "school_id" = %s AND "date" = ANY(%s::date[]) AND "kind" = %s '
            'ORDER BY "date", "id"'
        ),
        # Marks only, and only they are locked: a join added one day must not lock its rows too.
        "marks": (
            f'SELECT {_columns(Mark, mark)} FROM "{mark}" WHERE "{mark}"."school_id" = %s '
            f'AND "{mark}"."pupil_id" = ANY(%s::bigint[]) AND "{mark}"."date" = ANY(%s::date[]) FOR UPDATE OF "{mark}"'
        ),
    }
