"""The lesson register page: SQL queries and server time of its GET and POST, measured as the
statutory register page is (bench.register_figures: queries for 5, 30 and 35 pupils, constant
and within the same limit; the median server time of registers of 30 pupils).

Runs in its own small database, `attendance_bench_lessons` (dropped and made again every run): a
secondary school on the benchmark calendar, a subject teacher, and teaching groups of 5, 30 and
35 pupils with a lesson in P3 on every weekday. Every measured register is a fresh one (the
group's lesson on the next school day), so each POST writes the same thing: 30 new lesson marks
(one `L` with its arrival time, one `N`, the rest present), their history rows, and the register
taken — through `lessons.taking`, the one register rule."""

from __future__ import annotations

import datetime as dt
import statistics
from zoneinfo import ZoneInfo

from bench.register_figures import QUERY_LIMIT, SIZES, TIME_LIMIT, count_queries, counts_cell
from bench.report import Row
from bench.timing import human, percentile, timed

DATABASE = "attendance_bench_lessons"
LONDON = ZoneInfo("Europe/London")
STARTS, ENDS = dt.time(11, 0), dt.time(12, 0)
FIGURE = "lesson register page"


class LessonSetting:
    """The school, the subject teacher and the teaching groups the lesson figures use."""

    def __init__(self, log=print):
        from django.contrib.auth import get_user_model
        from simple_history.utils import bulk_create_with_history

        from bench.databases import create_database, migrate, use_database
        from bench.synthetic import school_payload
        from lessons.models import Lesson, Membership, Period, TeachingGroup, TimetableSettings
        from registers.imports import import_school
        from registers.models import Enrolment, Pupil, RegistrationGroup, SchoolDay, Staff
        from registers.upn import make_upn

        create_database(DATABASE)
        use_database(DATABASE)
        migrate()
        groups = [{"name": f"Form {n}", "year": 9, "phase": "secondary"} for n in SIZES]
        self.school = import_school(school_payload(100, urn="990200", groups=groups))
        self.user = get_user_model().objects.create_user("bench-subject-teacher", first_name="Sam", last_name="Bench")
        self.staff = Staff.objects.create(
            user=self.user, school=self.school, position=Staff.Position.SUBJECT_TEACHER, title="Mr"
        )
        TimetableSettings.objects.create(school=self.school, late_after_minutes=5)
        days = list(SchoolDay.objects.filter(school=self.school).order_by("date").values_list("date", flat=True))
        period = Period.objects.create(school=self.school, name="P3", starts=STARTS, ends=ENDS, valid_from=days[0])
        serial = 0
        self.pupils: dict[int, list[int]] = {}
        self.lessons: dict[int, dict[int, Lesson]] = {}
        for n in SIZES:
            form = RegistrationGroup.objects.get(school=self.school, name=f"Form {n}")
            group = TeachingGroup.objects.create(school=self.school, name=f"9/Sc{n}", subject="Science", year=9)
            group.teachers.add(self.staff)
            pupils = []
            for i in range(n):
                serial += 1
                pupils.append(
                    Pupil(
                        school=self.school,
                        upn=make_upn("999", "4000", 31, serial),
                        legal_surname=f"Pupil{serial:03d}",
                        legal_forename="Alex",
                        date_of_birth=dt.date(2012, 1 + i % 12, 1 + i % 28),
                        sex="F" if i % 2 else "M",
                        year=9,
                        group=form,
                    )
                )
            created = bulk_create_with_history(pupils, Pupil, default_change_reason="benchmark")
            bulk_create_with_history(
                [Enrolment(pupil=p, admission_date=dt.date(2025, 9, 1)) for p in created],
                Enrolment,
                default_change_reason="benchmark",
            )
            Membership.objects.bulk_create([Membership(group=group, pupil=p, starts=days[0]) for p in created])
            self.pupils[n] = [p.pk for p in sorted(created, key=lambda p: p.legal_surname)]
            self.lessons[n] = {
                weekday: Lesson.objects.create(
                    school=self.school,
                    group=group,
                    period=period,
                    weekday=weekday,
                    teacher=self.staff,
                    valid_from=days[0],
                )
                for weekday in range(1, 6)
            }
        self.days = days
        self.used: dict[int, int] = {}
        log(f"  {DATABASE}: school, subject teacher and classes of {', '.join(map(str, SIZES))} pupils ready")

    def next_register(self, size: int):
        """A new lesson register for the class: its lesson on the next school day it has not had."""
        from lessons.services import open_lesson_register

        i = self.used.get(size, 0)
        self.used[size] = i + 1
        day = self.days[i]
        return open_lesson_register(lesson=self.lessons[size][day.isoweekday()], day=day, user=self.user)


def page_rows(setting: LessonSetting, runs: int, log=print) -> list[Row]:
    from unittest import mock

    from django.test import Client
    from django.urls import reverse

    from lessons.models import LessonMark
    from registers import timing

    client = Client()
    client.force_login(setting.user)

    def visit(size: int):
        register = setting.next_register(size)
        now = dt.datetime.combine(register.date, dt.time(11, 2), LONDON)
        url = reverse("lessons:register", args=[register.pk])
        data = {"action": "save"}
        for i, pupil_id in enumerate(setting.pupils[size]):
            data[f"mark-{pupil_id}"] = "L" if i == 3 else "N" if i == 7 else "/"
            data[f"version-{pupil_id}"] = "0"
            data[f"was-{pupil_id}"] = "|"
            if i == 3:
                data[f"arrived-{pupil_id}"] = "11:02"

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

    get_queries, post_queries = {}, {}
    for n in SIZES:
        register, get, post = visit(n)
        get()  # the first page of a run warms the caches (content types, the session)
        register, get, post = visit(n)
        get_queries[n] = count_queries(get)
        post_queries[n] = count_queries(post)
        written = LessonMark.objects.filter(register=register).count()
        assert written == n, f"the POST wrote {written} lesson marks for {n} pupils"
    log(f"  {FIGURE}: timing GET and POST of {runs} registers of 30 pupils …")
    gets, posts = [], []
    for i in range(runs + 3):
        register, get, post = visit(30)
        get_seconds = timed(get)[0]
        post_seconds = timed(post)[0]
        if i >= 3:
            gets.append(get_seconds)
            posts.append(post_seconds)
    rows = []
    for label, counts, times in (("GET", get_queries, gets), ("POST", post_queries, posts)):
        cell, constant = counts_cell(counts)
        median = statistics.median(times)
        rows.append(
            Row(
                f"{FIGURE} {label}: SQL queries (5 / 30 / 35 pupils)",
                "1 register",
                cell,
                target=f"constant, ≤ {QUERY_LIMIT}",
                met=constant and counts[30][0] <= QUERY_LIMIT,
                data={"queries": counts},
            )
        )
        rows.append(
            Row(
                f"{FIGURE} {label}: server time (test client)",
                f"30 pupils, median of {runs}",
                f"{human(median)} (p90 {human(percentile(times, 90))})",
                target=f"≤ {TIME_LIMIT * 1000:.0f} ms",
                met=median <= TIME_LIMIT,
                data={"seconds": times},
            )
        )
    return rows


def run(runs: int = 25, log=print) -> list[Row]:
    try:
        return page_rows(LessonSetting(log=log), runs, log=log)
    except Exception as error:  # reported, never faked
        return [Row(f"{FIGURE} GET/POST (django.test.Client)", "30 pupils", f"TODO: failed ({error!r})"[:160])]
