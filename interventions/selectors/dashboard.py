"""What the attendance officer's dashboard shows: "what needs doing today", in a fixed number of
queries whatever the size of the school (each list is one query). The checks' new alerts are the
worklist (`interventions.selectors.worklist`): one row per pupil, most urgent first.

Only pupils on roll today are listed: a pupil who has left keeps their figures for the dates
they were on roll, but nothing is proposed for them; an open case of theirs is listed to close.

Today's things (unexplained absences, overdue N, missing registers, vulnerable pupils absent)
are read live. The year-long figures — pupils newly persistently or severely absent, pupils at
the penalty-notice threshold — come from the snapshot the last check run left
(`interventions.evaluation.snapshot.write_snapshot`), and the page says when that was; with no run for
today or the previous school day they are worked out live by the same code the checks use."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q
from django.utils import timezone

from registers.models import AttendanceCode, Mark, Pupil, Register, RegistrationGroup, School, SchoolDay
from registers.selectors import PENALTY_THRESHOLD_SESSIONS, pupils_on_roll, registers_past_late_time

from ..evaluation.context import Context
from ..evaluation.snapshot import pupil_snapshot
from ..models import Action, Alert, Case, CheckRun, MonitoringPeriod, NoticeToImprove, PupilSnapshot
from ..policy.letter_templates import letter_titles
from .worklist import ROWS_SHOWN, WorkRow, alert_details, new_alert_rows, spell_out, worklist

CAT = AttendanceCode.Category
ABSENCE = (CAT.AUTHORISED, CAT.UNAUTHORISED)
N_DEADLINE_SCHOOL_DAYS = 5
LIST_LIMIT = 200

CHARACTERISTICS = OrderedDict(
    [
        ("fsm", ("Free school meals", Q(fsm=True))),
        ("sen_support", ("SEN support", Q(sen=Pupil.SEN.SUPPORT))),
        ("ehcp", ("EHC plan", Q(sen=Pupil.SEN.EHCP))),
        ("eal", ("EAL", Q(eal=True))),
        ("looked_after", ("Looked after", Q(looked_after=True))),
        ("previously_looked_after", ("Previously looked after", Q(previously_looked_after=True))),
        ("child_in_need", ("Child in need / social worker", Q(child_in_need=True))),
        ("young_carer", ("Young carer", Q(young_carer=True))),
    ]
)
VULNERABLE = Q(child_in_need=True) | Q(looked_after=True) | Q(sen=Pupil.SEN.EHCP)


def _prefixed(q: Q, prefix: str) -> Q:
    """`q` on Pupil, re-rooted at `prefix` (e.g. 'pupil__')."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_prefixed(child, prefix))
        else:
            key, value = child
            out.children.append((prefix + key, value))
    return out


@dataclass
class Filters:
    year: int | None = None
    characteristic: str | None = None

    def pupil_q(self) -> Q:
        q = Q()
        if self.year is not None:
            q &= Q(year=self.year)
        if self.characteristic in CHARACTERISTICS:
            q &= CHARACTERISTICS[self.characteristic][1]
        return q

    def on(self, prefix: str) -> Q:
        return _prefixed(self.pupil_q(), prefix)

    @property
    def active(self) -> bool:
        return self.year is not None or bool(self.characteristic)


@dataclass
class MissingRegister:
    group: RegistrationGroup
    session: str
    late_after: dt.time
    closes: dt.time


@dataclass
class PupilLine:
    pupil_id: int
    name: str
    year: int
    group: str
    detail: str
    figure: float | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class FiguresSource:
    """Where the year-long figures came from: a check run (its date and when it was computed)
    or worked out live for `on`."""

    on: dt.date
    computed_at: dt.datetime | None = None
    live: bool = False
    threshold_from: dt.date | None = None

    @property
    def computed_another_day(self) -> bool:
        """A run for a past date (or the nightly run just after midnight): say which date."""
        return self.computed_at is not None and timezone.localtime(self.computed_at).date() != self.on


