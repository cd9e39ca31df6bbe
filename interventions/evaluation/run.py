"""Running a school's active policy for a date: each rule's trigger evaluated for every pupil
(`evaluate`), each new finding recorded as an `Alert` with its evidence, then the day's
snapshot written. `run_checks(school=, on=)` is the single entry point (the Celery tasks, the
management command, the demo and the benchmark call it).

A finding becomes an `Alert` keyed by (school, pupil, rule, period key): running the checks
again, or for a past date, finds the same keys and creates nothing new. Checks only ever
propose; nothing punitive is done here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from registers.models import Mark, School

from ..models import Alert, Case, Policy, Rule
from ..policy.triggers import with_defaults
from .context import Context, Finding
from .lessons import lesson_evidence
from .snapshot import write_snapshot
from .triggers import TRIGGERS

EVIDENCE_MARKS = 60  # marks listed on an alert (the figures always cover the whole window)


@dataclass
class CheckResult:
    school_id: int
    on: dt.date
    found: int = 0
    created: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)


def evaluate(ctx: Context, rule: Rule) -> list[Finding]:
    """The rule's findings for the pupils it concerns: on roll on the check date, and in its
    year groups and ages."""
    params = with_defaults(rule.trigger, rule.parameters or {})
    findings = TRIGGERS[rule.trigger](ctx, rule, params)
    on_roll, allowed = ctx.on_roll(), ctx.allowed(params)
    return [f for f in findings if f.pupil_id in on_roll and (allowed is None or f.pupil_id in allowed)]


def evidence_marks(ctx, rule, findings) -> dict[int, list[dict]]:
    """The marks behind each finding: one query per rule for all its pupils."""
    if not findings:
        return {}
    start = min(f.window.start for f in findings)
    end = max(f.window.end for f in findings)
    windows = {f.pupil_id: f.window for f in findings}
    mark_filter = findings[0].mark_filter or Q()
    rows = (
        Mark.objects.filter(school=ctx.school, pupil_id__in=list(windows), date__range=(start, end))
        .filter(mark_filter)
        .values_list("id", "pupil_id", "date", "session", "code__code")
        .order_by("pupil_id", "-date", "-session")
    )
    out: dict[int, list[dict]] = defaultdict(list)
    for mark_id, pupil_id, day, session, symbol in rows:
        w = windows[pupil_id]
        if w.start <= day <= w.end and len(out[pupil_id]) < EVIDENCE_MARKS:
            out[pupil_id].append({"id": mark_id, "date": day.isoformat(), "session": session, "code": symbol})
    return out


def run_checks(*, school: School, on: dt.date, rules=None) -> CheckResult:
    """Run the school's active policy for `on` (today or any past date); returns what it found
    and how many alerts are new. Idempotent."""
    result = CheckResult(school.pk, on)
    ctx = Context(school, on)
    if not ctx.ready:
        return result
    policy = Policy.objects.filter(school=school, active=True).first()
    if rules is None:
        rules = [] if policy is None else list(policy.rules.filter(active=True).select_related("stage", "policy"))
    reached = None
    for rule in rules:
        findings = evaluate(ctx, rule)
        if rule.stage_id and findings:
            # the ladder moves up: a stage the pupil's open case has reached is not proposed again
            if reached is None:
                reached = stages_reached(school)
            findings = [f for f in findings if reached.get(f.pupil_id, 0) < rule.stage.order]
        result.found += len(findings)
        if not findings:
            result.by_rule[rule.name] = 0
            continue
        existing = set(
            Alert.objects.filter(school=school, rule=rule, pupil_id__in=[f.pupil_id for f in findings]).values_list(
                "pupil_id", "period_key"
            )
        )
        fresh = [f for f in findings if (f.pupil_id, f.key) not in existing]
        marks = evidence_marks(ctx, rule, fresh)
        lessons = lesson_evidence(ctx, rule.trigger, with_defaults(rule.trigger, rule.parameters or {}), fresh)
        proposals = rule.proposals
        alerts = [
            Alert(
                school=school,
                pupil_id=f.pupil_id,
                rule=rule,
                period_key=f.key,
                found_on=on,
                proposals=proposals,
                monitoring_period_id=f.extra.get("monitoring_period_id"),
                evidence={
                    "rule": rule.name,
                    "trigger": rule.trigger,
                    "parameters": {
                        k: v for k, v in with_defaults(rule.trigger, rule.parameters or {}).items() if v is not None
                    },
                    "window": {
                        "name": f.window.name,
                        "from": f.window.start.isoformat(),
                        "to": f.window.end.isoformat(),
                    },
                    "figures": f.figures,
                    "marks": marks.get(f.pupil_id, []),
                    **({"lessons": lessons[f.pupil_id]} if f.pupil_id in lessons else {}),
                    **{k: v for k, v in f.extra.items() if v not in (None, "")},
                },
            )
            for f in fresh
        ]
        created = _create_alerts(alerts)
        result.created += created
        result.by_rule[rule.name] = created
    write_snapshot(ctx)
    return result


def stages_reached(school: School) -> dict[int, int]:
    """The ladder stage each pupil's open case has reached (pupil id -> stage order)."""
    return dict(
        Case.objects.filter(school=school, status=Case.Status.OPEN, stage__isnull=False).values_list(
            "pupil_id", "stage__order"
        )
    )


def _create_alerts(alerts: list[Alert]) -> int:
    if not alerts:
        return 0
    try:
        with transaction.atomic():
            bulk_create_with_history(alerts, Alert, batch_size=500)
        return len(alerts)
    except IntegrityError:
        # another run created some of them meanwhile: fall back to one at a time
        created = 0
        for alert in alerts:
            try:
                with transaction.atomic():
                    alert.pk = None
                    alert.save()
                created += 1
            except IntegrityError:
                pass
        return created
