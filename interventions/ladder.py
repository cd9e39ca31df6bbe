"""The ladder's meaning for a pupil's new alerts, shared by the officer's worklist (what it
proposes) and the service that accepts it (what accepting does), so the two always agree.

- A rule with a stage is on the school's ladder. Of a pupil's new ladder alerts, the policy
  proposes the highest stage the pupil's open case has not reached yet; the lower ones are
  folded into it. A stage the case has already reached is never proposed again.
- Folding merges the actions: one stage (the highest), one letter (the highest stage's that
  names one — a family gets one letter, not a concern letter and a monitoring letter at once),
  one monitoring period, and every distinct task (a call and a meeting both happen).
- A rule off the ladder (the penalty threshold in most presets, illness, lateness) is an item
  of its own; its alerts for several periods are one item with the same merging."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def proposal_key(proposal: dict) -> tuple:
    """What a proposal is for merging: two with the same key are one action."""
    kind = proposal.get("type")
    if kind == "task":
        return ("task", proposal.get("kind"), proposal.get("role"))
    return (kind,)  # one stage, one letter, one monitoring period


def merged_choices(proposal_lists: Sequence[Sequence[dict]], *, taken: Iterable[tuple] = ()) -> list[list[int]]:
    """For alerts in order of precedence (highest stage first), the indexes of each alert's
    proposals that the merged item carries out. `taken` are keys already carried out by
    another item accepted at the same time (the same letter template twice, for example)."""
    seen = set(taken)
    out = []
    for proposals in proposal_lists:
        chosen = []
        for index, proposal in enumerate(proposals):
            key = proposal_key(proposal)
            if key in seen or _letter_key(proposal) in seen:
                continue
            seen.add(key)
            if proposal.get("type") == "letter":
                seen.add(_letter_key(proposal))
            chosen.append(index)
        out.append(chosen)
    return out


def letter_keys(proposal_lists: Sequence[Sequence[dict]], choices: Sequence[Sequence[int]]) -> set[tuple]:
    """The letter templates the chosen proposals send, as keys for `taken`."""
    return {
        _letter_key(proposals[i])
        for proposals, chosen in zip(proposal_lists, choices, strict=True)
        for i in chosen
        if proposals[i].get("type") == "letter"
    }


def _letter_key(proposal: dict) -> tuple:
    return ("letter-template", proposal.get("template"))


def precedence(stage_order: int | None, found_on, pk: int) -> tuple:
    """Sort key: the highest stage first, then the newest finding."""
    return (-(stage_order or 0), -found_on.toordinal(), -pk)
