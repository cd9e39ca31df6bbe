"""Small-number suppression: the one layer between the figures and whoever reads them without
names (governors, trust leaders; the report page, its PDF, the at-a-glance page, the API).

The rule (DESIGN.md principle 7): no figure about 1 to 4 pupils may be read, nor worked out.

- **Primary**: a cell about 1 to 4 pupils is shown as a dash (a count of 0 describes nobody
  and is shown).
- **Sums** (`Publication.relate`): a reader knows which cells add up to which total (the year
  groups of the school, the attendance bands, the two PA bands, the schools of a trust). Within
  each such set, the hidden cells a reader cannot otherwise pin down must together be about at
  least 5 pupils, and none of them may be pinned down by what a reader knows of it: its total,
  the other cells, and what the dash's note says (`fewer than 5` means 1 to 4; a partner
  hidden by this rule is a cell that was shown, so 5 or more). Until that holds, the visible
  non-empty cell with the fewest pupils is hidden too ("secondary"); if there is none, the
  total is.
- **Zeros beside a small total**: when a total is about 1 to 4 pupils (so hidden), every cell
  of its breakdown is hidden too, zeros included. Otherwise the zeros would say where those
  few pupils are: a Year 3 "0", a Girls "0" and an FSM "0" beside dashes narrow a hidden
  "1 severely absent" down to one child. A zero beside a total of 5 or more only says that
  5 or more pupils are somewhere among the dashes, which identifies nobody.
- **Rows**: a hidden row hides the figures about its pupils (`Publication.depends`).

Cells whose visibility is settled by another page (a school's own report, read by the trust
view) are `fixed`: they are never hidden further here, so the trust view hides its combined
figures instead. `protect()` repeats the checks until nothing changes; every hidden cell keeps
the reason shown in its note."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

THRESHOLD = 5
PRIMARY = f"fewer than {THRESHOLD} pupils"
SECONDARY = "hidden so that a smaller figure cannot be worked out by subtraction"
WITH_TOTAL = f"hidden because the figure it is part of is about fewer than {THRESHOLD} pupils"
ROW_HIDDEN = "hidden with the number of pupils in the group"
UNPUBLISHED = "not published"
INFINITY = float("inf")


@dataclass(eq=False)
class Cell:
    """One figure and the number of pupils it is about (for a count of pupils, the same)."""

    value: object
    pupils: int
    suppressed: bool = False
    reason: str = ""
    label: str = ""
    fixed: bool = False

    def hide(self, reason: str) -> None:
        if not self.suppressed:
            self.suppressed, self.reason = True, reason

    @property
    def shown(self):
        return None if self.suppressed else self.value

    def bounds(self) -> tuple[float, float]:
        """What a reader knows of this cell from the page alone."""
        if not self.suppressed:
            return self.pupils, self.pupils
        if self.reason == PRIMARY:
            return 1, THRESHOLD - 1
        if self.reason == SECONDARY:
            return THRESHOLD, INFINITY
        return 0, INFINITY


def too_few(pupils: int) -> bool:
    return 0 < pupils < THRESHOLD


def suppress_cell(cell: Cell) -> Cell:
    if too_few(cell.pupils):
        cell.hide(PRIMARY)
    return cell


def unpublished(pupils: int) -> Cell:
    """A figure that takes part in a sum but is shown nowhere (pupils outside ages 5 to 15
    who are persistently absent, say): hidden from the start."""
    return Cell(pupils, pupils, suppressed=True, reason=UNPUBLISHED)


class Publication:
    """Every figure one reader can see together, and which of them add up to which."""

    def __init__(self):
        self.cells: dict[int, Cell] = {}
        self.relations: list[tuple[Cell, list[Cell]]] = []
        self.dependents: list[tuple[Cell, list[Cell]]] = []

    def add(self, *cells: Cell) -> None:
        for cell in cells:
            self.cells.setdefault(id(cell), cell)

    def relate(self, total: Cell, parts: Iterable[Cell]) -> None:
        """`total` is the sum of `parts` (in pupils), and a reader can tell."""
        parts = list(parts)
        self.add(total, *parts)
        self.relations.append((total, parts))

    def depends(self, row: Cell, figures: Iterable[Cell]) -> None:
        """`figures` are about the pupils `row` counts: hidden when it is."""
        figures = list(figures)
        self.add(row, *figures)
        self.dependents.append((row, figures))

    # --- what a reader can work out ------------------------------------------------------

    def bounds(self) -> dict[int, list[float]]:
        """Each cell's lowest and highest possible value given everything shown, by
        propagating the sums until nothing tightens (a reader with a pencil, made thorough)."""
        b = {key: list(cell.bounds()) for key, cell in self.cells.items()}
        for row, figures in self.dependents:
            for f in figures:
                b[id(f)][1] = min(b[id(f)][1], b[id(row)][1])
        for _ in range(50):
            changed = False
            for total, parts in self.relations:
                t = b[id(total)]
                lo_sum = sum(b[id(p)][0] for p in parts)
                hi_sum = sum(b[id(p)][1] for p in parts)
                if lo_sum > t[0]:
                    t[0], changed = lo_sum, True
                if hi_sum < t[1]:
                    t[1], changed = hi_sum, True
                for p in parts:
                    pb = b[id(p)]
                    lo = t[0] - (hi_sum - pb[1])
                    hi = t[1] - (lo_sum - pb[0])
                    if lo > pb[0]:
                        pb[0], changed = lo, True
                    if hi < pb[1]:
                        pb[1], changed = hi, True
            if not changed:
                break
        return b

    def exposed(self) -> list[tuple[Cell, list[Cell]]]:
        """Sets that give a small figure away: (total, parts) where a hidden part is pinned to
        a value under the threshold, or the hidden parts a reader cannot pin down add up to a
        known 1 to 4 pupils. A set that is all zeros gives nothing away."""
        b = self.bounds()
        out = []
        for total, parts in self.relations:
            if total.pupils == 0:
                continue  # every part is 0 as well: a zero total already says so
            members = [total, *parts]
            pinned = [c for c in members if c.suppressed and b[id(c)][0] == b[id(c)][1] and c.pupils < THRESHOLD]
            loose = [p for p in parts if p.suppressed and b[id(p)][0] != b[id(p)][1]]
            t = b[id(total)]
            hidden_sum = t[0] - sum(b[id(p)][0] for p in parts if b[id(p)][0] == b[id(p)][1])
            small_sum = t[0] == t[1] and len(loose) > 1 and 0 < hidden_sum < THRESHOLD
            if pinned or small_sum:
                out.append((total, parts))
        return out

    # --- hiding until nothing can be worked out ------------------------------------------

    @staticmethod
    def _hide_as(cell: Cell, reason: str, keep: tuple[str, ...] = ()) -> bool:
        """Hide `cell` with `reason`, replacing a note that would say more (a part marked
        "fewer than 5" beside a small total would say that it is not 0)."""
        if cell.fixed or cell.reason == reason or cell.reason in keep:
            return False
        cell.suppressed, cell.reason = True, reason
        return True

    def _follow_rows(self) -> bool:
        changed = False
        for row, figures in self.dependents:
            if row.suppressed:
                for f in figures:
                    changed = self._hide_as(f, ROW_HIDDEN) or changed
        return changed

    def _hide_beside_small_totals(self) -> bool:
        changed = False
        for total, parts in self.relations:
            if total.suppressed and too_few(total.pupils):
                for p in parts:
                    changed = self._hide_as(p, WITH_TOTAL, keep=(ROW_HIDDEN,)) or changed
        return changed

    @staticmethod
    def _hide_partner(total: Cell, parts: list[Cell]) -> bool:
        candidates = [p for p in parts if not p.suppressed and not p.fixed and p.pupils > 0]
        if candidates:
            min(candidates, key=lambda c: c.pupils).hide(SECONDARY)
            return True
        if not total.suppressed and not total.fixed:
            total.hide(SECONDARY)
            return True
        return False

    def protect(self) -> Publication:
        for cell in self.cells.values():
            if not cell.fixed:
                suppress_cell(cell)
        for _ in range(len(self.cells) + 1):
            changed = self._follow_rows()
            changed = self._hide_beside_small_totals() or changed
            if not changed:
                exposed = self.exposed()
                for total, parts in exposed:
                    changed = self._hide_partner(total, parts) or changed
                    if changed:
                        break  # one at a time: the next partner depends on what is hidden now
            if not changed:
                break
        return self


def suppress_breakdown(cells: Iterable[Cell]) -> list[Cell]:
    """Sessions by code within a category (the category's total is in the calculation): a code
    used by 1 to 4 pupils is hidden, and if it is the only one hidden, so is the code used by
    the fewest pupils after it, so that its sessions cannot be had by subtraction. Sessions are
    not pupils, so the sums of `Publication` do not apply; two hidden codes are enough."""
    cells = list(cells)
    for cell in cells:
        suppress_cell(cell)
    hidden = [c for c in cells if c.suppressed]
    visible = [c for c in cells if not c.suppressed and c.pupils > 0]
    if len(hidden) == 1 and visible:
        min(visible, key=lambda c: c.pupils).hide(SECONDARY)
    return cells
