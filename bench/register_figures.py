"""Taking a register: SQL queries and server time, through the register service and the page.

Runs in its own small database, `attendance_bench` (dropped and made again every run): one
secondary school on the 2025/26 calendar, a class teacher, and groups of 5, 30 and 35
pupils. Every measured register is a fresh one (a new group-date-session), so each run
writes the same thing: 30 new marks (one `L` with minutes, one `N`, the rest present) and
their history rows, and marks the register taken.

- service: `record_marks(register=…)` for the whole class, then `mark_register_taken` —
  what the page's POST does once it has parsed the form. The Register row exists already
  (opening the page creates it), so its creation is not timed.
- floor: the same rows written by hand in one transaction: one multi-row INSERT of the
  marks (RETURNING their ids), one multi-row INSERT of their history rows, one UPDATE of
  the register and one INSERT of its history row. No validation, no reads.
- page: GET and POST of `registers/<pk>/` through django.test.Client as the class teacher,
  with the clock set inside the register's window, when the register page exists."""

from __future__ import annotations

import datetime as dt
import statistics
from zoneinfo import ZoneInfo

from bench.report import Row, ratio
from bench.timing import human, percentile, timed

DATABASE = "attendance_bench"
LONDON = ZoneInfo("Europe/London")
SIZES = (5, 30, 35)
QUERY_LIMIT = 15
TIME_LIMIT = 0.050

MARK_COLUMNS = (
    "school_id, pupil_id, date, session, code_id, minutes_late, comment, sub_reason_id, source, register_id, "
    "recorded_by_id, recorded_by_name, recorded_by_position, recorded_at, reason, version"
)
HISTORY_COLUMNS = (
    "id, school_id, pupil_id, date, session, code_id, minutes_late, comment, sub_reason_id, source, register_id, "
    "recorded_by_id, recorded_by_name, recorded_by_position, recorded_at, reason, version, "
    "history_date, history_change_reason, history_type, history_user_id"
)
# The history row of "taken", written before the register's UPDATE (the database refuses to take a
# register without it: registers/audit_triggers.py). Parameters: taken by, taken at, history date,
# reason, history user, register id.
REGISTER_HISTORY = (
    "INSERT INTO registers_historicalregister (id, school_id, group_id, date, session, state, taken_by_id, "
    "taken_at, taken_on_behalf_of_id, history_date, history_change_reason, history_type, history_user_id) "
    "SELECT id, school_id, group_id, date, session, 'taken', %s, %s, taken_on_behalf_of_id, "
    "%s, %s, '~', %s FROM registers_register WHERE id = %s"
)