@dataclass
class Dashboard:
    today: dt.date
    school_day: bool
    unexplained_today: list
    overdue_n: list
    overdue_n_count: int
    n_cutoff: dt.date | None
    missing_registers: list[MissingRegister]
    worklist: list[WorkRow]
    worklist_total: int
    reviews_due: list
    tasks_due: list
    notices_due: list
    newly_persistent: list[PupilLine]
    newly_severe: list[PupilLine]
    threshold: list[PupilLine]
    vulnerable_absent: list
    open_cases: dict[int, int]
    year_groups: list[int]
    figures: FiguresSource | None = None
    left_with_open_case: list = field(default_factory=list)

    @property
    def due_count(self) -> int:
        return len(self.reviews_due) + len(self.tasks_due) + len(self.notices_due)


def _pupil_name(prefix=""):
    return {
        "forename": F(f"{prefix}legal_forename"),
        "preferred": F(f"{prefix}preferred_forename"),
        "surname": F(f"{prefix}legal_surname"),
        "preferred_surname": F(f"{prefix}preferred_surname"),
        "year_group": F(f"{prefix}year"),
        "group_name": F(f"{prefix}group__name"),
    }


def _line(row, detail, figure=None, **extra) -> PupilLine:
    name = f"{row['preferred'] or row['forename']} {row['preferred_surname'] or row['surname']}"
    return PupilLine(row["pupil_id"], name, row["year_group"], row["group_name"] or "", detail, figure, extra)


def year_groups(school: School) -> list[int]:
    """The year groups the school's registration groups cover, lowest first (the filters offer them)."""
    return sorted(set(RegistrationGroup.objects.filter(school=school).values_list("year", flat=True)))


def missing_registers(*, school: School, now: dt.datetime, filters: Filters) -> list[MissingRegister]:
    """Registers of today not taken by their late time (groups with pupils on roll). Read-only:
    a register row that does not exist yet has not been taken either."""
    today = timezone.localtime(now).date()
    taken = set(
        Register.objects.filter(school=school, date=today)
        .exclude(state=Register.State.NOT_TAKEN)
        .values_list("group_id", "session")
    )
    return [
        MissingRegister(group, session, rt.late_after, rt.closes)
        for group, session, rt in registers_past_late_time(school=school, now=now, year=filters.year)
        if (group.pk, session) not in taken
    ]


