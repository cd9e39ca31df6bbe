"""Services that change the school's policy and its cases: keyword-only, one transaction each.

The officer decides: accepting an alert creates the case step, tasks, letter action and
monitoring period it proposes (never twice for the same alert); dismissing records a reason.
Penalty notices follow the 2024 national framework; notices to improve run 3 to 6 weeks."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from registers.models import Contact, Mark, Pupil, School, SchoolDay, Staff
from registers.selectors import PENALTY_THRESHOLD_SESSIONS, PENALTY_THRESHOLD_WEEKS, pupil_figures

from .evaluation.context import figures_dict
from .models import (
    Action,
    Alert,
    Case,
    CaseStep,
    Family,
    LadderStage,
    LegalStep,
    MonitoringPeriod,
    NoticeToImprove,
    PenaltyNotice,
    PenaltyNoticeMark,
    SupportTarget,
    TaskKind,
)
from .policy.services import load_policy_preset  # noqa: F401  (other apps load presets through here)

# --- figures ----------------------------------------------------------------------------


def year_start(school: School, on: dt.date) -> dt.date:
    from registers.calendar import academic_year_for

    year = academic_year_for(school, on)
    return year.start_date if year else on


def snapshot(pupil: Pupil, on: dt.date) -> dict:
    """The pupil's year-to-date figures on `on` (kept on each step to show the effect of support)."""
    figures = pupil_figures(school=pupil.school, date_from=year_start(pupil.school, on), date_to=on, pupils=[pupil.pk])
    return {"on": on.isoformat(), **figures_dict(figures.get(pupil.pk))}


def add_school_weeks(school: School, start: dt.date, weeks: int) -> dt.date:
    """The date `weeks` school weeks after `start` (holidays are not counted): the last school day
    of the school week `weeks - 1` after the start's; calendar weeks if the calendar runs out."""
    first = SchoolDay.objects.filter(school=school, date__gte=start).order_by("date").first()
    if first is not None:
        last = (
            SchoolDay.objects.filter(school=school, week_number=first.week_number + weeks - 1)
            .order_by("-date")
            .values_list("date", flat=True)
            .first()
        )
        if last:
            return last
    return start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)


# --- cases ------------------------------------------------------------------------------


def open_case(*, pupil: Pupil, on: dt.date, owner: Staff | None = None, user=None) -> Case:
    """The pupil's open case, or a new one."""
    case = Case.objects.filter(pupil=pupil, status=Case.Status.OPEN).first()
    if case:
        return case
    with transaction.atomic():
        family = pupil.families.order_by("pk").first()
        case = Case.objects.create(school=pupil.school, pupil=pupil, owner=owner, opened_on=on, family=family)
        CaseStep.objects.create(
            case=case, kind=CaseStep.Kind.OPENED, date=on, figures=snapshot(pupil, on), created_by=user
        )
    return case


@transaction.atomic
def link_siblings(*, pupils: list[Pupil], name: str) -> Family:
    """Siblings worked together: one family, shared by their cases (open ones now, new ones later)."""
    schools = {p.school_id for p in pupils}
    if len(pupils) < 2 or len(schools) != 1:
        raise ValidationError("A family links two or more pupils of the same school.")
    family = Family.objects.create(school_id=schools.pop(), name=name)
    family.pupils.set(pupils)
    for case in Case.objects.filter(pupil__in=pupils, status=Case.Status.OPEN, family__isnull=True):
        case.family = family
        case.save()
    return family


@transaction.atomic
def set_stage(*, case: Case, stage: LadderStage, on: dt.date, user=None, alert: Alert | None = None, note="") -> None:
    case.stage = stage
    case.save()
    values = {"date": on, "stage": stage, "note": note, "figures": snapshot(case.pupil, on), "created_by": user}
    if alert is None:
        CaseStep.objects.create(case=case, kind=CaseStep.Kind.STAGE, **values)
    else:
        CaseStep.objects.get_or_create(case=case, kind=CaseStep.Kind.STAGE, alert=alert, defaults=values)