class Setting:
    """The school, the teacher and the groups the register figures use."""

    def __init__(self, log=print):
        from django.contrib.auth import get_user_model
        from simple_history.utils import bulk_create_with_history

        from bench.databases import create_database, migrate, use_database
        from bench.synthetic import school_payload
        from registers.imports import import_school
        from registers.models import Enrolment, Pupil, RegistrationGroup, SchoolDay, Staff
        from registers.services import Actor, codes_by_symbol
        from registers.upn import make_upn

        create_database(DATABASE)
        use_database(DATABASE)
        migrate()
        groups = [{"name": f"Bench {n}", "year": 8, "phase": "secondary"} for n in SIZES]
        groups += [{"name": "Floor 30", "year": 8, "phase": "secondary"}]
        groups += [{"name": f"Page {n}", "year": 9, "phase": "secondary"} for n in SIZES]
        self.school = import_school(school_payload(100, urn="990100", groups=groups))
        user = get_user_model().objects.create_user("bench-teacher", first_name="Sam", last_name="Bench")
        self.user = user
        self.staff = Staff.objects.create(
            user=user, school=self.school, position=Staff.Position.CLASS_TEACHER, title="Ms"
        )
        self.groups = {g.name: g for g in RegistrationGroup.objects.filter(school=self.school)}
        serial = 0
        self.pupils: dict[str, list[int]] = {}
        for name, group in self.groups.items():
            group.teachers.add(self.staff)
            size = int(name.split()[-1])
            pupils = []
            for i in range(size):
                serial += 1
                pupils.append(
                    Pupil(
                        school=self.school,
                        upn=make_upn("999", "4000", 30, serial),
                        legal_surname=f"Pupil{serial:03d}",
                        legal_forename="Alex",
                        date_of_birth=dt.date(2012, 1 + i % 12, 1 + i % 28),
                        sex="F" if i % 2 else "M",
                        year=group.year,
                        group=group,
                    )
                )
            created = bulk_create_with_history(pupils, Pupil, default_change_reason="benchmark")
            bulk_create_with_history(
                [Enrolment(pupil=p, admission_date=dt.date(2025, 9, 1)) for p in created],
                Enrolment,
                default_change_reason="benchmark",
            )
            self.pupils[name] = [p.pk for p in sorted(created, key=lambda p: p.legal_surname)]
        self.sessions = [
            (day, session)
            for day in SchoolDay.objects.filter(school=self.school).order_by("date").values_list("date", flat=True)
            for session in ("AM", "PM")
        ]
        self.used: dict[str, int] = {}
        self.actor = Actor.for_user(user)
        self.codes = codes_by_symbol()
        log(f"  {DATABASE}: school, teacher and groups of {', '.join(map(str, SIZES))} pupils ready")

    def next_register(self, group_name: str):
        """A new register for the group: the next session it has not had."""
        from registers.models import Register

        i = self.used.get(group_name, 0)
        self.used[group_name] = i + 1
        day, session = self.sessions[i]
        return Register.objects.create(school=self.school, group=self.groups[group_name], date=day, session=session)

    def entries(self, group_name: str, register) -> list:
        from registers.services import MarkEntry

        present = "/" if register.session == "AM" else "\\"
        entries = []
        for i, pupil_id in enumerate(self.pupils[group_name]):
            code, minutes = ("L", 6) if i == 3 else ("N", None) if i == 7 else (present, None)
            entries.append(MarkEntry(pupil_id, register.date, register.session, code, minutes_late=minutes))
        return entries


def take_with_service(setting: Setting, group_name: str) -> None:
    from registers.models import Mark
    from registers.services import mark_register_taken, record_marks

    register = setting.next_register(group_name)
    entries = setting.entries(group_name, register)

    def work():
        record_marks(
            school=setting.school,
            entries=entries,
            actor=setting.actor,
            source=Mark.Source.TEACHER,
            register=register,
        )
        mark_register_taken(register=register, actor=setting.actor)

    return work


def take_by_hand(setting: Setting, group_name: str):
    """The floor: the same rows, written by hand in one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from registers.services import resolve_code

    register = setting.next_register(group_name)
    entries = setting.entries(group_name, register)
    codes = {e.code: resolve_code(setting.codes, e.code, register.date).id for e in entries}
    row = "(" + ", ".join(["%s"] * 16) + ")"
    insert_marks = f"INSERT INTO registers_mark ({MARK_COLUMNS}) VALUES {', '.join([row] * len(entries))} RETURNING id"
    history_row = "(" + ", ".join(["%s"] * 21) + ")"
    insert_history = (
        f"INSERT INTO registers_historicalmark ({HISTORY_COLUMNS}) VALUES {', '.join([history_row] * len(entries))}"
    )
    actor, school_id = setting.actor, setting.school.pk

    def work():
        now = timezone.now()
        values = []
        for e in entries:
            values.append(
                [school_id, e.pupil_id, e.date, e.session, codes[e.code], e.minutes_late, "", None, "teacher"]
                + [register.pk, actor.user.pk, actor.name, actor.position, now, "", 1]
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(insert_marks, [v for row in values for v in row])
            ids = [r[0] for r in cursor.fetchall()]
            cursor.execute(
                insert_history,
                [
                    x
                    for mark_id, row in zip(ids, values, strict=True)
                    for x in [mark_id, *row, now, "", "+", actor.user.pk]
                ],
            )
            cursor.execute(
                REGISTER_HISTORY, [actor.user.pk, now, now, f"taken by {actor.name}", actor.user.pk, register.pk]
            )
            cursor.execute(
                "UPDATE registers_register SET state = 'taken', taken_by_id = %s, taken_at = %s WHERE id = %s",
                [actor.user.pk, now, register.pk],
            )

    return work


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def count_queries(work) -> tuple[int, int]:
    """(queries, transaction-control statements) that `work` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        work()
    control = sum(1 for q in captured.captured_queries if q["sql"].upper().startswith(TRANSACTION_CONTROL))
    return len(captured.captured_queries) - control, control


