"""The attendance officer's worklist: the checks' new alerts as one row per pupil, most urgent
first, each row proposing what to do next (`interventions.ladder` says how a pupil's alerts
become proposals). Read in a fixed number of queries whatever the size of the school: the new
alerts (one query, with their rules and stages), the pupils' figures (the dashboard's snapshot
rows) and their open cases (the dashboard's query) are passed in.

Severity: pupils at the penalty-notice threshold or severely absent first; then the highest
stage proposed; then how fast attendance is falling (points lost in the last week); then the
lowest attendance. Alerts snoozed until a later date, and pupils no longer on roll, are left
off."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Q
from django.db.models.fields.json import KeyTransform

from registers.models import School
from registers.selectors import PENALTY_THRESHOLD_SESSIONS, pupils_on_roll

from ..ladder import merged_choices, precedence
from ..models import Alert, Rule

URGENT_TRIGGERS = {Rule.Trigger.PENALTY_THRESHOLD, Rule.Trigger.SEVERE}
ROWS_SHOWN = 60  # the rest are one click away (most urgent first, so the top is what matters)


@dataclass
class Proposal:
    """One thing the officer can accept for a pupil: a ladder step (its lower stages folded in)
    or a rule off the ladder. `alert_ids` are what accepting it decides."""

    alert_ids: list[int]
    title: str
    rule_name: str
    trigger: str
    stage_order: int | None
    actions: list[str]
    evidence: str
    found_on: dt.date | None = None
    folded: list[str] = field(default_factory=list)

    @property
    def value(self) -> str:
        """The alerts, as the worklist's form posts them back."""
        return "-".join(str(pk) for pk in self.alert_ids)

    @property
    def first_alert(self) -> int:
        return self.alert_ids[0]


@dataclass
class WorkRow:
    pupil_id: int
    name: str
    group: str
    year: int
    proposals: list[Proposal] = field(default_factory=list)
    case_id: int | None = None
    case_stage: str = ""
    attendance: float | None = None
    fall: float | None = None  # points of attendance lost in the last week (negative: rising)
    threshold_sessions: int = 0
    threshold_unresolved: int = 0
    severe: bool = False
    persistent: bool = False
    top_stage: int = 0  # the stage the row proposes (0: off the ladder only)
    urgent_finding: bool = False  # a penalty-threshold or severe-absence rule found the pupil
    alerts: list[dict] = field(default_factory=list, repr=False)  # the new alerts it proposes from

    @property
    def urgent(self) -> bool:
        """At the penalty-notice threshold (found, or counted in today's figures) or severely
        absent."""
        return self.urgent_finding or self.severe or self.threshold_sessions >= PENALTY_THRESHOLD_SESSIONS

    def sort_key(self) -> tuple:
        return (
            not self.urgent,
            -self.top_stage,
            -(self.fall or 0),
            100 if self.attendance is None else self.attendance,
            self.name,
            self.pupil_id,
        )


def new_alert_rows(*, school: School, today: dt.date, pupil_q: Q) -> list[dict]:
    """The school's new alerts not snoozed past `today`, for pupils on roll today: what ranking
    needs, without the evidence (one query; `alert_details` adds the rest for the rows shown)."""
    on_roll = pupils_on_roll(school=school, date_from=today, date_to=today)
    return list(
        Alert.objects.filter(school=school, status=Alert.Status.NEW, pupil__in=on_roll)
        .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today))
        .filter(pupil_q)
        .order_by()
        .values(
            "pk",
            "pupil_id",
            "rule_id",
            "found_on",
            trigger=F("rule__trigger"),
            stage_order=F("rule__stage__order"),
            forename=F("pupil__legal_forename"),
            preferred=F("pupil__preferred_forename"),
            surname=F("pupil__legal_surname"),
            preferred_surname=F("pupil__preferred_surname"),
            year_group=F("pupil__year"),
            group_name=F("pupil__group__name"),
        )
    )


def alert_details(pks: list[int]) -> dict[int, dict]:
    """What the rows shown spell out for their alerts: the rule and stage names, the proposals
    and the evidence's figures and window (one query, for those alerts only)."""
    if not pks:
        return {}
    rows = Alert.objects.filter(pk__in=pks).values(
        "pk",
        "proposals",
        rule_name=F("rule__name"),
        stage_name=F("rule__stage__name"),
        figures=KeyTransform("figures", "evidence"),
        window=KeyTransform("name", KeyTransform("window", "evidence")),
    )
    return {row.pop("pk"): row for row in rows}


def evidence_phrase(figures: dict | None, window: str | None = None) -> str:
    """The figure behind an alert, in words (as the alert's own page leads with it), with the
    window a percentage is over (the year to date, a half-term, a monitoring period …)."""
    f = figures or {}
    if f.get("unauthorised_sessions"):
        return f"{f['unauthorised_sessions']} unauthorised sessions in 10 school weeks"
    if f.get("attendance_percent") is not None:
        over = "" if not window else f" over {'' if window.startswith('this ') else 'the '}{window}"
        return f"{f['attendance_percent']:.1f} % attendance{over}"
    if f.get("late_marks"):
        return f"{f['late_marks']} late marks"
    if f.get("school_days"):
        return f"{f['school_days']} school days in a row"
    if f.get("periods_of_illness"):
        return f"{f['periods_of_illness']} separate periods of illness"
    if f.get("sessions_of_illness"):
        return f"{f['sessions_of_illness'] / 2:g} days of illness"
    return ""


