"""Reading what families told the school and what the office must do next."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from registers.calendar import academic_year_for
from registers.models import AttendanceCode, Mark, Pupil, SchoolDay
from registers.selectors import AttendanceFigures, counted_marks, pupil_figures

from .follow_up_presets import policy_for
from .models import AbsenceReport, AssessmentPeriod, ContactAttempt, FollowUpStep, LeaveRequest

CAT = AttendanceCode.Category
UNEXPLAINED = ("N", "O")


def school_days_before(school, on: dt.date, count: int) -> list[dt.date]:
    """The last `count` school days up to and including `on`, newest first."""
    return list(
        SchoolDay.objects.filter(school=school, date__lte=on).order_by("-date").values_list("date", flat=True)[:count]
    )


def year_range(school, today: dt.date) -> tuple[dt.date, dt.date]:
    year = academic_year_for(school, today)
    if year is None:
        return today, today
    return year.start_date, min(today, year.end_date)


# --- the parent's view ----------------------------------------------------------------------


# What each code means, in the words a parent would use (the code table's meaning otherwise).
PLAIN = {
    "/": "In school",
    "\\": "In school",
    "L": "Arrived late, before the register closed (counts as in school)",
    "U": "Arrived after the register closed (counts as an unauthorised absence)",
    "I": "Ill (authorised absence)",
    "M": "Medical or dental appointment (authorised absence)",
    "R": "Religious observance (authorised absence)",
    "C": "Leave agreed by the headteacher (authorised absence)",
    "C1": "Leave agreed for a performance or job abroad (authorised absence)",
    "C2": "Part-time timetable agreed with the school (authorised absence)",
    "J1": "Interview (authorised absence)",
    "S": "Study leave (authorised absence)",
    "N": "Absent: the school doesn't know the reason yet. Please tell us",
    "O": "Absent without a reason the school could authorise (unauthorised absence)",
    "G": "Holiday the school did not agree (unauthorised absence)",
    "#": "School closed",
    "V": "Educational visit or trip",
    "P": "Approved sporting activity",
    "B": "Approved educational activity",
    "W": "Work experience",
    "K": "Education arranged by the local authority",
    "E": "Suspended or excluded, no other education arranged (authorised absence)",
    "T": "Travelling with the family's work (authorised absence)",
}


def plain_meaning(code) -> str:
    return PLAIN.get(code.code, code.meaning)


@dataclass
class ChildSummary:
    pupil: Pupil
    figures: AttendanceFigures
    recent: list
    date_from: dt.date
    date_to: dt.date
    planned: list = field(default_factory=list)

    @property
    def days_missed(self) -> float:
        return self.figures.absent / 2

    @property
    def recent_rows(self):
        return [(m, plain_meaning(m.code)) for m in self.recent]

    @property
    def planned_rows(self):
        return [(m, plain_meaning(m.code)) for m in self.planned]


def child_summary(pupil: Pupil, today: dt.date | None = None, recent_days: int = 10) -> ChildSummary:
    today = today or timezone.localdate()
    start, end = year_range(pupil.school, today)
    figures = pupil_figures(
        school=pupil.school, date_from=start, date_to=end, pupils=[pupil.pk], include_subsidiary=True
    ).get(pupil.pk, AttendanceFigures())
    days = school_days_before(pupil.school, end, recent_days)
    recent = list(Mark.objects.filter(pupil=pupil, date__in=days).select_related("code").order_by("-date", "-session"))
    planned = list(
        Mark.objects.filter(pupil=pupil, date__gt=today)
        .exclude(code__code="#")
        .select_related("code")
        .order_by("date", "session")[:20]
    )
    return ChildSummary(pupil, figures, recent, start, end, planned)


# --- the office ---------------------------------------------------------------------------


def open_reports(school):
    return (
        AbsenceReport.objects.filter(school=school, status__in=AbsenceReport.OPEN)
        .select_related("pupil", "pupil__group", "contact")
        .prefetch_related("evidence")
        .order_by("start_date", "created_at")
    )


@dataclass
class OverdueN:
    mark: Mark
    school_days_old: int
    waiting_on: str
    report: AbsenceReport | None = None


def overdue_n(school, on: dt.date | None = None) -> list[OverdueN]:
    """N marks not replaced within the school's limit (5 school days in the regulations), each
    with whose action it waits on."""
    on = on or timezone.localdate()
    limit = policy_for(school).n_resolve_school_days
    days = school_days_before(school, on, limit + 1)
    if len(days) <= limit:
        return []
    cutoff = days[limit]  # an N on this day is at its last allowed day today
    marks = list(
        Mark.objects.filter(school=school, code__code="N", date__lt=cutoff)
        .select_related("pupil", "pupil__group", "code")
        .order_by("date", "session", "pupil__legal_surname")
    )
    if not marks:
        return []
    pupil_ids = {m.pupil_id for m in marks}
    first = min(m.date for m in marks)
    reports = defaultdict(list)
    for report in AbsenceReport.objects.filter(pupil_id__in=pupil_ids, end_date__gte=first).exclude(
        status=AbsenceReport.Status.DECLINED
    ):
        reports[report.pupil_id].append(report)
    leave = defaultdict(list)
    for request in LeaveRequest.objects.filter(pupil_id__in=pupil_ids, end_date__gte=first):
        leave[request.pupil_id].append(request)
    attempts = defaultdict(list)
    for attempt in ContactAttempt.objects.filter(pupil_id__in=pupil_ids, made_at__date__gte=first):
        attempts[attempt.pupil_id].append(attempt)
    day_index = {
        d: i
        for i, d in enumerate(
            SchoolDay.objects.filter(school=school, date__range=(first, on))
            .order_by("date")
            .values_list("date", flat=True)
        )
    }
    rows = []
    for mark in marks:
        age = len(day_index) - 1 - day_index.get(mark.date, 0)
        report = next((r for r in reports[mark.pupil_id] if r.covers(mark.date, mark.session)), None)
        request = next((r for r in leave[mark.pupil_id] if r.covers(mark.date, mark.session)), None)
        tried = [a for a in attempts[mark.pupil_id] if a.absence_date <= mark.date]
        if report and report.status == AbsenceReport.Status.QUERIED:
            waiting = f"The parent: the office asked a question on {report.decided_at:%d %b}"
        elif report and report.status == AbsenceReport.Status.SUBMITTED:
            waiting = "The office: a parent's report is waiting for a decision"
        elif report:
            waiting = "The office: the report was accepted but this session still shows N"
        elif request and request.status == LeaveRequest.Status.SUBMITTED:
            waiting = "The headteacher: a leave request covers this session"
        elif request and request.status == LeaveRequest.Status.REFUSED:
            waiting = "The office: refused leave appears to have been taken (G or O)"
        elif tried:
            waiting = f"The family: {len(tried)} contact attempt(s) logged, no reason yet"
        else:
            waiting = "The office: nobody has contacted the family yet"
        rows.append(OverdueN(mark, age, waiting, report))
    return rows


@dataclass
class FollowUpCase:
    pupil: Pupil
    first_day: dt.date
    day_number: int  # school days of unexplained absence so far
    unexplained_today: bool
    due: list[FollowUpStep]
    done: list[ContactAttempt]
    contacts: list
    needs_social_worker: bool
    cme_prompt: bool


def _runs(school, on: dt.date, lookback: int) -> tuple[list[dt.date], dict[int, dict[dt.date, set[str]]]]:
    days = school_days_before(school, on, lookback)
    codes: dict[int, dict[dt.date, set[str]]] = defaultdict(lambda: defaultdict(set))
    if not days:
        return days, codes
    for pupil_id, day, symbol in Mark.objects.filter(school=school, date__in=days).values_list(
        "pupil_id", "date", "code__code"
    ):
        codes[pupil_id][day].add(symbol)
    return days, codes


def unexplained_absences(school, on: dt.date | None = None) -> list[FollowUpCase]:
    """Pupils absent without an explanation (N or O) on the latest school day up to `on`, with
    how many school days the absence has run and the policy's steps now due."""
    on = on or timezone.localdate()
    policy = policy_for(school)
    steps = list(policy.steps.all())
    lookback = max([policy.cme_referral_school_days, policy.deletion_ground_school_days, *[s.day for s in steps]]) + 5
    days, codes = _runs(school, on, lookback)
    if not days:
        return []
    latest = days[0]
    pupils_today = [pid for pid, by_day in codes.items() if by_day.get(latest, set()) & set(UNEXPLAINED)]
    if not pupils_today:
        return []
    pupils = {
        p.pk: p for p in Pupil.objects.filter(pk__in=pupils_today).select_related("group").prefetch_related("contacts")
    }
    cases = []
    for pid in pupils_today:
        run = 0
        for day in days:  # newest first: count consecutive school days with an unexplained session
            if codes[pid].get(day, set()) & set(UNEXPLAINED) and not codes[pid].get(day, set()) - {"N", "O", "G"}:
                run += 1
            else:
                break
        run = max(run, 1)
        first_day = days[run - 1]
        done = list(ContactAttempt.objects.filter(pupil_id=pid, absence_date=first_day).order_by("made_at"))
        done_on = defaultdict(set)
        for attempt in done:
            done_on[attempt.action].add(timezone.localtime(attempt.made_at).date())
        due = []
        for step in steps:
            if step.day > run:
                continue
            if step.repeat_daily:
                if latest not in done_on[step.action]:
                    due.append(step)
            elif not done_on[step.action]:
                due.append(step)
        pupil = pupils[pid]
        contacts = sorted(pupil.contacts.all(), key=lambda c: c.priority)
        told_sw = any(a.action == ContactAttempt.Action.SOCIAL_WORKER for a in done)
        cme_done = any(a.action == ContactAttempt.Action.CME_REFERRAL for a in done)
        cases.append(
            FollowUpCase(
                pupil=pupil,
                first_day=first_day,
                day_number=run,
                unexplained_today=True,
                due=due,
                done=done,
                contacts=contacts,
                needs_social_worker=(pupil.child_in_need or pupil.looked_after) and not told_sw,
                cme_prompt=run >= policy.cme_referral_school_days and not cme_done,
            )
        )
    cases.sort(key=lambda c: (-c.day_number, c.pupil.legal_surname))
    return cases


