"""What the office must follow up: unexplained absences with the policy's steps now due, N codes
past the school's limit and whose action each waits on, and prompts to tell the local authority
(long illness, the 20-day deletion ground)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from registers.calendar import academic_year_for
from registers.models import AttendanceCode, Mark, Pupil, SchoolDay
from registers.selectors import counted_marks

from ..follow_up_presets import policy_for
from ..models import AbsenceReport, ContactAttempt, FollowUpStep, LeaveRequest
from .school_days import school_days_before

CAT = AttendanceCode.Category
UNEXPLAINED = ("N", "O")


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
        status__in=(AbsenceReport.Status.DECLINED, AbsenceReport.Status.WITHDRAWN)
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


def follow_up_case(school, pupil) -> FollowUpCase | None:
    """The pupil's unexplained absence today, if they have one."""
    cases = [c for c in unexplained_absences(school) if c.pupil.pk == pupil.pk]
    return cases[0] if cases else None


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
    ).exclude(status__in=(AbsenceReport.Status.DECLINED, AbsenceReport.Status.WITHDRAWN)):
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


def pupil_contacts(pupil):
    """The pupil's contacts in the order the office calls them."""
    return pupil.contacts.order_by("priority")


def contact_attempts(pupil):
    """The latest 50 contact attempts for the pupil, with the contact tried."""
    return ContactAttempt.objects.filter(pupil=pupil).select_related("contact")[:50]


def counted_absence_marks(school, pupil, start, end):
    return counted_marks(school=school, date_from=start, date_to=end, pupils=[pupil.pk]).filter(
        code__category__in=(CAT.AUTHORISED, CAT.UNAUTHORISED)
    )