CLOSE_OUTCOMES = {
    "improved": "Attendance improved",
    "left": "The pupil left the school",
    "local_authority": "Passed to the local authority",
    "legal": "Legal intervention concluded",
    "other": "Other",
}


@transaction.atomic
def close_case(*, case: Case, on: dt.date, outcome: str, reason: str, user=None) -> Case:
    """Close with an outcome and a reason, kept on a closing step with the figures then."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.OPEN:
        raise ValidationError("This case is already closed.")
    if outcome not in CLOSE_OUTCOMES:
        raise ValidationError("Choose the outcome of the case.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the case is being closed.")
    if on < case.opened_on:
        raise ValidationError(f"A case cannot close before it opened ({case.opened_on:%d %b %Y}).")
    case.status, case.closed_on = Case.Status.CLOSED, on
    case.save()
    CaseStep.objects.create(
        case=case,
        kind=CaseStep.Kind.CLOSED,
        date=on,
        note=f"{CLOSE_OUTCOMES[outcome]}: {reason}",
        figures=snapshot(case.pupil, on),
        created_by=user,
    )
    return case


@transaction.atomic
def reopen_case(*, case: Case, on: dt.date, reason: str, user=None) -> Case:
    """Reopen a closed case (a pupil has one open case at a time), with the reason on a step."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.CLOSED:
        raise ValidationError("This case is open.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the case is being reopened.")
    if Case.objects.filter(pupil=case.pupil_id, status=Case.Status.OPEN).exists():
        raise ValidationError(f"{case.pupil.name} already has an open case: add to that one instead.")
    if case.closed_on and on < case.closed_on:
        raise ValidationError(f"The case closed on {case.closed_on:%d %b %Y}; it cannot reopen before then.")
    case.status, case.closed_on = Case.Status.OPEN, None
    case.save()
    CaseStep.objects.create(
        case=case,
        kind=CaseStep.Kind.OPENED,
        date=on,
        note=f"Reopened: {reason}",
        figures=snapshot(case.pupil, on),
        created_by=user,
    )
    return case


@transaction.atomic
def set_case_owner(*, case: Case, owner: Staff | None) -> Case:
    """Hand the case to a member of staff of the school who works cases (or to nobody)."""
    from .permissions import CASE_MANAGERS

    if owner is not None and (owner.school_id != case.school_id or owner.position not in CASE_MANAGERS):
        raise ValidationError("The owner must be a member of the school's attendance team who works cases.")
    case.owner = owner
    case.save()
    return case


def record_action(
    *,
    case: Case,
    kind: str,
    user=None,
    on: dt.date | None = None,
    description: str = "",
    role: str = "",
    assigned_to: Staff | None = None,
    due_on: dt.date | None = None,
    done_on: dt.date | None = None,
    outcome: str = "",
    letter_template: str = "",
    alert: Alert | None = None,
) -> Action:
    if kind not in TaskKind.values:
        raise ValidationError(f"'{kind}' is not a kind of action.")
    on = on or timezone.localdate()
    return Action.objects.create(
        case=case,
        kind=kind,
        description=description,
        role=role,
        assigned_to=assigned_to,
        due_on=due_on,
        done_on=done_on,
        outcome=outcome,
        letter_template=letter_template,
        alert=alert,
        figures=snapshot(case.pupil, done_on or on),
        created_by=user,
    )


@transaction.atomic
def complete_action(*, action: Action, done_on: dt.date, outcome: str) -> Action:
    action.done_on, action.outcome = done_on, outcome
    action.figures = snapshot(action.case.pupil, done_on)
    action.save()
    return action


@transaction.atomic
def add_support_targets(*, action: Action, targets: list[dict]) -> list[SupportTarget]:
    """SMART targets: each says what (specific), how it is measured and by when; a target due
    before the plan was made cannot be met."""
    if action.kind != TaskKind.SUPPORT_PLAN:
        raise ValidationError("Targets belong to a support plan.")
    if not targets:
        raise ValidationError("Add at least one target.")
    plan_date = action.done_on or (timezone.localdate(action.created_at) if action.created_at else None)
    problems = []
    for i, t in enumerate(targets, start=1):
        if not (t.get("specific") or "").strip() or not (t.get("measure") or "").strip():
            problems.append(f"Target {i}: say what will change and how it will be measured.")
        if t.get("due_on") is None:
            problems.append(f"Target {i}: give the date it is reviewed by.")
        elif plan_date and t["due_on"] < plan_date:
            problems.append(f"Target {i}: the review date is before the plan was made ({plan_date:%d %b %Y}).")
    if problems:
        raise ValidationError(problems)
    return [SupportTarget.objects.create(action=action, **t) for t in targets]


