"""The officer's decisions on the worklist, for several pupils at once: accept the proposals
(each one's alerts accepted together, as `interventions.ladder` merges them: the highest stage,
one letter, every distinct task), dismiss them with one reason, or snooze them until a date.

Accepting uses `accept_alert` for every alert, so it is idempotent (an alert already decided
is skipped) and refuses a pupil no longer on roll. The letters the new actions ask for are
handed to the letters app by the `letters_requested` signal, as one batch per template."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registers.models import School, Staff

from ..ladder import letter_keys, merged_choices, precedence
from ..models import Action, Alert, Case, TaskKind
from ..signals import letters_requested
from .alerts import accept_alert, dismiss_alert

MAX_SNOOZE = dt.timedelta(weeks=26)


@dataclass
class Decided:
    """What a decision on the worklist did, for the page to say."""

    proposals: int = 0
    pupils: int = 0
    tasks: int = 0
    letters: list[dict] = field(default_factory=list)  # one per batch, from the letters app
    refused: list[str] = field(default_factory=list)


def _items(school: School, items: list[list[int]]) -> list[list[Alert]]:
    """The submitted items as the school's alerts, each item about one pupil."""
    ids = {pk for item in items for pk in item}
    alerts = Alert.objects.filter(school=school, pk__in=ids).select_related("rule__stage", "pupil__school").in_bulk()
    if len(alerts) != len(ids):
        raise ValidationError("Some of those proposals are not this school's.")
    out = []
    for item in items:
        group = [alerts[pk] for pk in dict.fromkeys(item)]
        if len({a.pupil_id for a in group}) != 1:
            raise ValidationError("A proposal is about one pupil.")
        out.append(group)
    return out


def accept_proposals(
    *, school: School, items: list[list[int]], user=None, on: dt.date | None = None, owner: Staff | None = None
) -> Decided:
    """Accept each item (a list of alert ids from the worklist): its alerts in order of
    precedence, the merged proposals carried out once. A pupil's items accepted together never
    send the same letter twice. Then the new letter actions go to the letters app."""
    on = on or timezone.localdate()
    decided = Decided()
    accepted: list[int] = []
    with transaction.atomic():
        groups = _items(school, items)
        taken: dict[int, set] = defaultdict(set)
        pupils = set()
        for group in groups:
            fresh = sorted(
                (a for a in group if a.status == Alert.Status.NEW),
                key=lambda a: precedence(a.rule.stage.order if a.rule.stage_id else None, a.found_on, a.pk),
            )
            if not fresh:
                continue  # decided already (a second click, another officer): nothing more to do
            pupil = fresh[0].pupil
            lists = [a.proposals or [] for a in fresh]
            # the ladder only moves up: a stage the case has reached meanwhile is not set again
            top = max((a.rule.stage.order for a in fresh if a.rule.stage_id), default=0)
            blocked = {("stage",)} if top and top <= _stage_reached(pupil) else set()
            choices = merged_choices(lists, taken=taken[pupil.pk] | blocked)
            try:
                with transaction.atomic():
                    for alert, chosen in zip(fresh, choices, strict=True):
                        accept_alert(alert=alert, user=user, on=on, owner=owner, choose=chosen)
            except ValidationError as error:
                decided.refused.append(" ".join(error.messages))
                continue
            taken[pupil.pk] |= letter_keys(lists, choices)
            accepted += [a.pk for a in fresh]
            decided.proposals += 1
            pupils.add(pupil.pk)
        decided.pupils = len(pupils)
        actions = list(Action.objects.filter(alert_id__in=accepted).select_related("case__pupil", "alert"))
    decided.tasks = sum(1 for a in actions if a.kind != TaskKind.LETTER)
    letters = [a for a in actions if a.kind == TaskKind.LETTER and a.letter_template and a.done_on is None]
    if letters:
        for _receiver, response in letters_requested.send(
            sender=Alert, school=school, actions=letters, user=user, on=on
        ):
            decided.letters += list(response or [])
    return decided


def _stage_reached(pupil) -> int:
    case = Case.objects.filter(pupil=pupil, status=Case.Status.OPEN).select_related("stage").first()
    return case.stage.order if case and case.stage_id else 0


def dismiss_proposals(*, school: School, items: list[list[int]], reason: str, user=None) -> int:
    """Dismiss every new alert of the items with one reason; how many alerts were dismissed."""
    if not (reason or "").strip():
        raise ValidationError("Give a reason for dismissing them.")
    count = 0
    with transaction.atomic():
        for group in _items(school, items):
            for alert in group:
                if alert.status == Alert.Status.NEW:
                    dismiss_alert(alert=alert, reason=reason, user=user)
                    count += 1
    return count


def snooze_proposals(
    *, school: School, items: list[list[int]], until: dt.date, user=None, on: dt.date | None = None
) -> int:
    """Leave the items off the worklist until `until` (they stay new, and come back then)."""
    on = on or timezone.localdate()
    if until is None or until <= on:
        raise ValidationError("Snooze until a date after today.")
    if until > on + MAX_SNOOZE:
        raise ValidationError("Snooze for at most 26 weeks: decide on anything longer now.")
    count = 0
    with transaction.atomic():
        for group in _items(school, items):
            for alert in group:
                if alert.status == Alert.Status.NEW:
                    alert.snoozed_until = until
                    alert._history_user = user
                    alert.save()
                    count += 1
    return count
