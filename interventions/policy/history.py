"""The policy's history: every change to the policy and its stages, bands and rules, grouped
into changes (who, when, what, why), as the Changes page and the policy's version show it.
Read from django-simple-history's rows; the policy services write them with a user and a
reason (`interventions.policy.services`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..models import Band, LadderStage, Policy, Rule
from .selectors import param_value, parameter_label
from .triggers import SCHEMAS

KIND_ORDER = {"policy": 0, "stage": 1, "band": 2, "rule": 3}
GROUP_SECONDS = 5  # history rows by the same person, for the same reason, this close are one change
HIDDEN_FIELDS = {"id", "policy"}


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class RowChange:
    kind: str
    object_id: int
    name: str
    type: str  # "+" created, "~" changed, "-" removed
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return {"policy": "Policy", "stage": "Ladder stage", "band": "Band", "rule": "Rule"}[self.kind]

    @property
    def verb(self) -> str:
        return {"+": "added", "~": "changed", "-": "removed"}[self.type]


@dataclass
class Change:
    when: dt.datetime
    user: object
    reason: str
    rows: list[RowChange] = field(default_factory=list)

    @property
    def who(self) -> str:
        if self.user is None:
            return "The system"
        staff = getattr(self.user, "staff", None)
        return staff.display_name if staff is not None else self.user.get_full_name() or self.user.get_username()


def _history_querysets(policy: Policy):
    return [
        ("policy", Policy, Policy.history.filter(id=policy.pk)),
        ("stage", LadderStage, LadderStage.history.filter(policy_id=policy.pk)),
        ("band", Band, Band.history.filter(policy_id=policy.pk)),
        ("rule", Rule, Rule.history.filter(policy_id=policy.pk)),
    ]


def policy_history(policy: Policy, *, with_diffs: bool = True) -> list[Change]:
    """Every change to the policy and its stages, bands and rules, newest first. One query per
    table; diffs are computed in Python between each record and the one before it."""
    records = []
    previous: dict[tuple, object] = {}
    for kind, _model, qs in _history_querysets(policy):
        last_seen: dict[int, object] = {}
        for rec in qs.select_related("history_user__staff__user").order_by("history_id"):
            previous[(kind, rec.history_id)] = last_seen.get(rec.id)
            last_seen[rec.id] = rec
            records.append((kind, rec))
    # One change's rows share a timestamp; person and reason keep them together when two
    # changes share one too.
    records.sort(
        key=lambda kr: (
            kr[1].history_date,
            kr[1].history_user_id or 0,
            kr[1].history_change_reason or "",
            KIND_ORDER[kr[0]],
            kr[1].history_id,
        )
    )
    stage_names = {rec.id: rec.name for kind, rec in records if kind == "stage"}
    groups: list[Change] = []
    for kind, rec in records:
        reason = rec.history_change_reason or ""
        last = groups[-1] if groups else None
        if (
            last is None
            or last.reason != reason
            or getattr(last.user, "pk", None) != rec.history_user_id
            or (rec.history_date - last.when).total_seconds() > GROUP_SECONDS
        ):
            last = Change(rec.history_date, rec.history_user, reason)
            groups.append(last)
        if with_diffs:
            last.rows.append(_row_change(kind, rec, previous[(kind, rec.history_id)], stage_names))
    groups.reverse()
    return groups


def _row_change(kind, rec, prev, stage_names) -> RowChange:
    name = getattr(rec, "name", "") or str(rec.id)
    row = RowChange(kind, rec.id, name, rec.history_type)
    if rec.history_type == "+" or prev is None:
        row.type = "+" if rec.history_type != "-" else "-"
        if kind == "rule":
            row.fields = [FieldChange("Trigger", "", _display(rec, "trigger", rec.trigger, stage_names))]
        return row
    if rec.history_type == "-":
        return row
    delta = rec.diff_against(prev)
    for change in delta.changes:
        if change.field in HIDDEN_FIELDS:
            continue
        if change.field == "parameters":
            row.fields.extend(_parameter_changes(rec.trigger, change.old or {}, change.new or {}))
            continue
        label = str(rec._meta.get_field(change.field).verbose_name)
        row.fields.append(
            FieldChange(
                label[0].upper() + label[1:],
                _display(rec, change.field, change.old, stage_names),
                _display(rec, change.field, change.new, stage_names),
            )
        )
    return row


def _parameter_changes(trigger, old: dict, new: dict) -> list[FieldChange]:
    known = list(SCHEMAS.get(trigger, {}))
    names = sorted(set(old) | set(new), key=lambda n: known.index(n) if n in known else len(known))
    return [
        FieldChange(parameter_label(trigger, name), param_value(old.get(name)), param_value(new.get(name)))
        for name in names
        if old.get(name) != new.get(name)
    ]


def _display(rec, field_name, value, stage_names) -> str:
    if value is None or value == "":
        return "–"
    if field_name == "stage":
        return stage_names.get(value, f"stage #{value}")
    f = rec._meta.get_field(field_name)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return param_value(value)


def version_info(policy: Policy) -> dict:
    """The policy's version (how many changes it has had) and its latest change."""
    changes = policy_history(policy, with_diffs=False)
    return {"version": len(changes), "last": changes[0] if changes else None}