@transaction.atomic
def add_support_plan(
    *, case: Case, on: dt.date, description: str, targets: list[dict], user=None, assigned_to: Staff | None = None
) -> Action:
    """A support plan and its SMART targets, together (a plan without targets is not a plan)."""
    if not Case.objects.filter(pk=case.pk, status=Case.Status.OPEN).exists():
        raise ValidationError("The case is closed: reopen it first.")
    plan = record_action(
        case=case,
        kind=TaskKind.SUPPORT_PLAN,
        user=user,
        on=on,
        done_on=on,
        description=description,
        assigned_to=assigned_to,
    )
    add_support_targets(action=plan, targets=targets)
    return plan


@transaction.atomic
def record_target_outcome(*, target: SupportTarget, met: bool | None) -> SupportTarget:
    """Met, not met, or back to in progress (None)."""
    if met not in (True, False, None):
        raise ValidationError("A target is met, not met or in progress.")
    target.met = met
    target.save()
    return target


def start_monitoring(*, case: Case, weeks: int, start: dt.date, alert: Alert | None = None) -> MonitoringPeriod:
    """A monitoring period from `start` for `weeks` school weeks; its review date is the end.
    The baseline is the pupil's year-to-date figures on the day before it starts."""
    if not 1 <= weeks <= 12:
        raise ValidationError("A monitoring period is between 1 and 12 weeks.")
    if alert is not None:
        existing = MonitoringPeriod.objects.filter(alert=alert).first()
        if existing:
            return existing
    return MonitoringPeriod.objects.create(
        case=case,
        start=start,
        weeks=weeks,
        review_on=add_school_weeks(case.school, start, weeks),
        baseline=snapshot(case.pupil, start - dt.timedelta(days=1)),
        alert=alert,
    )


@transaction.atomic
def review_monitoring(*, period: MonitoringPeriod, on: dt.date, outcome: str | None = None) -> MonitoringPeriod:
    figures = pupil_figures(
        school=period.case.school,
        date_from=period.start,
        date_to=min(on, period.review_on),
        pupils=[period.case.pupil_id],
    )
    period.result = figures_dict(figures.get(period.case.pupil_id))
    if outcome is None:
        base, now = period.baseline.get("attendance_percent"), period.result.get("attendance_percent")
        outcome = "improved" if now is not None and (base is None or now > base or now == 100) else "not_improved"
    period.outcome, period.reviewed_on = outcome, on
    period.save()
    return period


# --- alerts -----------------------------------------------------------------------------


