"""Synthetic schools for the benchmark: N pupils, one full academic year (2025/26) of marks.

SYNTHETIC BENCHMARK DATA ONLY. The school, its calendar, groups, pupils and enrolments are
made through the application's own code (`import_school`, `bulk_create_with_history`), but the
marks and their history rows are loaded with PostgreSQL COPY (psycopg 3 `cursor.copy`, one
chunk of text per session, generated as it is sent), in one transaction around which the two
tables' secondary indexes and foreign keys are dropped and rebuilt. This bypasses the register
service on purpose and only here: DESIGN.md principle 1 says every real write — a register,
an amendment, an import, a parent report, a leave decision — goes through
`registers.services.record_marks`, and nothing in the application may copy this path.
Writing 7.6 million marks through the service would take hours; the bench measures reads.

The loaded rows carry every field the service writes: the AttendanceCode row valid on the
session's date (resolved with the service's own `resolve_code`), recorded by / position /
at, source `import`, version 1, and a history row per mark with the same fields,
history_type '+', history_date = recorded_at and history_change_reason ''. Marks exist only
while a pupil is on roll, except a few sessions after some leavers' leaving dates (the
leaving date was recorded after registers had been taken) and a few `Z` (prospective pupil)
sessions before some joiners' admission, so that "only while on roll" is exercised. There
are no planned closures, so no `#` marks.

Everything is drawn from one seeded numpy generator: the same seed and size build the same
rows."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

URN_BASE = 990000
LA, ESTABLISHMENT = "999", "4000"
START_YEAR = 2025
GROUP_SIZE = 30
YEARS = (7, 8, 9, 10, 11)
LONDON = ZoneInfo("Europe/London")
RECORDED_BY = ("Synthetic benchmark data", "Data import")

# Symbols the generator uses. Index 0 and 1 are present (AM `/`, PM `\`).
SYMBOLS = ["/", "\\", "L", "U", "I", "M", "C", "R", "E", "G", "O", "N", "B", "V", "P", "D", "Y2", "Z"]
S = {symbol: i for i, symbol in enumerate(SYMBOLS)}
NO_MARK = -1

SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Khan", "Wood",
    "Clarke", "Hughes", "Edwards", "Ahmed", "Lewis", "Harris", "Begum", "Turner", "Hill", "Cooper",
]  # fmt: skip
FORENAMES = [
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Florence", "Sophia",
    "Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie", "Henry",
]  # fmt: skip


def calendar_payload(start_year: int = START_YEAR) -> dict:
    """`typical_english_calendar` in the shape `import_school` reads (ISO dates, INSET days
    as closures of kind `inset`)."""
    from registers.calendar import typical_english_calendar

    cal = typical_english_calendar(start_year)
    return {
        "terms": [
            {"name": t["name"], "start": t["start"].isoformat(), "end": t["end"].isoformat()} for t in cal["terms"]
        ],
        "half_term_breaks": [
            {"start": b["start"].isoformat(), "end": b["end"].isoformat()} for b in cal["half_term_breaks"]
        ],
        "closures": [
            {"date": d.isoformat(), "session": "both", "reason": "INSET day: staff training", "kind": "inset"}
            for d in cal["inset_days"]
        ],
    }


def school_payload(pupils: int, *, urn: str | None = None, groups: list[dict] | None = None) -> dict:
    if groups is None:
        per_year = -(-pupils // len(YEARS))
        groups = [
            {"name": f"{year}-{n + 1:03d}", "year": year, "phase": "secondary"}
            for year in YEARS
            for n in range(-(-per_year // GROUP_SIZE))
        ]
    return {
        "urn": urn or str(URN_BASE + pupils % 10000),
        "name": f"Benchmark Academy ({pupils:,} pupils)",
        "la_number": LA,
        "establishment_number": ESTABLISHMENT,
        "phase": "secondary",
        "register_times": {
            "secondary": {
                "am": {"opens": "08:40", "late_after": "08:45", "closes": "09:10"},
                "pm": {"opens": "13:15", "late_after": "13:20", "closes": "13:45"},
            }
        },
        **calendar_payload(),
        "groups": groups,
    }


@dataclass
class Roll:
    """Who is on roll when: per pupil, the enrolment spans as day indexes, and the marks mask."""

    spans: list[list[tuple[int, int | None, str]]]  # (first day index, last day index or None, registration)
    marked: np.ndarray  # bool [pupils, days]: the pupil has marks that day
    prospective: np.ndarray  # bool [pupils, days]: `Z` days before admission


def draw_roll(rng: np.random.Generator, pupils: int, days: int) -> Roll:
    """Mostly on roll all year; some join late, leave, leave and return, or are dual registered."""
    kind = rng.choice(6, size=pupils, p=[0.905, 0.03, 0.03, 0.01, 0.015, 0.01])
    spans: list[list[tuple[int, int | None, str]]] = []
    marked = np.zeros((pupils, days), dtype=bool)
    prospective = np.zeros((pupils, days), dtype=bool)
    for i in range(pupils):
        k = kind[i]
        if k == 1:  # joins mid-year; some were marked Z (prospective) for a few days first
            first = int(rng.integers(10, days - 20))
            spans.append([(first, None, "single")])
            marked[i, first:] = True
            if rng.random() < 0.3:
                z = int(rng.integers(1, 4))
                prospective[i, first - z : first] = True
        elif k == 2:  # leaves; for some the leaving date was entered after a few more registers
            last = int(rng.integers(10, days - 5))
            spans.append([(0, last, "single")])
            extra = int(rng.integers(1, 4)) if rng.random() < 0.4 else 0
            marked[i, : last + 1 + extra] = True
        elif k == 3:  # leaves and returns
            last = int(rng.integers(10, days - 60))
            back = last + int(rng.integers(10, 30))
            spans.append([(0, last, "single"), (back, None, "single")])
            marked[i, : last + 1] = True
            marked[i, back:] = True
        elif k == 4:
            spans.append([(0, None, "main")])
            marked[i, :] = True
        elif k == 5:
            spans.append([(0, None, "subsidiary")])
            marked[i, :] = True
        else:
            spans.append([(0, None, "single")])
            marked[i, :] = True
    return Roll(spans, marked, prospective)


def draw_codes(rng: np.random.Generator, school_days: list[dt.date], roll: Roll) -> tuple[np.ndarray, np.ndarray]:
    """Symbols (index into SYMBOLS, NO_MARK where there is none) and minutes late (-1 for none),
    both [pupils, sessions] with session 2d = AM and 2d+1 = PM of school day d.

    Absence comes in episodes that start on a day and may run on (illness, holidays,
    suspensions); each pupil has their own propensity, so some are persistently absent and a
    few meet the penalty threshold. Overall about 94.5 % of possible sessions are attended."""
    pupils, days = roll.marked.shape
    # daily chance of a new absence episode: most pupils rarely, a few often
    start = rng.choice([0.008, 0.025, 0.06, 0.2], size=pupils, p=[0.7, 0.2, 0.08, 0.02])
    unauthorised_share = np.where(start >= 0.06, 0.45, 0.15)
    lateness = rng.choice([0.003, 0.02, 0.08], size=pupils, p=[0.75, 0.2, 0.05])
    authorised = np.array([S["I"], S["M"], S["C"], S["R"], S["E"]])
    authorised_p = np.array([0.86, 0.05, 0.06, 0.01, 0.02])
    unauthorised = np.array([S["O"], S["G"], S["N"]])
    unauthorised_p = np.array([0.7, 0.28, 0.02])
    carry_on = np.zeros(len(SYMBOLS))
    carry_on[[S["I"], S["G"], S["O"], S["C"], S["E"]]] = [0.45, 0.8, 0.35, 0.3, 0.6]

    day_code = np.full((pupils, days), NO_MARK, dtype=np.int16)
    yesterday = np.full(pupils, NO_MARK, dtype=np.int16)
    for d in range(days):
        r = rng.random(pupils)
        absent_before = yesterday >= 0
        cont = absent_before & (r < carry_on[np.maximum(yesterday, 0)])
        new = ~cont & (rng.random(pupils) < start)
        unauth = rng.random(pupils) < unauthorised_share
        new_code = np.where(
            unauth,
            rng.choice(unauthorised, size=pupils, p=unauthorised_p),
            rng.choice(authorised, size=pupils, p=authorised_p),
        )
        today = np.where(cont, yesterday, np.where(new, new_code, NO_MARK)).astype(np.int16)
        day_code[:, d] = today
        yesterday = today
    # the last week's unexplained absences are still N (not yet established)
    recent = day_code[:, -5:]
    unexplained = ((recent == S["O"]) | (recent == S["I"])) & (rng.random(recent.shape) < 0.5)
    recent[unexplained] = S["N"]

    sessions = 2 * days
    codes = np.repeat(day_code, 2, axis=1)  # whole-day absences: the same code AM and PM
    present = codes == NO_MARK
    codes[:, 0::2][present[:, 0::2]] = S["/"]
    codes[:, 1::2][present[:, 1::2]] = S["\\"]
    minutes = np.full((pupils, sessions), -1, dtype=np.int16)
    r = rng.random((pupils, sessions))
    late = present & (r < lateness[:, None])
    very_late = present & ~late & (r < lateness[:, None] * 1.2)
    codes[late] = S["L"]
    minutes[late] = rng.integers(1, 25, size=int(late.sum()))
    codes[very_late] = S["U"]
    minutes[very_late] = rng.integers(26, 90, size=int(very_late.sum()))
    # single sessions: appointments, trips and activities, half-day truancy, travel disruption
    r = rng.random((pupils, sessions))
    for symbol, p in (("M", 0.003), ("B", 0.002), ("V", 0.0015), ("P", 0.001), ("O", 0.002), ("Y2", 0.0003)):
        pick = present & ~late & ~very_late & (r < p)
        codes[pick] = S[symbol]
        r = np.where(pick, 1.0, r - p)
    # dual registration: main-school pupils are at the other school on Friday afternoons;
    # subsidiary pupils are here only on Fridays
    fridays = np.array([day.weekday() == 4 for day in school_days])
    friday_pm = np.zeros(sessions, dtype=bool)
    friday_pm[1::2] = fridays
    not_friday = np.repeat(~fridays, 2)
    for i, spans in enumerate(roll.spans):
        registration = spans[0][2]
        if registration == "main":
            codes[i, friday_pm] = S["D"]
        elif registration == "subsidiary":
            codes[i, not_friday] = S["D"]
    minutes[codes == S["D"]] = -1
    # prospective pupils: Z before admission; and no marks at all where the pupil is not on roll
    z = np.repeat(roll.prospective, 2, axis=1)
    codes[z] = S["Z"]
    minutes[z] = -1
    off = ~np.repeat(roll.marked | roll.prospective, 2, axis=1)
    codes[off] = NO_MARK
    minutes[off] = -1
    return codes, minutes


def build(pupils: int, seed: int, log=print) -> dict:
    """Create an N-pupil school with a full year of marks in the current (empty, migrated)
    database. Returns what was built and how long each step took."""
    from django.db import connection, transaction
    from simple_history.utils import bulk_create_with_history

    from bench.databases import detach_indexes
    from registers.imports import import_school
    from registers.models import Enrolment, Pupil, RegistrationGroup, SchoolDay
    from registers.services import codes_by_symbol, resolve_code
    from registers.upn import make_upn

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    rng = np.random.default_rng([seed, pupils])
    school = import_school(school_payload(pupils))
    school_days = list(SchoolDay.objects.filter(school=school).order_by("date").values_list("date", flat=True))
    days = len(school_days)
    timings["school and calendar"] = time.perf_counter() - t0

    # pupils, in groups of 30 per year, and their enrolments (with history, as the app keeps)
    t = time.perf_counter()
    groups = list(RegistrationGroup.objects.filter(school=school).order_by("year", "name"))
    by_year = {year: [g for g in groups if g.year == year] for year in YEARS}
    year_of = [YEARS[i % len(YEARS)] for i in range(pupils)]
    rows = []
    for i in range(pupils):
        year = year_of[i]
        group = by_year[year][(i // len(YEARS)) // GROUP_SIZE]
        rows.append(
            Pupil(
                school=school,
                upn=make_upn(LA, ESTABLISHMENT, 10 + i // 1000, i % 1000),
                legal_surname=SURNAMES[int(rng.integers(len(SURNAMES)))],
                legal_forename=FORENAMES[int(rng.integers(len(FORENAMES)))],
                date_of_birth=dt.date(START_YEAR - year - 5, 1 + int(rng.integers(12)), 1 + int(rng.integers(28))),
                sex="F" if rng.random() < 0.5 else "M",
                year=year,
                group=group,
                fsm=bool(rng.random() < 0.25),
                sen=str(rng.choice(["N", "K", "E"], p=[0.83, 0.13, 0.04])),
                eal=bool(rng.random() < 0.2),
                ethnicity="WBRI",
            )
        )
    reason = "synthetic benchmark data"
    created = bulk_create_with_history(rows, Pupil, batch_size=2000, default_change_reason=reason)
    pupil_ids = np.array([p.pk for p in created], dtype=np.int64)
    roll = draw_roll(rng, pupils, days)
    enrolments = []
    for pupil, spans in zip(created, roll.spans, strict=True):
        for first, last, registration in spans:
            enrolments.append(
                Enrolment(
                    pupil=pupil,
                    admission_date=dt.date(START_YEAR, 9, 1) if first == 0 else school_days[first],
                    leaving_date=None if last is None else school_days[last],
                    registration=registration,
                )
            )
    bulk_create_with_history(enrolments, Enrolment, batch_size=2000, default_change_reason=reason)
    timings["pupils and enrolments"] = time.perf_counter() - t

    # the marks
    t = time.perf_counter()
    codes, minutes = draw_codes(rng, school_days, roll)
    table = codes_by_symbol()
    code_id = np.zeros((len(SYMBOLS), days), dtype=np.int64)  # the code row valid on each day
    for s, symbol in enumerate(SYMBOLS):
        for d, day in enumerate(school_days):
            row = resolve_code(table, symbol, day)
            assert not isinstance(row, str), row
            code_id[s, d] = row.id
    timings["drawing the marks"] = time.perf_counter() - t

    t = time.perf_counter()
    name, position = RECORDED_BY
    pupil_text = [str(p) for p in pupil_ids.tolist()]
    minute_text = {-1: "\\N", **{m: str(m) for m in range(0, 301)}}
    columns = (
        "id, date, session, minutes_late, code_id, pupil_id, recorded_at, school_id, comment, source, "
        "recorded_by_name, recorded_by_position, reason, version"
    )
    history_columns = columns + ", history_date, history_change_reason, history_type"

    def chunks(history: bool):
        """One chunk of COPY text per session, in the order registers are taken: by date,
        then pupil. Mark ids are given (after any already there) so history rows can carry them."""
        mark_id = first_id
        for d, day in enumerate(school_days):
            for half, session, clock in ((0, "AM", dt.time(9, 15)), (1, "PM", dt.time(13, 50))):
                column = 2 * d + half
                who = np.nonzero(codes[:, column] != NO_MARK)[0]
                recorded_at = dt.datetime.combine(day, clock, LONDON).isoformat()
                head = f"\t{day.isoformat()}\t{session}\t"
                tail = f"\t{recorded_at}\t{school.pk}\t\timport\t{name}\t{position}\t\t1"
                tail += f"\t{recorded_at}\t\t+\n" if history else "\n"
                ids = code_id[codes[who, column], d].tolist()
                mins = minutes[who, column].tolist()
                yield "".join(
                    f"{mark_id + i}{head}{minute_text[m]}\t{c}\t{pupil_text[p]}{tail}"
                    for i, (p, c, m) in enumerate(zip(who.tolist(), ids, mins, strict=True), start=1)
                )
                mark_id += len(who)

    marks = int((codes != NO_MARK).sum())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SELECT coalesce(max(id), 0) FROM registers_mark")
        first_id = cursor.fetchone()[0]
        restore = detach_indexes(cursor, "registers_mark") + detach_indexes(cursor, "registers_historicalmark")
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY registers_mark ({columns}) FROM STDIN") as copy:
            for chunk in chunks(history=False):
                copy.write(chunk)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('registers_mark', 'id'), (SELECT max(id) FROM registers_mark))"
        )
        timings["COPY marks"] = time.perf_counter() - t
        t = time.perf_counter()
        with raw.copy(f"COPY registers_historicalmark ({history_columns}) FROM STDIN") as copy:
            for chunk in chunks(history=True):
                copy.write(chunk)
        timings["COPY history rows"] = time.perf_counter() - t
        t = time.perf_counter()
        for statement in restore:
            cursor.execute(statement)
        timings["indexes and constraints"] = time.perf_counter() - t
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE registers_mark")
        cursor.execute("VACUUM ANALYZE registers_historicalmark")
        cursor.execute("ANALYZE")
    timings["VACUUM ANALYZE"] = time.perf_counter() - t
    for step, seconds in timings.items():
        log(f"    {step}: {seconds:.1f} s")
    return {
        "school_id": school.pk,
        "urn": school.urn,
        "pupils": pupils,
        "marks": marks,
        "school_days": days,
        "first_day": school_days[0].isoformat(),
        "last_day": school_days[-1].isoformat(),
        "build_seconds": round(time.perf_counter() - t0, 1),
        "build_steps": {k: round(v, 1) for k, v in timings.items()},
    }


def ensure_school(pupils: int, *, seed: int, rebuild: bool, log=print) -> dict:
    """The database `attendance_bench_<pupils>`, built or reused; Django is left pointing at it.
    Returns its bench_meta (what was built, how long it took, whether it was cached)."""
    from django.db import connection

    from bench import DATA_VERSION
    from bench.databases import (
        create_database,
        migrate,
        migration_fingerprints,
        read_meta,
        refresh_schema,
        reusable,
        use_database,
        write_meta,
    )

    name = f"attendance_bench_{pupils}"
    ok, why = reusable(read_meta(name), data_version=DATA_VERSION, seed=seed, pupils=pupils)
    if ok and not rebuild:
        use_database(name)
        redone = refresh_schema(read_meta(name))  # migrations added or rewritten since the build
        meta = read_meta(name)
        again = f"; migrated {', '.join(redone)} again" if redone else ""
        log(f"  {name}: reusing the cached school (built in {meta['build_seconds']} s{again})")
        return {**meta, "cached": True}
    log(f"  {name}: building ({'--rebuild' if rebuild else why}) …")
    t = time.perf_counter()
    create_database(name)
    use_database(name)
    migrate()
    migrations = migration_fingerprints()  # as applied, before anyone edits them meanwhile
    built = build(pupils, seed, log=log)
    built["build_seconds"] = round(time.perf_counter() - t, 1)  # including create and migrate
    with connection.cursor() as cursor:
        write_meta(
            cursor,
            {**built, "data_version": DATA_VERSION, "seed": seed, "migrations": migrations},
        )
        write_meta(cursor, {"complete": True})
    log(f"  {name}: built {built['marks']:,} marks in {built['build_seconds']} s")
    return {**read_meta(name), "cached": False}
