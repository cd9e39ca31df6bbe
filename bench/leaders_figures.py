"""The figures for the people who lead attendance, on a synthetic school (2,000 pupils):
the full nightly policy checks, the attendance officer's dashboard and the governors' PDF.

The checks run first: they leave the snapshot of every pupil's figures that the dashboard
reads, as in production (the nightly run, then the officer's morning). The dashboard is also
measured working those figures out live (its fallback when the checks have not run), and as
the whole page (view and template, through django.test.Client as the attendance officer).

Floors, measured in the same run:
- dashboard and checks: the very SQL statements they issued, replayed straight through a
  cursor, so the ratio is what the application adds on top of the database's own work;
- dashboard page: the selector alone (the rest is the view and the template);
- governors' PDF: WeasyPrint rendering the same HTML directly (the report's data and charts
  are the rest)."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from bench.report import Row, ratio

LONDON = ZoneInfo("Europe/London")


def _replay(statements: list[dict]) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in statements:
            sql = statement["sql"]
            if sql.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
                continue
            if sql.lstrip().upper().startswith("SELECT"):
                cursor.execute(sql)
                cursor.fetchall()
    return time.perf_counter() - started


def _timed(fn, runs: int = 3):
    """Best of `runs` after a warm-up, with the SQL of the best run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    best, queries = None, []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - started
        if best is None or elapsed < best:
            best, queries = elapsed, list(captured.captured_queries)
    return best, queries


def _dashboard_page(school, now, size, selector_seconds) -> Row:
    """GET of the dashboard page as the school's attendance officer, on the bench's last day."""
    from unittest import mock

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from registers.models import Staff

    user, _ = get_user_model().objects.get_or_create(username="bench-officer", defaults={"first_name": "Bench"})
    Staff.objects.get_or_create(
        user=user, defaults={"school": school, "position": Staff.Position.ATTENDANCE_OFFICER, "title": "Ms"}
    )
    client = Client()
    client.force_login(user)
    url = reverse("interventions:dashboard")

    def get():
        with mock.patch("django.utils.timezone.now", return_value=now):
            response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    page, _ = _timed(get)
    return Row(
        "  the whole page (view and template)",
        size,
        f"{page * 1000:.0f} ms, {len(get().content) // 1024} KB",
        f"{selector_seconds * 1000:.0f} ms (the selector)",
        ratio(page, selector_seconds),
        "≤ 300 ms",
        page <= 0.3,
    )


def run(pupils: int, meta: dict, log=print) -> list[Row]:
    from django.db.models import Max

    from interventions.evaluation import run_checks
    from interventions.models import Policy
    from interventions.selectors.dashboard import dashboard
    from interventions.services import load_policy_preset
    from registers.models import School, SchoolDay

    school = School.objects.get(pk=meta["school_id"]) if "school_id" in meta else School.objects.get()
    last_day = SchoolDay.objects.filter(school=school).aggregate(d=Max("date"))["d"]
    now = dt.datetime.combine(last_day, dt.time(10, 0), tzinfo=LONDON)
    size = f"{pupils:,} pupils, a full year"
    rows: list[Row] = []

    log("  nightly checks (preset C: bands, PA, SA, threshold, lates …)")
    if not Policy.objects.filter(school=school, active=True).exists():
        load_policy_preset(school=school, preset="C")
    checks, checks_sql = _timed(lambda: run_checks(school=school, on=last_day), runs=2)
    checks_floor = min(_replay(checks_sql) for _ in range(2))
    rows.append(
        Row(
            "nightly checks: run_checks, whole policy",
            size,
            f"{checks:.2f} s, {len(checks_sql)} statements",
            f"{checks_floor:.2f} s (its SELECTs replayed)",
            ratio(checks, checks_floor),
            "≤ 5 s and ≤ 2× floor",
            checks <= 5 and checks <= 2 * checks_floor,
        )
    )

    log("  officer dashboard (figures from the checks' snapshot, then live)")
    for live in (False, True):
        board, board_sql = _timed(lambda live=live: dashboard(school=school, today=last_day, now=now, live=live))
        board_floor = min(_replay(board_sql) for _ in range(3))
        statements = [q for q in board_sql if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        met = board <= 0.3 and len(statements) <= 30
        rows.append(
            Row(
                "officer dashboard (selector)" if not live else "  the same, figures worked out live (no run yet)",
                size,
                f"{board * 1000:.0f} ms, {len(statements)} queries",
                f"{board_floor * 1000:.0f} ms (its SQL replayed)",
                ratio(board, board_floor),
                "≤ 300 ms, ≤ 30 queries" if not live else "–",
                met if not live else None,
            )
        )
        if not live:
            selector_seconds = board
    rows.append(_dashboard_page(school, now, size, selector_seconds))

    log("  governors' report PDF")
    from django.template.loader import render_to_string

    from reports.context import report_context
    from reports.pdf import html_to_pdf, pdf_stylesheets, render_governors_report_pdf
    from reports.selectors.governors import governors_report
    from reports.selectors.periods import resolve_period

    year = SchoolDay.objects.filter(school=school, date=last_day).values_list("term__academic_year__name", flat=True)[0]
    period = resolve_period(school, f"year:{year}", today=last_day)
    started = time.perf_counter()
    pdf = render_governors_report_pdf(school, period)
    report_seconds = time.perf_counter() - started
    html = render_to_string(
        "reports/governors_report_pdf.html",
        {**report_context(governors_report(school, period), pdf=True), "pdf_stylesheets": pdf_stylesheets()},
    )
    started = time.perf_counter()
    html_to_pdf(html)
    floor_seconds = time.perf_counter() - started
    rows.append(
        Row(
            "governors' report PDF (year to date)",
            size,
            f"{report_seconds:.2f} s, {len(pdf) // 1024} KB",
            f"{floor_seconds:.2f} s (WeasyPrint, same HTML)",
            ratio(report_seconds, floor_seconds),
            "≤ 10 s",
            report_seconds <= 10,
        )
    )
    return rows