def _label(proposal: dict, titles: dict[str, str]) -> str:
    if proposal.get("type") == "letter":
        key = proposal.get("template")
        return f"Letter: {titles[key]}" if key in titles else f"Letter “{key}” (no such template yet)"
    if proposal.get("type") == "stage":
        return ""  # the item's title names the stage
    return proposal.get("label", "")


def _proposal(alerts: list[dict], titles: dict[str, str]) -> Proposal:
    """One item from alerts in order of precedence (the first names it)."""
    lists = [a["proposals"] or [] for a in alerts]
    choices = merged_choices(lists)
    actions = [
        label
        for proposals, chosen in zip(lists, choices, strict=True)
        for i in chosen
        if (label := _label(proposals[i], titles))
    ]
    top = alerts[0]
    title = f"Stage {top['stage_order']}: {top['stage_name']}" if top["stage_order"] else top["rule_name"]
    folded = list(dict.fromkeys(a["rule_name"] for a in alerts[1:] if a["rule_name"] != top["rule_name"]))
    return Proposal(
        alert_ids=[a["pk"] for a in alerts],
        title=title,
        rule_name=top["rule_name"],
        trigger=top["trigger"],
        stage_order=top["stage_order"],
        actions=actions or ["Add to the pupil's case"],
        evidence=evidence_phrase(top["figures"], top.get("window")),
        found_on=top["found_on"],
        folded=folded,
    )


def _eligible(alerts: list[dict], reached: int) -> list[dict]:
    """The alerts that still propose something: off the ladder, or a stage not yet reached."""
    return [a for a in alerts if not a["stage_order"] or a["stage_order"] > reached]


def pupil_proposals(alerts: list[dict], reached: int, titles: dict[str, str]) -> list[Proposal]:
    """A pupil's new alerts as proposals: the next ladder step (stages the open case has
    `reached` are not proposed again), then one item per rule off the ladder."""
    ordered = sorted(_eligible(alerts, reached), key=lambda a: precedence(a["stage_order"], a["found_on"], a["pk"]))
    ladder = [a for a in ordered if a["stage_order"]]
    out = [_proposal(ladder, titles)] if ladder else []
    by_rule: dict[int, list[dict]] = defaultdict(list)
    for alert in ordered:
        if not alert["stage_order"]:
            by_rule[alert["rule_id"]].append(alert)
    out += [_proposal(group, titles) for group in by_rule.values()]
    return out


def _name(row) -> str:
    return f"{row['preferred'] or row['forename']} {row['preferred_surname'] or row['surname']}"


def _figures(row: WorkRow, snap: dict | None) -> None:
    if not snap or not snap["possible"]:
        return
    possible, absent = snap["possible"], snap["authorised"] + snap["unauthorised"]
    row.attendance = round(100 - 100 * absent / possible, 1)
    before_possible, before_absent = snap["possible_week_before"], snap["absent_week_before"]
    if before_possible:
        row.fall = round((100 - 100 * before_absent / before_possible) - (100 - 100 * absent / possible), 1)
    row.threshold_sessions = snap["threshold_sessions"]
    row.threshold_unresolved = snap["threshold_unresolved"]
    row.severe = 2 * absent >= possible
    row.persistent = 10 * absent >= possible


def worklist(
    alert_rows: list[dict], *, figures: dict[int, dict], cases: dict[int, tuple[int, int | None, str | None]]
) -> list[WorkRow]:
    """One row per pupil with something to decide, most urgent first (the proposals are spelt
    out by `spell_out` for the rows a page lists). `figures` are the pupils' snapshot rows by
    pupil id; `cases` their open case as (id, stage order, stage name)."""
    by_pupil: dict[int, list[dict]] = defaultdict(list)
    for alert in alert_rows:
        by_pupil[alert["pupil_id"]].append(alert)
    rows = []
    for pupil_id, alerts in by_pupil.items():
        case_id, reached, stage_name = cases.get(pupil_id, (None, None, None))
        eligible = _eligible(alerts, reached or 0)
        if not eligible:
            continue  # only stages the case has already reached
        first = alerts[0]
        row = WorkRow(
            pupil_id=pupil_id,
            name=_name(first),
            group=first["group_name"] or "",
            year=first["year_group"],
            case_id=case_id,
            case_stage=f"Stage {reached}: {stage_name}" if reached else "",
            top_stage=max((a["stage_order"] or 0 for a in eligible), default=0),
            urgent_finding=any(a["trigger"] in URGENT_TRIGGERS for a in eligible),
            alerts=alerts,
        )
        _figures(row, figures.get(pupil_id))
        rows.append(row)
    rows.sort(key=WorkRow.sort_key)
    return rows


def spell_out(rows: list[WorkRow], *, details: dict[int, dict], cases: dict, titles: dict[str, str]) -> None:
    """Fill in the rows' proposals from their alerts and the alerts' `details`."""
    for row in rows:
        reached = cases.get(row.pupil_id, (None, 0, None))[1] or 0
        alerts = [{**alert, **details[alert["pk"]]} for alert in row.alerts]
        row.proposals = pupil_proposals(alerts, reached, titles)