def accept_alert(
    *, alert: Alert, user=None, on: dt.date | None = None, owner: Staff | None = None, choose: list[int] | None = None
) -> Case:
    """Accept an alert: open (or reuse) the pupil's case and carry out the chosen proposals
    (all, by default): the stage step, a task for the named role, a letter, a monitoring period.
    Accepting twice does nothing more."""
    on = on or timezone.localdate()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("pupil__school", "rule").get(pk=alert.pk)
        if alert.status == Alert.Status.DISMISSED:
            raise ValidationError("This alert was dismissed.")
        if alert.status == Alert.Status.ACCEPTED and alert.case_id:
            return alert.case
        case = open_case(pupil=alert.pupil, on=on, owner=owner, user=user)
        if owner and case.owner_id is None:
            case.owner = owner
            case.save()
        CaseStep.objects.get_or_create(
            case=case,
            alert=alert,
            kind=CaseStep.Kind.ALERT,
            defaults={"date": on, "note": alert.rule.name, "figures": snapshot(alert.pupil, on), "created_by": user},
        )
        chosen = alert.proposals if choose is None else [p for i, p in enumerate(alert.proposals) if i in choose]
        for proposal in chosen:
            kind = proposal["type"]
            if kind == "stage":
                stage = LadderStage.objects.filter(pk=proposal["stage_id"]).first()
                if stage:
                    set_stage(case=case, stage=stage, on=on, user=user, alert=alert)
            elif kind == "task":
                assignee = (
                    Staff.objects.filter(school=case.school, position=proposal["role"]).order_by("pk").first()
                    if proposal.get("role")
                    else None
                )
                _action_once(
                    case=case,
                    alert=alert,
                    kind=proposal["kind"],
                    description=proposal.get("description", ""),
                    role=proposal.get("role", ""),
                    assigned_to=assignee,
                    due_on=on + dt.timedelta(days=7),
                    user=user,
                    on=on,
                )
            elif kind == "letter":
                _action_once(
                    case=case,
                    alert=alert,
                    kind=TaskKind.LETTER,
                    description=proposal["label"],
                    letter_template=proposal["template"],
                    role="attendance_officer",
                    due_on=on,
                    user=user,
                    on=on,
                )
            elif kind == "monitoring":
                start_monitoring(case=case, weeks=proposal["weeks"], start=on, alert=alert)
        if alert.monitoring_period_id:
            period = alert.monitoring_period
            if period.reviewed_on is None:
                review_monitoring(period=period, on=on, outcome=alert.evidence.get("outcome"))
        alert.status, alert.case = Alert.Status.ACCEPTED, case
        alert.decided_by, alert.decided_at = user, timezone.now()
        alert.save()
    return case


def _action_once(*, case, alert, kind, letter_template="", **fields) -> Action:
    existing = Action.objects.filter(alert=alert, kind=kind, letter_template=letter_template).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return record_action(case=case, alert=alert, kind=kind, letter_template=letter_template, **fields)
    except IntegrityError:
        return Action.objects.get(alert=alert, kind=kind, letter_template=letter_template)


@transaction.atomic
def dismiss_alert(*, alert: Alert, reason: str, user=None) -> Alert:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Please give a reason for dismissing the alert.")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.NEW:
        raise ValidationError(f"This alert has already been {alert.get_status_display().lower()}.")
    alert.status, alert.dismiss_reason = Alert.Status.DISMISSED, reason
    alert.decided_by, alert.decided_at = user, timezone.now()
    alert.save()
    return alert


# --- notices to improve -------------------------------------------------------------------


@transaction.atomic
def issue_notice_to_improve(
    *,
    case: Case,
    parent: Contact,
    issued_on: dt.date,
    weeks: int,
    record_summary: str,
    support_offered: str,
    sufficient_improvement: str,
    further_support: str = "",
) -> NoticeToImprove:
    if not NoticeToImprove.MIN_WEEKS <= weeks <= NoticeToImprove.MAX_WEEKS:
        raise ValidationError(f"The improvement period is 3 to 6 weeks; {weeks} weeks is outside it.")
    if parent.pupil_id != case.pupil_id:
        raise ValidationError("The parent must be a contact of the case's pupil.")
    if not parent.parental_responsibility:
        raise ValidationError(f"{parent} does not have parental responsibility.")
    if case.status != Case.Status.OPEN:
        raise ValidationError("The case is closed: reopen it first.")
    if not support_offered.strip() or not sufficient_improvement.strip():
        raise ValidationError("Say what support has been offered and what sufficient improvement means.")
    return NoticeToImprove.objects.create(
        case=case,
        parent=parent,
        issued_on=issued_on,
        record_summary=record_summary,
        support_offered=support_offered,
        further_support=further_support,
        improvement_weeks=weeks,
        sufficient_improvement=sufficient_improvement,
        period_ends_on=issued_on + dt.timedelta(weeks=weeks),
    )


@transaction.atomic
def record_notice_outcome(*, notice: NoticeToImprove, outcome: str, on: dt.date, note: str = "") -> NoticeToImprove:
    if outcome not in NoticeToImprove.Outcome.values:
        raise ValidationError("The outcome is sufficient improvement or not.")
    if on < notice.period_ends_on:
        raise ValidationError(f"The improvement period runs until {notice.period_ends_on:%d %b %Y}.")
    notice.outcome, notice.outcome_on, notice.outcome_note = outcome, on, note
    notice.save()
    return notice