def counts_cell(counts: dict[int, tuple[int, int]]) -> tuple[str, bool]:
    queries = {n: q for n, (q, _) in counts.items()}
    constant = len(set(counts.values())) == 1
    control = counts[30][1]
    text = " / ".join(str(queries[n]) for n in SIZES) + (" (constant)" if constant else " (NOT constant)")
    return f"{text} + {control} BEGIN/COMMIT", constant


def take_in_one_transaction(setting: Setting, group_name: str):
    """The service as the page could call it: both steps inside one transaction.atomic."""
    from django.db import transaction

    work = take_with_service(setting, group_name)

    def atomic_work():
        with transaction.atomic():
            work()

    return atomic_work


def service_rows(setting: Setting, runs: int, log=print) -> list[Row]:
    queries = {n: count_queries(take_with_service(setting, f"Bench {n}")) for n in SIZES}
    floor_queries = count_queries(take_by_hand(setting, "Floor 30"))
    log(f"  register service: timing {runs} registers of 30 pupils (twice) and {runs} by hand, interleaved …")
    for _ in range(3):  # warm-up
        take_with_service(setting, "Bench 30")()
        take_in_one_transaction(setting, "Bench 30")()
        take_by_hand(setting, "Floor 30")()
    service, atomic, floor = [], [], []
    for _ in range(runs):
        service.append(timed(take_with_service(setting, "Bench 30"))[0])
        atomic.append(timed(take_in_one_transaction(setting, "Bench 30"))[0])
        floor.append(timed(take_by_hand(setting, "Floor 30"))[0])
    median, atomic_median, floor_median = (
        statistics.median(service),
        statistics.median(atomic),
        statistics.median(floor),
    )
    cell, constant = counts_cell(queries)
    return [
        Row(
            "register service: SQL queries (5 / 30 / 35 pupils)",
            "1 register",
            cell,
            f"{floor_queries[0]} + {floor_queries[1]} BEGIN/COMMIT",
            ratio(queries[30][0], floor_queries[0]),
            f"constant, ≤ {QUERY_LIMIT}",
            constant and queries[30][0] <= QUERY_LIMIT,
            data={"queries": queries, "floor_queries": floor_queries},
        ),
        Row(
            "register service: server time, record_marks + taken",
            f"30 pupils, median of {runs}",
            f"{human(median)} (p90 {human(percentile(service, 90))})",
            f"{human(floor_median)} (p90 {human(percentile(floor, 90))})",
            ratio(median, floor_median),
            f"≤ {TIME_LIMIT * 1000:.0f} ms",
            median <= TIME_LIMIT,
            data={"service_s": service, "floor_s": floor},
        ),
        Row(
            "  same, both steps in one transaction (1 commit, not 3)",
            f"30 pupils, median of {runs}",
            f"{human(atomic_median)} (p90 {human(percentile(atomic, 90))})",
            human(floor_median),
            ratio(atomic_median, floor_median),
            f"≤ {TIME_LIMIT * 1000:.0f} ms",
            atomic_median <= TIME_LIMIT,
            data={"service_atomic_s": atomic},
        ),
    ]


# --- the register page ---------------------------------------------------------------------


