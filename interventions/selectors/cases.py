"""What the cases pages read: the cases list with the next thing due on each, and a case's
record (its steps, actions, monitoring periods, notices and legal steps, with the pupil's
figures as they stood at each, and what a penalty notice to each parent would be today)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from registers.models import School, Staff

from ..models import Action, Case, CaseStep, LadderStage, MonitoringPeriod, NoticeToImprove, SupportTarget, TaskKind
from ..permissions import CASE_MANAGERS
from ..services.penalty_notices import PenaltyNoticeRefused, penalty_notice_terms
from .dashboard import year_groups
from .figures import year_to_date_figures

# --- the cases list -------------------------------------------------------------------------


@dataclass
class Due:
    date: dt.date
    what: str


def _next_due(case) -> Due | None:
    dues = [
        Due(day, what)
        for day, what in (
            (case.review_due, "monitoring review"),
            (case.notice_due, "end of a notice to improve"),
            (case.task_due, "task"),
            (case.target_due, "support target"),
        )
        if day is not None
    ]
    return min(dues, key=lambda d: d.date) if dues else None


def case_filter_choices(school: School) -> dict:
    """What the cases list can be filtered by: year groups, the active policy's stages, and the
    staff who work cases (the filter form's `years`, `stages`, `owners`)."""
    return {
        "years": year_groups(school),
        "stages": LadderStage.objects.filter(policy__school=school, policy__active=True),
        "owners": Staff.objects.filter(school=school, position__in=CASE_MANAGERS).select_related("user"),
    }


def _annotated_cases(school, *, status, year=None, stage=None, owner=None):
    """The school's cases with the date of the next thing due on each (one query: a subquery
    per kind of date, so the cases list costs the same for 5 cases or 500)."""

    def first(qs, field):
        return Subquery(qs.order_by(field).values(field)[:1])

    cases = Case.objects.filter(school=school).select_related("pupil__group", "stage", "owner__user")
    if status != "all":
        cases = cases.filter(status=status)
    if year is not None:
        cases = cases.filter(pupil__year=year)
    if stage is not None:
        cases = cases.filter(stage_id=stage)
    if owner == "none":
        cases = cases.filter(owner__isnull=True)
    elif owner:
        cases = cases.filter(owner_id=owner)
    here = OuterRef("pk")
    return cases.annotate(
        review_due=first(MonitoringPeriod.objects.filter(case=here, reviewed_on__isnull=True), "review_on"),
        notice_due=first(NoticeToImprove.objects.filter(case=here, outcome=""), "period_ends_on"),
        task_due=first(Action.objects.filter(case=here, done_on__isnull=True, due_on__isnull=False), "due_on"),
        target_due=first(SupportTarget.objects.filter(action__case=here, met__isnull=True), "due_on"),
    )


def cases_for_list(school: School, *, today: dt.date, status: str, year=None, stage=None, owner=None) -> list[Case]:
    """The cases list: each open case with `next_due` (the soonest date due, and what) and
    `overdue`; overdue cases first, then by the date due, then those with nothing due."""
    cases = list(_annotated_cases(school, status=status, year=year, stage=stage, owner=owner))
    for case in cases:
        case.next_due = _next_due(case) if case.status == Case.Status.OPEN else None
        case.overdue = bool(case.next_due and case.next_due.date < today)

    def order(case):
        due = case.next_due
        return (0 if case.overdue else 1 if due else 2, due.date if due else dt.date.max, case.pupil.surname)

    cases.sort(key=order)
    return cases


# --- a case's record ------------------------------------------------------------------------


def penalty_positions(case, today):
    """For each parent: what a penalty notice issued today would be, or why not and what instead."""
    out = []
    for parent in case.pupil.contacts.filter(parental_responsibility=True):
        try:
            out.append({"parent": parent, "terms": penalty_notice_terms(pupil=case.pupil, parent=parent, on=today)})
        except PenaltyNoticeRefused as refused:
            out.append({"parent": parent, "refused": refused.messages[0], "alternatives": refused.alternatives})
    return out


@dataclass
class FiguresRow:
    date: dt.date
    what: str
    figures: dict
    change: float | None = None

    @property
    def magnitude(self) -> float | None:
        return None if self.change is None else abs(self.change)


def figures_timeline(steps, actions, periods, events=()) -> list[FiguresRow]:
    """The pupil's year-to-date figures as kept on each step, each completed action and the
    start of each monitoring period, oldest first, with the change in attendance since the
    row before: the effect of support, as the figures stood at the time. `events` (notices,
    legal steps: date, what, figures) carry figures worked out for their date."""
    rows = [(day, 3, i, FiguresRow(day, what, figures)) for i, (day, what, figures) in enumerate(events)]
    for s in steps:
        what = s.get_kind_display()
        if s.stage:
            what += f": {s.stage}"
        if s.alert:
            what += f" — {s.alert.rule.name}"
        elif s.note:
            what += f" — {s.note}"
        order = 9 if s.kind == CaseStep.Kind.CLOSED else 0  # closing comes last on its day
        rows.append((s.date, order, s.pk, FiguresRow(s.date, what, s.figures)))
    for a in actions:
        if a.done_on and a.figures:
            what = a.get_kind_display() + (f": {a.description}" if a.description else "")
            rows.append((a.done_on, 1, a.pk, FiguresRow(a.done_on, what, a.figures)))
    for p in periods:
        if p.baseline:
            rows.append((p.start, 2, p.pk, FiguresRow(p.start, f"{p} began", p.baseline)))
    timeline = [row for *_key, row in sorted(rows, key=lambda r: r[:3])]
    previous = None
    for row in timeline:
        now = row.figures.get("attendance_percent")
        if now is not None and previous is not None:
            row.change = round(now - previous, 2)
        if now is not None:
            previous = now
    return timeline


def _notice_events(case, notices, penalty_notices, legal_steps) -> list[tuple]:
    """Notices and legal steps on the figures table: they keep no figures of their own, so the
    pupil's year-to-date figures are worked out for each date (one query per date)."""
    events = []
    for n in notices:
        events.append((n.issued_on, f"Notice to improve issued ({n.improvement_weeks} weeks)"))
        if n.outcome_on:
            events.append((n.outcome_on, f"Notice to improve: {n.get_outcome_display().lower()}"))
    for p in penalty_notices:
        events.append((p.issued_on, f"{'First' if p.sequence == 1 else 'Second'} penalty notice issued"))
    for step in legal_steps:
        events.append((step.date, step.get_kind_display()))
    figures = {day: year_to_date_figures(case.pupil, day) for day in {day for day, _ in events}}
    return [(day, what, figures[day]) for day, what in events]


def case_record(case: Case, *, today: dt.date) -> dict:
    """Everything the case page shows of a case, by the names the page uses: `now` (the pupil's
    figures today), `steps`, `actions`, `plans`, `periods`, `timeline`, `alerts`, `notices`,
    `penalty_notices`, `legal_steps` and `penalty_positions`."""
    steps = list(case.steps.select_related("stage", "alert__rule", "created_by"))
    actions = list(case.actions.select_related("assigned_to__user").prefetch_related("targets"))
    periods = list(case.monitoring_periods.all())
    notices = list(case.notices_to_improve.select_related("parent"))
    penalty_notices = list(case.penalty_notices.select_related("parent"))
    legal_steps = list(case.legal_steps.all())
    return {
        "now": year_to_date_figures(case.pupil, today),
        "steps": steps,
        "actions": actions,
        "plans": [a for a in actions if a.kind == TaskKind.SUPPORT_PLAN],
        "periods": periods,
        "timeline": figures_timeline(
            steps, actions, periods, _notice_events(case, notices, penalty_notices, legal_steps)
        ),
        "alerts": case.alerts.select_related("rule"),
        "notices": notices,
        "penalty_notices": penalty_notices,
        "legal_steps": legal_steps,
        "penalty_positions": penalty_positions(case, today),
    }