def dashboard(
    *,
    school: School,
    today: dt.date,
    now: dt.datetime,
    filters: Filters | None = None,
    all_rows: bool = False,
    live: bool = False,
) -> Dashboard:
    """Everything the dashboard lists. The worklist is cut to its `ROWS_SHOWN` most urgent
    rows (all of them with `all_rows`), so the page stays quick to render after a first run
    that finds hundreds. `live=True` works the year-long figures out now even when a check
    run's snapshot is fresh (the benchmark and the tests compare the two)."""
    filters = filters or Filters()
    on_pupil = filters.on("pupil__")
    on_roll = pupils_on_roll(school=school, date_from=today, date_to=today)
    recent_days = list(
        SchoolDay.objects.filter(school=school, date__lte=today)
        .order_by("-date")
        .values_list("date", flat=True)[: N_DEADLINE_SCHOOL_DAYS + 1]
    )
    school_day = bool(recent_days) and recent_days[0] == today
    marks = Mark.objects.filter(school=school).filter(on_pupil)

    unexplained = list(
        marks.filter(date=today, code__code="N")
        .select_related("pupil__group")
        .order_by("pupil__year", "pupil__legal_surname", "session")[:LIST_LIMIT]
    )
    n_cutoff = recent_days[N_DEADLINE_SCHOOL_DAYS] if len(recent_days) > N_DEADLINE_SCHOOL_DAYS else None
    overdue, overdue_count = [], 0
    if n_cutoff:
        overdue_rows = list(
            marks.filter(date__lt=n_cutoff, code__code="N")
            .values("pupil_id", **_pupil_name("pupil__"))
            .annotate(n=Count("id"), oldest=Min("date"), latest=Max("date"))
            .order_by("oldest")
        )
        overdue_count = sum(r["n"] for r in overdue_rows)
        overdue = [
            _line(r, f"{r['n']} session{'s' if r['n'] != 1 else ''} coded N since {r['oldest']:%d %b}", n=r["n"])
            for r in overdue_rows[:LIST_LIMIT]
        ]

    registers = missing_registers(school=school, now=now, filters=filters) if school_day else []

    alerts = new_alert_rows(school=school, today=today, pupil_q=on_pupil)

    horizon = today + dt.timedelta(days=7)
    on_case_pupil = filters.on("case__pupil__") & Q(case__pupil__in=on_roll)
    reviews = list(
        MonitoringPeriod.objects.filter(case__school=school, reviewed_on__isnull=True, review_on__lte=horizon)
        .filter(on_case_pupil)
        .select_related("case__pupil")
        .order_by("review_on")[:LIST_LIMIT]
    )
    tasks = list(
        Action.objects.filter(case__school=school, done_on__isnull=True, due_on__lte=horizon)
        .filter(on_case_pupil)
        .select_related("case__pupil", "assigned_to__user")
        .order_by("due_on")[:LIST_LIMIT]
    )
    # a notice to improve whose improvement period ends is a review too: was it sufficient?
    notices = list(
        NoticeToImprove.objects.filter(case__school=school, outcome="", period_ends_on__lte=horizon)
        .filter(on_case_pupil)
        .select_related("case__pupil")
        .order_by("period_ends_on")[:LIST_LIMIT]
    )

    also = {a["pupil_id"] for a in alerts}
    source, rows = _figure_rows(school, today, recent_days, filters, on_roll, also=also, live=live)
    newly_pa, newly_sa = _newly_persistent(rows)
    threshold = _threshold(rows, source)

    vulnerable = list(
        marks.filter(date=today, code__category__in=ABSENCE)
        .filter(_prefixed(VULNERABLE, "pupil__"))
        .select_related("pupil__group", "code")
        .order_by("pupil__legal_surname", "session")[:LIST_LIMIT]
    )
    cases = {
        pupil_id: (case_id, stage, stage_name)
        for pupil_id, case_id, stage, stage_name in Case.objects.filter(
            school=school, status=Case.Status.OPEN
        ).values_list("pupil_id", "id", "stage__order", "stage__name")
    }
    open_cases = {pupil_id: case[0] for pupil_id, case in cases.items()}
    work = worklist(alerts, figures={r["pupil_id"]: r for r in rows}, cases=cases)
    shown = work if all_rows else work[:ROWS_SHOWN]
    spell_out(
        shown,
        details=alert_details([a["pk"] for row in shown for a in row.alerts]),
        cases=cases,
        titles=letter_titles(school) if shown else {},
    )
    left = list(
        Case.objects.filter(school=school, status=Case.Status.OPEN)
        .exclude(pupil__in=on_roll)
        .filter(filters.on("pupil__"))
        .select_related("pupil")
        .order_by("pupil__legal_surname", "pk")[:LIST_LIMIT]
    )
    years = year_groups(school)
    return Dashboard(
        today=today,
        school_day=school_day,
        unexplained_today=unexplained,
        overdue_n=overdue,
        overdue_n_count=overdue_count,
        n_cutoff=n_cutoff,
        missing_registers=registers,
        worklist=shown,
        worklist_total=len(work),
        reviews_due=reviews,
        tasks_due=tasks,
        notices_due=notices,
        newly_persistent=newly_pa,
        newly_severe=newly_sa,
        threshold=threshold,
        vulnerable_absent=vulnerable,
        open_cases=open_cases,
        year_groups=years,
        figures=source,
        left_with_open_case=left,
    )


_FIGURES = (
    "national_age",
    "possible",
    "authorised",
    "unauthorised",
    "possible_week_before",
    "absent_week_before",
    "threshold_sessions",
    "threshold_unresolved",
)


def _fresh_from(today, recent_days) -> dt.date:
    """The earliest check run still current: today's, or the previous school day's (the
    nightly run) — on a day without school, the last school day's."""
    if not recent_days:
        return today
    if recent_days[0] == today:
        return recent_days[1] if len(recent_days) > 1 else today
    return recent_days[0]