# --- penalty notices ----------------------------------------------------------------------

FIRST_FULL, FIRST_REDUCED, SECOND = 16000, 8000, 16000
THRESHOLD_SESSIONS, THRESHOLD_WEEKS = PENALTY_THRESHOLD_SESSIONS, PENALTY_THRESHOLD_WEEKS
ALTERNATIVES = [
    "an attendance contract",
    "an education supervision order",
    "prosecution under s444(1) or s444(1A) of the Education Act 1996",
    "a parenting order",
]


class PenaltyNoticeRefused(ValidationError):
    def __init__(self, message, alternatives=()):
        super().__init__(message)
        self.alternatives = list(alternatives)


def three_years_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 3)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 3, day=28)


def counting_notices(*, pupil: Pupil, parent: Contact, on: dt.date):
    """Notices to this parent for this pupil within the 3 years before `on` (withdrawn ones
    do not count)."""
    return PenaltyNotice.objects.filter(
        pupil=pupil, parent=parent, issued_on__gt=three_years_before(on), issued_on__lte=on
    ).exclude(status=PenaltyNotice.Status.WITHDRAWN)


def penalty_notice_terms(*, pupil: Pupil, parent: Contact, on: dt.date) -> dict:
    """What a notice issued on `on` would be: first (£80 within 21 days, else £160 within 28),
    second within 3 years of the first (£160, no reduction); a third within 3 years is refused
    and the alternatives are listed."""
    previous = list(counting_notices(pupil=pupil, parent=parent, on=on).order_by("issued_on"))
    if len(previous) >= 2:
        raise PenaltyNoticeRefused(
            f"A third penalty notice cannot be issued within 3 years of the first "
            f"({previous[0].issued_on:%d %b %Y}). Consider another intervention instead.",
            ALTERNATIVES,
        )
    if not previous:
        return {"sequence": 1, "amount_pence": FIRST_FULL, "reduced_amount_pence": FIRST_REDUCED}
    return {"sequence": 2, "amount_pence": SECOND, "reduced_amount_pence": None}


@transaction.atomic
def issue_penalty_notice(
    *,
    pupil: Pupil,
    parent: Contact,
    issued_on: dt.date,
    marks: list[Mark],
    la_reference: str = "",
    case: Case | None = None,
    user=None,
) -> PenaltyNotice:
    """Record a penalty notice the headteacher has decided to issue, with the marks it relies on.
    A mark relied on by another notice, or still coded N, is refused."""
    if parent.pupil_id != pupil.pk:
        raise ValidationError("The parent must be a contact of the pupil.")
    if not parent.parental_responsibility:
        raise ValidationError(f"{parent} does not have parental responsibility.")
    if case is not None and case.status != Case.Status.OPEN:
        raise ValidationError("The case is closed: reopen it first.")
    if not marks:
        raise ValidationError("A penalty notice relies on the sessions of unauthorised absence: choose them.")
    mark_ids = [m.pk for m in marks]
    rows = list(Mark.objects.filter(pk__in=mark_ids).select_related("code"))
    problems = []
    for mark in rows:
        if mark.pupil_id != pupil.pk:
            problems.append(f"{mark.date} {mark.session} is not this pupil's.")
        elif not mark.code.penalty_threshold:
            problems.append(f"{mark.date} {mark.session} ({mark.code.code}) is not unauthorised absence.")
        elif mark.code.code == "N":
            problems.append(f"{mark.date} {mark.session} is still coded N: resolve it first.")
        elif mark.date > issued_on:
            problems.append(f"{mark.date} {mark.session} is after the notice's issue date.")
    used = PenaltyNoticeMark.objects.filter(mark_id__in=mark_ids).select_related("mark", "notice")
    for link in used:
        problems.append(
            f"{link.mark.date} {link.mark.session} was already used for the notice of {link.notice.issued_on:%d %b %Y}."
        )
    if not problems:
        problems += _threshold_problems(pupil.school, rows)
    if problems:
        raise ValidationError(problems)
    terms = penalty_notice_terms(pupil=pupil, parent=parent, on=issued_on)
    notice = PenaltyNotice.objects.create(
        school=pupil.school,
        pupil=pupil,
        parent=parent,
        case=case,
        issued_on=issued_on,
        la_reference=la_reference,
        created_by=user,
        **terms,
    )
    try:
        with transaction.atomic():
            PenaltyNoticeMark.objects.bulk_create([PenaltyNoticeMark(notice=notice, mark_id=i) for i in mark_ids])
    except IntegrityError:
        raise ValidationError("Some of these sessions were used for another notice meanwhile.")
    return notice


