"""The letters the school sent about a family's children, as the parent portal lists and opens them.

Letters belong to the letters app, which sits above absences (docs/architecture.md), so absences
never asks it: letters hands its two lookups to `provide_family_letters` from its
AppConfig.ready(). Until then (letters not installed) a family has no letters to see. Which
children a parent may see is absences' question (`permissions.parent_pupils`), asked before
either lookup is called."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class FamilyLetter:
    """One letter on record: what the portal lists (the PDF is opened by its id)."""

    pk: int
    pupil_id: int
    subject: str
    letter_date: dt.date


# ids of the children → their letters with a PDF on record, newest first
ListLetters = Callable[[Iterable[int]], list[FamilyLetter]]
# (letter id, ids of the children) → (the PDF, opened, and a file name), or None when that letter
# is not one of those children's or has no PDF
OpenLetter = Callable[[int, Iterable[int]], "tuple[BinaryIO, str] | None"]

_lookups: tuple[ListLetters, OpenLetter] | None = None


def provide_family_letters(list_letters: ListLetters, open_letter: OpenLetter) -> None:
    global _lookups
    _lookups = (list_letters, open_letter)


def letters_for(pupil_ids: Iterable[int]) -> list[FamilyLetter]:
    return [] if _lookups is None else _lookups[0](list(pupil_ids))


def open_letter(letter_id: int, pupil_ids: Iterable[int]):
    return None if _lookups is None else _lookups[1](letter_id, list(pupil_ids))