def _wanted() -> Q:
    """Snapshot rows the dashboard lists: pupils of national-statistics age persistently
    absent now (newly or not is decided by comparing with a week before), and pupils at the
    penalty-notice threshold."""
    return Q(persistent=True, national_age=True) | Q(threshold_sessions__gte=PENALTY_THRESHOLD_SESSIONS)


def _figure_rows(
    school, today, recent_days, filters, on_roll, *, also=frozenset(), live=False
) -> tuple[FiguresSource | None, list[dict]]:
    """The pupils the year-long lists may show (on roll today), and those with new alerts (the
    worklist's, `also` when worked out live), with their figures and names: two queries from
    the latest fresh snapshot, or the checks' own computation when there is none."""
    run = None
    if not live:
        run = (
            CheckRun.objects.filter(school=school, date__lte=today, date__gte=_fresh_from(today, recent_days))
            .order_by("-date")
            .first()
        )
    if run is not None:
        rows = list(
            PupilSnapshot.objects.filter(run=run)
            .filter(_wanted() | Q(Exists(Alert.objects.filter(pupil_id=OuterRef("pupil_id"), status=Alert.Status.NEW))))
            .filter(filters.on("pupil__"), pupil__in=on_roll)
            .values("pupil_id", *_FIGURES, **_pupil_name("pupil__"))
        )
        return FiguresSource(run.date, run.computed_at, False, run.threshold_from), rows

    ctx = Context(school, today)
    if not ctx.ready:
        return None, []
    fields, snapshots = pupil_snapshot(ctx)
    wanted = {
        s["pupil_id"]: s
        for s in snapshots
        if (s["persistent"] and s["national_age"])
        or s["threshold_sessions"] >= PENALTY_THRESHOLD_SESSIONS
        or s["pupil_id"] in also
    }
    names = (
        on_roll.filter(pk__in=list(wanted))
        .filter(filters.pupil_q())
        .values(
            "preferred_surname",
            **{k: v for k, v in _pupil_name().items() if k != "preferred_surname"},
            pupil_id=F("pk"),
        )
    )
    rows = [{**{name: wanted[r["pupil_id"]][name] for name in _FIGURES}, **r} for r in names]
    return FiguresSource(today, None, True, fields["threshold_from"]), rows


def _percent(absent, possible) -> float:
    return 100 * absent / possible if possible else 0.0


def _newly_persistent(rows):
    """Pupils persistently (≥ 10 %) or severely (≥ 50 %) absent this year to date who were not
    a week before (exact integer comparisons, as in `AttendanceFigures`)."""
    pa, sa = [], []
    for r in rows:
        if not r["national_age"]:
            continue
        possible, absent = r["possible"], r["authorised"] + r["unauthorised"]
        before_possible, before_absent = r["possible_week_before"], r["absent_week_before"]
        if not possible or 10 * absent < possible:
            continue
        now_pct, was = _percent(absent, possible), _percent(before_absent, before_possible)
        detail = f"{now_pct:.1f} % absence (was {was:.1f} % a week before)"
        if 2 * absent >= possible and not (before_possible and 2 * before_absent >= before_possible):
            sa.append(_line(r, detail, round(now_pct, 1)))
        elif not (before_possible and 10 * before_absent >= before_possible):
            pa.append(_line(r, detail, round(now_pct, 1)))
    key = lambda line: (-line.figure, line.name, line.pupil_id)  # noqa: E731
    return sorted(pa, key=key)[:LIST_LIMIT], sorted(sa, key=key)[:LIST_LIMIT]


def _threshold(rows, source):
    """Pupils meeting the national penalty-notice threshold (sessions of compulsory school age
    not already relied on by a notice); N flagged as unresolved."""
    lines = [
        _line(
            r,
            f"{r['threshold_sessions']} unauthorised sessions since {source.threshold_from:%d %b %Y}"
            + (f"; {r['threshold_unresolved']} still coded N" if r["threshold_unresolved"] else ""),
            r["threshold_sessions"],
            unresolved=r["threshold_unresolved"],
        )
        for r in rows
        if r["threshold_sessions"] >= PENALTY_THRESHOLD_SESSIONS
    ]
    return sorted(lines, key=lambda line: (-line.figure, line.name, line.pupil_id))[:LIST_LIMIT]
