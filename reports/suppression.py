"""Small-number suppression for figures governors and trust leaders see.

The rule (DESIGN.md principle 7, issue 7): any cell about fewer than 5 pupils is shown as a
dash with a note. Primary suppression hides a cell whose pupil count is 1–4 (a count of 0
describes nobody and is shown). Secondary suppression stops a hidden cell being worked out
by subtraction: in a set of cells that add up to a total shown elsewhere (the year groups of
a school, the two sides of a characteristic, the codes of one category, the attendance
bands), if exactly one cell is hidden, the next smallest visible cell is hidden too."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

THRESHOLD = 5
PRIMARY = "fewer than 5 pupils"
SECONDARY = "hidden so that a smaller figure cannot be worked out by subtraction"


@dataclass
class Cell:
    """One figure and the number of pupils it is about."""

    value: object
    pupils: int
    suppressed: bool = False
    reason: str = ""

    def hide(self, reason: str) -> None:
        if not self.suppressed:
            self.suppressed, self.reason = True, reason

    @property
    def shown(self):
        return None if self.suppressed else self.value


def too_few(pupils: int) -> bool:
    return 0 < pupils < THRESHOLD


def suppress_cell(cell: Cell) -> Cell:
    if too_few(cell.pupils):
        cell.hide(PRIMARY)
    return cell


def suppress_set(cells: Iterable[Cell], *, total_shown: bool = True) -> list[Cell]:
    """Primary and secondary suppression over cells that together make a shown total.

    Cells already hidden (for example because their whole row is hidden) count as hidden.
    When exactly one cell is hidden and the total is shown, the visible cell with the fewest
    pupils (first in order on a tie) is hidden too; two hidden cells cannot be separated by
    subtraction, so one extra cell is always enough."""
    cells = list(cells)
    for cell in cells:
        suppress_cell(cell)
    hidden = [c for c in cells if c.suppressed]
    if total_shown and len(hidden) == 1:
        visible = [c for c in cells if not c.suppressed and c.pupils > 0]
        if visible:
            min(visible, key=lambda c: c.pupils).hide(SECONDARY)
        else:
            # Nothing else can be hidden: every other cell is empty, so the total itself gives
            # the hidden figure away; callers hide the total (see `total_must_hide`).
            pass
    return cells


def total_must_hide(cells: Iterable[Cell]) -> bool:
    """True when a hidden cell could still be recovered from the total (it is the only
    non-empty cell), so the total must be hidden as well."""
    cells = list(cells)
    hidden = [c for c in cells if c.suppressed]
    visible = [c for c in cells if not c.suppressed and c.pupils > 0]
    return len(hidden) == 1 and not visible