@dataclass
class Prompt:
    pupil: Pupil
    kind: str
    text: str
    since: dt.date | None = None


def deletion_ground_prompts(school, on: dt.date | None = None) -> list[Prompt]:
    """Pupils whose every session in the last N consecutive school days (20 by default) is coded
    with a code the table marks as counting for the deletion ground (G, N, O). A prompt to make
    enquiries with the LA, never a deletion."""
    on = on or timezone.localdate()
    n = policy_for(school).deletion_ground_school_days
    days = school_days_before(school, on, n)
    if len(days) < n:
        return []
    rows = (
        Mark.objects.filter(school=school, date__in=days)
        .values("pupil_id")
        .annotate(total=Count("id"), ground=Count("id", filter=Q(code__deletion_ground=True)))
        .filter(ground=2 * n, total=2 * n)
    )
    ids = [r["pupil_id"] for r in rows]
    reviewed = set(
        ContactAttempt.objects.filter(
            pupil_id__in=ids, action=ContactAttempt.Action.DELETION_REVIEW, absence_date__gte=days[-1]
        ).values_list("pupil_id", flat=True)
    )
    return [
        Prompt(
            p,
            "deletion_ground",
            f"Every session for {n} consecutive school days is G, N or O (since {days[-1]:%d %b %Y}). "
            "This may be a ground for deletion from the roll after reasonable enquiries with the local "
            "authority. Nothing is deleted automatically.",
            days[-1],
        )
        for p in Pupil.objects.filter(pk__in=ids).exclude(pk__in=reviewed).select_related("group")
    ]