def page_view_available() -> str | None:
    """None if the register page can be measured, else why not."""
    try:
        from django.template.loader import get_template
        from django.urls import reverse

        from registers.register_views import register_page

        if not hasattr(register_page, "register_page"):
            return "registers/register_views/register_page.py has no register_page view yet"
        reverse("registers:register", args=[1])
        get_template("registers/register_page.html")
    except Exception as error:  # the page is being built by someone else
        return f"register page not measurable yet ({type(error).__name__}: {error})"
    return None


def page_rows(setting: Setting, runs: int, floor: list[float] | None, log=print) -> list[Row]:
    from unittest import mock

    from django.test import Client
    from django.urls import reverse

    from registers import timing
    from registers.models import Mark

    why = page_view_available()
    if why:
        return [Row("register page GET/POST (django.test.Client)", "30 pupils", f"TODO: {why}")]
    client = Client()
    client.force_login(setting.user)

    def visit(group_name: str):
        register = setting.next_register(group_name)
        opens = dt.time(8, 41) if register.session == "AM" else dt.time(13, 16)
        now = dt.datetime.combine(register.date, opens, LONDON)
        url = reverse("registers:register", args=[register.pk])
        present = "/" if register.session == "AM" else "\\"
        data = {"action": "save"}
        for i, pupil_id in enumerate(setting.pupils[group_name]):
            data[f"mark-{pupil_id}"] = "L" if i == 3 else "N" if i == 7 else present
            data[f"version-{pupil_id}"] = "0"
            data[f"was-{pupil_id}"] = "|"

        def get():
            with mock.patch.object(timing, "now", return_value=now):
                response = client.get(url)
            assert response.status_code == 200, response.status_code
            return response

        def post():
            with mock.patch.object(timing, "now", return_value=now):
                response = client.post(url, data)
            assert response.status_code == 302, (response.status_code, response.content[:500])
            return response

        return register, get, post

    try:
        get_queries, post_queries = {}, {}
        for n in SIZES:
            register, get, post = visit(f"Page {n}")
            get_queries[n] = count_queries(get)
            post_queries[n] = count_queries(post)
            written = Mark.objects.filter(register=register).count()
            assert written == n, f"the POST wrote {written} marks for {n} pupils"
        log(f"  register page: timing GET and POST of {runs} registers of 30 pupils …")
        gets, posts = [], []
        for i in range(runs + 3):
            register, get, post = visit("Page 30")
            get_seconds = timed(get)[0]
            post_seconds = timed(post)[0]
            if i >= 3:
                gets.append(get_seconds)
                posts.append(post_seconds)
    except Exception as error:  # report, never fake
        return [
            Row(
                "register page GET/POST (django.test.Client)",
                "30 pupils",
                f"TODO: failed ({type(error).__name__}: {error})"[:160],
            )
        ]
    floor_median = statistics.median(floor) if floor else None
    rows = []
    for label, counts, times in (("GET", get_queries, gets), ("POST", post_queries, posts)):
        cell, constant = counts_cell(counts)
        median = statistics.median(times)
        rows.append(
            Row(
                f"register page {label}: SQL queries (5 / 30 / 35 pupils)",
                "1 register",
                cell,
                target=f"constant, ≤ {QUERY_LIMIT}",
                met=constant and counts[30][0] <= QUERY_LIMIT,
                data={"queries": counts},
            )
        )
        rows.append(
            Row(
                f"register page {label}: server time (test client)",
                f"30 pupils, median of {runs}",
                f"{human(median)} (p90 {human(percentile(times, 90))})",
                human(floor_median) if label == "POST" and floor_median else "–",
                ratio(median, floor_median) if label == "POST" and floor_median else "–",
                f"≤ {TIME_LIMIT * 1000:.0f} ms",
                median <= TIME_LIMIT,
                data={"seconds": times},
            )
        )
    return rows


def run(runs: int = 50, log=print) -> list[Row]:
    setting = Setting(log=log)
    rows = service_rows(setting, runs, log=log)
    rows += page_rows(setting, max(10, runs // 2), rows[1].data["floor_s"], log=log)
    return rows