def _threshold_problems(school: School, marks: list[Mark]) -> list[str]:
    """The national threshold: the notice relies on at least 10 unauthorised sessions within
    10 school weeks (a school week is one with sessions, so holidays do not count)."""
    if len(marks) < THRESHOLD_SESSIONS:
        return [
            f"A penalty notice relies on at least {THRESHOLD_SESSIONS} sessions of unauthorised absence "
            f"(the national threshold); {len(marks)} chosen."
        ]
    weeks = SchoolDay.objects.filter(school=school, date__in={m.date for m in marks}).aggregate(
        first=Min("week_number"), last=Max("week_number")
    )
    if weeks["first"] is not None and weeks["last"] - weeks["first"] + 1 > THRESHOLD_WEEKS:
        return [f"The sessions chosen span more than {THRESHOLD_WEEKS} school weeks: choose them within one window."]
    return []


@transaction.atomic
def set_penalty_notice_status(*, notice: PenaltyNotice, status: str, on: dt.date) -> PenaltyNotice:
    """Paid (on a date from the issue date), unpaid (only once the 28 days have passed) or
    withdrawn (final; it then no longer counts towards the limit of two in 3 years)."""
    if status not in PenaltyNotice.Status.values:
        raise ValidationError("Unknown status.")
    notice = PenaltyNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status == PenaltyNotice.Status.WITHDRAWN:
        raise ValidationError("This notice was withdrawn; it cannot change again.")
    if status == PenaltyNotice.Status.PAID and on < notice.issued_on:
        raise ValidationError(f"A notice cannot be paid before it was issued ({notice.issued_on:%d %b %Y}).")
    if status == PenaltyNotice.Status.UNPAID and on <= notice.deadline:
        raise ValidationError(f"The parent has until {notice.deadline:%d %b %Y} to pay; it is not unpaid yet.")
    notice.status = status
    notice.paid_on = on if status == PenaltyNotice.Status.PAID else None
    notice.save()
    return notice


@transaction.atomic
def refer_for_prosecution(*, notice: PenaltyNotice, on: dt.date) -> PenaltyNotice:
    notice = PenaltyNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != PenaltyNotice.Status.UNPAID:
        raise ValidationError("Only an unpaid notice is referred for prosecution.")
    if notice.prosecution_referred_on:
        raise ValidationError(f"Already referred on {notice.prosecution_referred_on:%d %b %Y}.")
    if on <= notice.deadline:
        raise ValidationError(f"The parent has until {notice.deadline:%d %b %Y} to pay.")
    notice.prosecution_referred_on = on
    notice.save()
    return notice


def amount_due(notice: PenaltyNotice, paid_on: dt.date) -> int | None:
    """Pence due if paid on `paid_on`; None once the 28 days have passed (the LA decides)."""
    if notice.reduced_amount_pence and paid_on <= notice.issued_on + dt.timedelta(days=21):
        return notice.reduced_amount_pence
    if paid_on <= notice.issued_on + dt.timedelta(days=28):
        return notice.amount_pence
    return None


def record_legal_step(*, case: Case, kind: str, on: dt.date, notes: str = "", reference: str = "", user=None):
    if kind not in LegalStep.Kind.values:
        raise ValidationError("Unknown legal intervention.")
    return LegalStep.objects.create(case=case, kind=kind, date=on, notes=notes, reference=reference, created_by=user)