def illness_prompts(school, on: dt.date | None = None) -> list[Prompt]:
    """Pupils whose illness this year (marks already recorded, planned marks from accepted
    reports, and open reports' expected return) reaches the school's limit (15 school days)."""
    on = on or timezone.localdate()
    policy = policy_for(school)
    year = academic_year_for(school, on)
    if year is None:
        return []
    sessions = dict(
        Mark.objects.filter(school=school, date__range=(year.start_date, year.end_date), code__code="I")
        .values("pupil_id")
        .annotate(n=Count("id"))
        .values_list("pupil_id", "n")
    )
    extra: dict[int, int] = defaultdict(int)
    for report in AbsenceReport.objects.filter(
        school=school, reason=AbsenceReport.Reason.ILLNESS, expected_return__isnull=False
    ).exclude(status=AbsenceReport.Status.DECLINED):
        if report.expected_return > report.end_date + dt.timedelta(days=1):
            extra[report.pupil_id] += (
                2
                * SchoolDay.objects.filter(
                    school=school, date__gt=report.end_date, date__lt=report.expected_return
                ).count()
            )
        if report.status != AbsenceReport.Status.ACCEPTED:
            extra[report.pupil_id] += (
                2 * SchoolDay.objects.filter(school=school, date__range=(report.start_date, report.end_date)).count()
            )
    limit = 2 * policy.illness_la_school_days
    ids = [pid for pid in set(sessions) | set(extra) if sessions.get(pid, 0) + extra.get(pid, 0) >= limit]
    told = set(
        ContactAttempt.objects.filter(
            pupil_id__in=ids, action=ContactAttempt.Action.LA_ILLNESS, absence_date__gte=year.start_date
        ).values_list("pupil_id", flat=True)
    )
    return [
        Prompt(
            p,
            "illness",
            f"Illness this year is expected to reach {(sessions.get(p.pk, 0) + extra.get(p.pk, 0)) / 2:g} school days "
            f"(the limit is {policy.illness_la_school_days}): tell the local authority.",
        )
        for p in Pupil.objects.filter(pk__in=ids).exclude(pk__in=told).select_related("group")
    ]


