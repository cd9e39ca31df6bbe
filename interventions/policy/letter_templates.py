"""Which letter templates a school has, as the policy pages name them (key → title).

A rule stores only a template's key. The templates belong to letters, which sits above
interventions (docs/architecture.md), so interventions never asks letters: letters tells it,
by handing its lookup to `provide_letter_titles` from its AppConfig.ready(). Until a lookup is
provided (letters not installed) a school has no templates, and the policy page says so for any
rule that proposes a letter."""

from __future__ import annotations

from collections.abc import Callable

from registers.models import School

LetterTitles = Callable[[School], dict[str, str]]

_lookup: LetterTitles | None = None


def provide_letter_titles(lookup: LetterTitles) -> None:
    """Letters' lookup: a school → {template key: title} of its active templates."""
    global _lookup
    _lookup = lookup


def letter_titles(school: School) -> dict[str, str]:
    """The school's active letter templates, key → title (empty without a lookup)."""
    return {} if _lookup is None else dict(_lookup(school))
