"""Changing a school's attendance policy: loading one of the presets, and every edit made from
the policy pages. Keyword-only, one transaction each; an edit saves every row with the user and
a reason so the Changes page can say who changed what and why.

Every history row of one change shares one timestamp (`_history_date`), which is how the
Changes page groups them. Rows written by code this module calls (the preset loader) get the
same user, reason and timestamp through `_audited`, filled in before the row is inserted."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from absences.follow_up_presets import apply_preset as apply_follow_up_preset
from registers.models import School

from ..models import Band, Case, CaseStep, LadderStage, Policy, Rule
from .presets import PRESETS
from .selectors import num

REASON_MAX = 500
_AUDIT: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("policy_audit", default=None)


@receiver(pre_create_historical_record, dispatch_uid="interventions.policy.services.audit")
def _fill_in_audit(sender, history_instance, **kwargs):
    audit = _AUDIT.get()
    if audit is None:
        return
    user, reason, when = audit
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = reason
    if history_instance.history_user_id is None and user is not None:
        history_instance.history_user = user
    history_instance.history_date = when


@contextmanager
def _audited(user, reason, when):
    token = _AUDIT.set((user, reason, when))
    try:
        yield
    finally:
        _AUDIT.reset(token)


def clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why you are making this change: it is kept in the policy's history."})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX} characters."})
    return reason


def _save(obj, *, user, reason, when):
    obj._change_reason = reason
    obj._history_user = user
    obj._history_date = when
    obj.save()


def _delete(obj, *, user, reason, when):
    obj._change_reason = reason
    obj._history_user = user
    obj._history_date = when
    obj.delete()


def _park(obj, **values):
    """Move a row out of the way of a unique constraint for the length of this transaction (two
    stages swapping places). Not recorded: the final save, in the same transaction, is."""
    for name, value in values.items():
        setattr(obj, name, value)
    obj.skip_history_when_saving = True
    try:
        obj.save(update_fields=list(values))
    finally:
        del obj.skip_history_when_saving


# --- the policy itself ----------------------------------------------------------------------


@transaction.atomic
def update_policy(*, policy: Policy, name: str, target_percent, notes: str, user, reason: str) -> Policy:
    reason = clean_reason(reason)
    policy.name, policy.target_percent, policy.notes = name, target_percent, notes
    _save(policy, user=user, reason=reason, when=timezone.now())
    return policy


@transaction.atomic
def load_policy_preset(*, school: School, preset: str, activate: bool = True) -> Policy:
    """Create a policy for `school` from one of the five presets (A–E); it becomes the active
    policy (the previous one is kept, inactive, with its history). An active preset also sets the
    follow-up and leave half of the same reference policy (absences' `apply_preset`), so the
    follow-up page and the policy page name the same preset."""
    key = preset.upper()
    if key not in PRESETS:
        raise ValidationError(f"There is no preset '{preset}'; choose one of {', '.join(PRESETS)}.")
    data = PRESETS[key]
    if activate:
        for old in Policy.objects.filter(school=school, active=True):
            old.active = False
            old.save()
    policy = Policy.objects.create(
        school=school,
        name=data["name"],
        preset=key,
        active=activate,
        target_percent=data.get("target_percent"),
    )
    stages = {
        i: LadderStage.objects.create(policy=policy, order=i, name=name)
        for i, name in enumerate(data.get("stages", []), start=1)
    }
    for band in data.get("bands", []):
        Band.objects.create(
            policy=policy,
            name=band["name"],
            attendance_from=Decimal(str(band["attendance_from"])),
            attendance_to=_dec(band.get("attendance_to")),
            absence_from=_dec(band.get("absence_from")),
            absence_to=_dec(band.get("absence_to")),
            action=band.get("action", ""),
        )
    for order, spec in enumerate(data["rules"], start=1):
        Rule.objects.create(
            policy=policy,
            order=order,
            name=spec["name"],
            trigger=spec["trigger"],
            parameters=dict(spec.get("parameters", {})),
            stage=stages.get(spec.get("stage")),
            letter_template=spec.get("letter_template", ""),
            task_kind=spec.get("task_kind", ""),
            task_role=spec.get("task_role", ""),
            task_description=spec.get("task_description", ""),
            monitoring_weeks=spec.get("monitoring_weeks"),
        )
    if activate:
        apply_follow_up_preset(school, key)
    return policy


def _dec(value):
    return None if value is None else Decimal(str(value))


@transaction.atomic
def load_preset(*, school, preset: str, user, reason: str) -> Policy:
    """Load a preset as a new policy that replaces the active one; the old one stays, inactive,
    with its history."""
    reason = clean_reason(reason)
    key = (preset or "").upper()
    if key not in PRESETS:
        raise ValidationError(f"There is no preset '{preset}'.")
    with _audited(user, f"Preset {key} loaded: {reason}", timezone.now()):
        return load_policy_preset(school=school, preset=key, activate=True)


@transaction.atomic
def activate_policy(*, policy: Policy, user, reason: str) -> Policy:
    """Make `policy` the school's active policy; the one it replaces is kept, inactive."""
    reason = clean_reason(reason)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if policy.active:
        raise ValidationError("This policy is already the active one.")
    when = timezone.now()
    for old in Policy.objects.select_for_update().filter(school_id=policy.school_id, active=True):
        old.active = False
        _save(old, user=user, reason=f"Replaced by “{policy.name}”: {reason}", when=when)
    policy.active = True
    _save(policy, user=user, reason=reason, when=when)
    return policy


# --- rules ------------------------------------------------------------------------------------


@transaction.atomic
def save_rule(*, rule: Rule, user, reason: str) -> Rule:
    """Create or change a rule. Its parameters are validated for its trigger when it is saved
    (Rule.clean), so a bad rule never reaches the checks."""
    reason = clean_reason(reason)
    if rule.pk is None and not rule.order:
        last = rule.policy.rules.order_by("-order").values_list("order", flat=True).first()
        rule.order = (last or 0) + 1
    _save(rule, user=user, reason=reason, when=timezone.now())
    return rule


@transaction.atomic
def set_rule_active(*, rule: Rule, active: bool, user, reason: str) -> Rule:
    """Deactivate (or reactivate) a rule. Rules are never deleted: alerts point at them."""
    reason = clean_reason(reason)
    if rule.active == active:
        raise ValidationError(f"This rule is already {'active' if active else 'inactive'}.")
    rule.active = active
    _save(rule, user=user, reason=reason, when=timezone.now())
    return rule


# --- ladder stages -------------------------------------------------------------------------------


def _stage_in_use(stage: LadderStage) -> str | None:
    if Rule.objects.filter(stage=stage).exists():
        return "a rule proposes it"
    if Case.objects.filter(stage=stage).exists() or CaseStep.objects.filter(stage=stage).exists():
        return "cases have been at this stage"
    return None


@transaction.atomic
def save_stages(*, policy: Policy, rows: list[dict], user, reason: str) -> None:
    """Rename, reorder, add and remove ladder stages. `rows`: {"id" (None for a new stage),
    "order", "name", "description", "delete"}. Rules that act only at a stage (monitoring
    reviews with `at_stage`) follow their stage to its new position."""
    reason = clean_reason(reason)
    when = timezone.now()
    existing = {s.pk: s for s in policy.stages.select_for_update()}
    keep = [r for r in rows if not r.get("delete")]
    errors = []
    orders = [r["order"] for r in keep]
    for order in {o for o in orders if orders.count(o) > 1}:
        errors.append(f"Two stages are numbered {order}: each stage needs its own place on the ladder.")
    new_order = {r["id"]: r["order"] for r in keep if r.get("id")}
    removed = [existing[r["id"]] for r in rows if r.get("delete") and r.get("id") in existing]
    for stage in removed:
        why = _stage_in_use(stage)
        if why:
            errors.append(f"Stage {stage.order} ({stage.name}) cannot be removed: {why}.")
    followers = []
    old_to_new = {s.order: new_order[s.pk] for s in existing.values() if s.pk in new_order}
    for rule in policy.rules.filter(trigger=Rule.Trigger.MONITORING):
        at = (rule.parameters or {}).get("at_stage")
        if at is None:
            continue
        if at not in old_to_new:
            if any(s.order == at for s in removed):
                errors.append(f"Stage {at} cannot be removed: the rule “{rule.name}” only applies at that stage.")
            continue
        if old_to_new[at] != at:
            followers.append((rule, old_to_new[at]))
    if errors:
        raise ValidationError(errors)

    original = {pk: (s.order, s.name, s.description) for pk, s in existing.items()}
    for stage in removed:
        _delete(stage, user=user, reason=reason, when=when)
    moving = [r for r in keep if r.get("id") in existing and existing[r["id"]].order != r["order"]]
    for i, row in enumerate(moving):
        _park(existing[row["id"]], order=30000 + i)
    for row in keep:
        stage = existing.get(row.get("id")) or LadderStage(policy=policy)
        values = (row["order"], row["name"], row.get("description") or "")
        if stage.pk and original[stage.pk] == values:
            continue
        stage.order, stage.name, stage.description = values
        _save(stage, user=user, reason=reason, when=when)
    for rule, order in followers:
        rule.parameters = {**rule.parameters, "at_stage": order}
        _save(rule, user=user, reason=reason, when=when)


# --- bands ---------------------------------------------------------------------------------------


def band_set_errors(rows: list[dict]) -> list[tuple[int | None, str | None, str]]:
    """Problems with a set of bands, as (row index, field, message). Bands are ordered by their
    lower attendance bound; a published range may not reach into the band above, and absence
    rises as attendance falls. Gaps between published ranges are allowed: a value in a gap
    belongs to the band whose lower bound it reaches."""
    errors: list[tuple[int | None, str | None, str]] = []
    names: dict[str, int] = {}
    starts: dict[Decimal, int] = {}
    for i, row in enumerate(rows):
        name = (row.get("name") or "").strip()
        key = name.lower()
        if key in names:
            errors.append((i, "name", f"Two bands are called “{name}”."))
        names.setdefault(key, i)
        low, high = row.get("attendance_from"), row.get("attendance_to")
        if low is not None and low in starts:
            errors.append(
                (i, "attendance_from", f"Two bands start at {num(low)} %: each band needs its own lower bound.")
            )
        if low is not None:
            starts.setdefault(low, i)
        if low is not None and high is not None and high < low:
            errors.append((i, "attendance_to", "The upper bound is below the lower bound."))
        a_low, a_high = row.get("absence_from"), row.get("absence_to")
        if a_low is not None and a_high is not None and a_high < a_low:
            errors.append((i, "absence_to", "The upper absence bound is below the lower one."))
    ordered = sorted(
        (i for i, r in enumerate(rows) if r.get("attendance_from") is not None),
        key=lambda i: rows[i]["attendance_from"],
        reverse=True,
    )
    for above, below in zip(ordered, ordered[1:], strict=False):
        hi, lo = rows[above], rows[below]
        if hi["attendance_from"] == lo["attendance_from"]:
            continue
        if lo.get("attendance_to") is not None and lo["attendance_to"] >= hi["attendance_from"]:
            errors.append(
                (
                    below,
                    "attendance_to",
                    f"The {lo['name']} band's published range reaches {num(lo['attendance_to'])} %, which overlaps "
                    f"the {hi['name']} band (from {num(hi['attendance_from'])} %).",
                )
            )
        hi_abs_to, lo_abs_from = hi.get("absence_to"), lo.get("absence_from")
        if hi_abs_to is not None and lo_abs_from is not None and lo_abs_from <= hi_abs_to:
            errors.append(
                (
                    below,
                    "absence_from",
                    f"The {lo['name']} band's absence range starts at {num(lo_abs_from)} %, which overlaps the "
                    f"{hi['name']} band's (up to {num(hi_abs_to)} %): absence must rise as attendance falls.",
                )
            )
    return errors


@transaction.atomic
def save_bands(*, policy: Policy, rows: list[dict], user, reason: str) -> None:
    """Replace the policy's band set with `rows` ({"id", "name", "attendance_from",
    "attendance_to", "absence_from", "absence_to", "action", "delete"}). A renamed band takes
    the rules that use it along; a band a rule uses cannot be removed."""
    reason = clean_reason(reason)
    when = timezone.now()
    existing = {b.pk: b for b in policy.bands.select_for_update()}
    keep = [r for r in rows if not r.get("delete")]
    problems = [message for _i, _f, message in band_set_errors(keep)]
    band_rules = list(policy.rules.filter(trigger=Rule.Trigger.BAND))
    renamed = {}
    for row in rows:
        band = existing.get(row.get("id"))
        if band is None:
            continue
        users = [r for r in band_rules if (r.parameters or {}).get("band") == band.name]
        if row.get("delete") and users:
            problems.append(
                f"The {band.name} band cannot be removed: {', '.join(f'“{r.name}”' for r in users)} uses it."
            )
        elif not row.get("delete") and row["name"] != band.name:
            renamed[band.name] = row["name"]
    if problems:
        raise ValidationError(problems)

    for row in rows:
        if row.get("delete") and row.get("id") in existing:
            _delete(existing[row["id"]], user=user, reason=reason, when=when)
    fields = ("name", "attendance_from", "attendance_to", "absence_from", "absence_to", "action")
    changed = []
    for row in keep:
        band = existing.get(row.get("id"))
        if band is None or any(getattr(band, f) != (row.get(f) or ("" if f == "action" else None)) for f in fields):
            changed.append((band or Band(policy=policy), row))
    for i, (band, _row) in enumerate(changed):
        if band.pk:
            _park(band, name=f"~{band.pk}", attendance_from=Decimal(-1 - i))
    try:
        with transaction.atomic():
            for band, row in changed:
                for f in fields:
                    setattr(band, f, row.get(f) or ("" if f == "action" else row.get(f)))
                _save(band, user=user, reason=reason, when=when)
    except IntegrityError:
        raise ValidationError("Each band needs its own name and its own lower bound.")
    for rule in band_rules:
        old = (rule.parameters or {}).get("band")
        if old in renamed:
            rule.parameters = {**rule.parameters, "band": renamed[old]}
            _save(rule, user=user, reason=reason, when=when)
