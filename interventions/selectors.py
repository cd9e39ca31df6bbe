"""What the attendance officer's dashboard shows: "what needs doing today", in a fixed number of
queries whatever the size of the school (each list is one query; figures are aggregated in the
database in one pass)."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q

from registers.calendar import academic_year_for
from registers.models import (
    AttendanceCode,
    Mark,
    Pupil,
    Register,
    RegistrationGroup,
    School,
    SchoolDay,
)
from registers.selectors import counted_marks, registers_past_late_time

from .models import Action, Alert, Case, MonitoringPeriod, PenaltyNoticeMark

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
class Dashboard:
    today: dt.date
    school_day: bool
    unexplained_today: list
    overdue_n: list
    overdue_n_count: int
    n_cutoff: dt.date | None
    missing_registers: list[MissingRegister]
    alerts_by_rule: list[tuple[object, list]]
    new_alert_count: int
    reviews_due: list
    tasks_due: list
    newly_persistent: list[PupilLine]
    newly_severe: list[PupilLine]
    threshold: list[PupilLine]
    vulnerable_absent: list
    open_cases: dict[int, int]
    year_groups: list[int]

    @property
    def due_count(self) -> int:
        return len(self.reviews_due) + len(self.tasks_due)


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


def missing_registers(*, school: School, now: dt.datetime, filters: Filters) -> list[MissingRegister]:
    """Registers of today not taken by their late time (groups with pupils on roll). Read-only:
    a register row that does not exist yet has not been taken either."""
    from django.utils import timezone

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


def dashboard(*, school: School, today: dt.date, now: dt.datetime, filters: Filters | None = None) -> Dashboard:
    filters = filters or Filters()
    on_pupil = filters.on("pupil__")
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

    alerts = list(
        Alert.objects.filter(school=school, status=Alert.Status.NEW)
        .filter(on_pupil)
        .select_related("pupil__group", "rule")
        .order_by("rule__order", "rule_id", "-found_on", "pupil__legal_surname")
    )
    by_rule: OrderedDict = OrderedDict()
    for alert in alerts:
        by_rule.setdefault(alert.rule, []).append(alert)

    horizon = today + dt.timedelta(days=7)
    reviews = list(
        MonitoringPeriod.objects.filter(case__school=school, reviewed_on__isnull=True, review_on__lte=horizon)
        .filter(filters.on("case__pupil__"))
        .select_related("case__pupil")
        .order_by("review_on")[:LIST_LIMIT]
    )
    tasks = list(
        Action.objects.filter(case__school=school, done_on__isnull=True, due_on__lte=horizon)
        .filter(filters.on("case__pupil__"))
        .select_related("case__pupil", "assigned_to__user")
        .order_by("due_on")[:LIST_LIMIT]
    )

    newly_pa, newly_sa = _newly_persistent(school, today, filters)
    threshold = _threshold(school, today, recent_days, filters)

    vulnerable = list(
        marks.filter(date=today, code__category__in=ABSENCE)
        .filter(_prefixed(VULNERABLE, "pupil__"))
        .select_related("pupil__group", "code")
        .order_by("pupil__legal_surname", "session")[:LIST_LIMIT]
    )
    open_cases = dict(Case.objects.filter(school=school, status=Case.Status.OPEN).values_list("pupil_id", "id"))
    years = sorted(set(RegistrationGroup.objects.filter(school=school).values_list("year", flat=True)))
    return Dashboard(
        today=today,
        school_day=school_day,
        unexplained_today=unexplained,
        overdue_n=overdue,
        overdue_n_count=overdue_count,
        n_cutoff=n_cutoff,
        missing_registers=registers,
        alerts_by_rule=list(by_rule.items()),
        new_alert_count=len(alerts),
        reviews_due=reviews,
        tasks_due=tasks,
        newly_persistent=newly_pa,
        newly_severe=newly_sa,
        threshold=threshold,
        vulnerable_absent=vulnerable,
        open_cases=open_cases,
        year_groups=years,
    )


def _newly_persistent(school, today, filters, days_ago=7):
    """Pupils persistently (≥ 10 %) or severely (≥ 50 %) absent this year who were not a week
    ago: one aggregate pass over the year's marks, counting both dates at once."""
    year = academic_year_for(school, today)
    if year is None:
        return [], []
    before = today - dt.timedelta(days=days_ago)
    absent = Q(code__category__in=ABSENCE)
    earlier = Q(date__lte=before)
    rows = (
        counted_marks(school=school, date_from=year.start_date, date_to=today)
        .filter(filters.on("pupil__"))
        .values("pupil_id", **_pupil_name("pupil__"))
        .annotate(
            possible=Count("id"),
            absent=Count("id", filter=absent),
            possible_before=Count("id", filter=earlier),
            absent_before=Count("id", filter=absent & earlier),
        )
        .order_by()
    )
    pa, sa = [], []
    for r in rows:
        if not r["possible"]:
            continue
        now_pct = 100 * r["absent"] / r["possible"]
        was = 100 * r["absent_before"] / r["possible_before"] if r["possible_before"] else 0
        if now_pct >= 50 > was:
            sa.append(_line(r, f"{now_pct:.1f} % absence (was {was:.1f} % a week ago)", round(now_pct, 1)))
        elif 10 * r["absent"] >= r["possible"] and not (
            r["possible_before"] and 10 * r["absent_before"] >= r["possible_before"]
        ):
            pa.append(_line(r, f"{now_pct:.1f} % absence (was {was:.1f} % a week ago)", round(now_pct, 1)))
    key = lambda line: (-line.figure, line.name)  # noqa: E731
    return sorted(pa, key=key)[:LIST_LIMIT], sorted(sa, key=key)[:LIST_LIMIT]


def _threshold(school, today, recent_days, filters, sessions=10, weeks=10):
    """Pupils meeting the national penalty-notice threshold today (marks already relied on by
    a notice left out); N flagged as unresolved."""
    last = SchoolDay.objects.filter(school=school, date__lte=today).order_by("-date").values("week_number").first()
    if last is None:
        return []
    first_week = max(1, last["week_number"] - weeks + 1)
    start = SchoolDay.objects.filter(school=school, week_number__gte=first_week).aggregate(d=Min("date"))["d"]
    rows = (
        counted_marks(school=school, date_from=start, date_to=today)
        .filter(code__penalty_threshold=True)
        .filter(filters.on("pupil__"))
        .exclude(Exists(PenaltyNoticeMark.objects.filter(mark_id=OuterRef("pk"))))
        .values("pupil_id", **_pupil_name("pupil__"))
        .annotate(n=Count("id"), unresolved=Count("id", filter=Q(code__code="N")))
        .filter(n__gte=sessions)
        .order_by("-n")
    )
    return [
        _line(
            r,
            f"{r['n']} unauthorised sessions since {start:%d %b %Y}"
            + (f"; {r['unresolved']} still coded N" if r["unresolved"] else ""),
            r["n"],
            unresolved=r["unresolved"],
        )
        for r in rows[:LIST_LIMIT]
    ]