# --- facts for the head's leave decision ----------------------------------------------------


def sessions_text(n: int) -> str:
    return f"{n} session{'' if n == 1 else 's'}"


@dataclass
class Fact:
    text: str
    concern: bool = False


def leave_facts(request: LeaveRequest, today: dt.date | None = None) -> list[Fact]:
    """The school's rules as facts about this pupil and this request, for the head to weigh;
    none of them decides anything by itself."""
    today = today or timezone.localdate()
    policy = policy_for(request.school)
    facts = []
    asked = timezone.localtime(request.created_at).date()
    notice = (request.start_date - asked).days
    facts.append(
        Fact(
            f"Requested {notice} days before the first day; the school's policy asks for {policy.leave_notice_days}.",
            notice < policy.leave_notice_days,
        )
    )
    sessions = (
        SchoolDay.objects.filter(school=request.school, date__range=(request.start_date, request.end_date)).count() * 2
        - (request.start_session == "PM")
        - (request.end_session == "AM")
    )
    facts.append(Fact(f"The request covers {sessions_text(sessions)} ({sessions / 2:g} school days)."))
    periods = AssessmentPeriod.objects.filter(
        school=request.school, start_date__lte=request.end_date, end_date__gte=request.start_date
    )
    for period in periods:
        facts.append(
            Fact(
                f"It overlaps {period}."
                + (
                    " The policy refuses leave during assessment periods."
                    if policy.refuse_leave_in_assessment_periods
                    else ""
                ),
                True,
            )
        )
    if not periods:
        facts.append(Fact("It does not overlap an assessment period."))
    start, end = year_range(request.school, today)
    figures = pupil_figures(
        school=request.school, date_from=start, date_to=end, pupils=[request.pupil_id], include_subsidiary=True
    ).get(request.pupil_id, AttendanceFigures())
    if figures.possible:
        limit = policy.leave_authorised_limit_percent
        text = (
            f"This year so far: attendance {figures.attendance_percent:.1f} %, authorised absence "
            f"{figures.authorised_percent:.1f} % ({sessions_text(figures.authorised)}), unauthorised absence "
            f"{figures.unauthorised_percent:.1f} % ({sessions_text(figures.unauthorised)})."
        )
        facts.append(Fact(text))
        if limit is not None:
            over = figures.authorised_percent > float(limit)
            facts.append(
                Fact(
                    f"Authorised absence is {'above' if over else 'within'} the policy's {limit} % limit.",
                    over,
                )
            )
        if figures.unauthorised:
            facts.append(
                Fact(
                    f"The record shows {sessions_text(figures.unauthorised)} of unauthorised absence this year."
                    + (" The policy refuses leave in that case." if policy.leave_refuse_if_unauthorised else ""),
                    policy.leave_refuse_if_unauthorised,
                )
            )
    else:
        facts.append(Fact("No attendance recorded yet this year."))
    others = LeaveRequest.objects.filter(pupil=request.pupil, status=LeaveRequest.Status.GRANTED).exclude(pk=request.pk)
    if others.exists():
        facts.append(Fact(f"{others.count()} earlier leave request(s) granted for this pupil."))
    if request.start_date <= today:
        facts.append(Fact("The first day has passed: leave can't be granted retrospectively.", True))
    return facts


def counted_absence_marks(school, pupil, start, end):
    return counted_marks(school=school, date_from=start, date_to=end, pupils=[pupil.pk]).filter(
        code__category__in=(CAT.AUTHORISED, CAT.UNAUTHORISED)
    )


def reported_pupil_ids(*, school, day: dt.date, session: str) -> set[int]:
    """Pupils whose parent/carer has reported an absence covering this session (waiting,
    queried or accepted — not declined): the office does not need to chase them first."""
    from .models import AbsenceReport

    reports = AbsenceReport.objects.filter(school=school, start_date__lte=day, end_date__gte=day).exclude(
        status=AbsenceReport.Status.DECLINED
    )
    return {report.pupil_id for report in reports if report.covers(day, session)}
