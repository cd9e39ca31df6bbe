"""Small-number suppression: the one layer between the figures and whoever reads them without
names (governors, trust leaders; the report page, its PDF, the at-a-glance page, the API).

The rule (DESIGN.md principle 7): no figure about 1 to 4 pupils may be read, nor worked out.

- **Primary**: a cell about 1 to 4 pupils is shown as a dash (a count of 0 describes nobody
  and is shown).
- **Sums** (`Publication.relate`): a reader knows which cells add up to which total (the year
  groups of the school, the attendance bands, the two PA bands, the schools of a trust). Within
  each such set, the hidden cells must together be about at least 5 pupils, and no hidden
  figure (nor the hidden part of a set) may follow from the shown ones by sums and differences
  across all the sets at once (`solvable`) or by narrowing (`bounds`). Until that holds, the
  visible non-empty cell with the fewest pupils is hidden too ("secondary"); if there is none,
  the total is, or a cell of the nearest set that still shows one. Every dash carries the same
  note (`NOTE`), so a dash does not say whether it is small or a partner.
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

import numpy as np

THRESHOLD = 5
PRIMARY = f"fewer than {THRESHOLD} pupils"
SECONDARY = "hidden so that a smaller figure cannot be worked out by subtraction"
WITH_TOTAL = f"hidden because the figure it is part of is about fewer than {THRESHOLD} pupils"
ROW_HIDDEN = "hidden with the number of pupils in the group"
UNPUBLISHED = "not published"
# What every dash says. One note for every hidden figure: a note that told "fewer than 5" (1 to
# 4) from "hidden as a partner" (so 5 or more) would pin figures down on its own: a hidden 6
# beside a partner known to be 5 or more leaves exactly 1.
NOTE = f"fewer than {THRESHOLD} pupils, or hidden so that such a figure cannot be worked out"
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

    @property
    def note(self) -> str:
        """What the reader is told of a hidden figure (the same for every one: see NOTE)."""
        return NOTE if self.suppressed else ""

    def bounds(self) -> tuple[float, float]:
        """What a reader knows of this cell from the page alone: its value, or (a dash) that it
        is 0 or more."""
        if not self.suppressed:
            return self.pupils, self.pupils
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

    def solvable(self) -> tuple[set[int], list[int]]:
        """What sums and differences pin down: the hidden cells whose value follows from the
        shown ones (ids), and the sets (by index) whose hidden parts add up to a known figure.

        The sums, on the hidden cells only, are a linear system; a combination of hidden cells
        is known exactly when it does not move along the system's null space (numpy's SVD)."""
        hidden = [c for c in self.cells.values() if c.suppressed]
        if not hidden or not self.relations:
            return set(), []
        column = {id(c): i for i, c in enumerate(hidden)}
        rows = []
        for total, parts in self.relations:
            row = np.zeros(len(hidden))
            for cell, sign in [(total, -1.0), *[(p, 1.0) for p in parts]]:
                if id(cell) in column:
                    row[column[id(cell)]] += sign
            rows.append(row)
        matrix = np.array(rows)
        _, singular, vt = np.linalg.svd(matrix)
        rank = int((singular > 1e-9).sum())
        null = vt[rank:].T  # one row per hidden cell
        if null.shape[1] == 0:
            return {id(c) for c in hidden}, list(range(len(self.relations)))
        known = {id(c) for c, free in zip(hidden, np.abs(null).max(axis=1), strict=True) if free < 1e-9}
        sums = []
        for index, (_total, parts) in enumerate(self.relations):
            members = [column[id(p)] for p in parts if id(p) in column]
            if len(members) > 1 and np.abs(null[members].sum(axis=0)).max() < 1e-9:
                sums.append(index)
        return known, sums

    def exposed(self) -> list[tuple[Cell, list[Cell]]]:
        """Sets that give a small figure away: (total, parts) where a hidden member can be
        worked out (by sums and differences, or pinned by the notes and the sums) to a value
        under the threshold, or the hidden parts add up to a known 1 to 4 pupils. A set that is
        all zeros gives nothing away."""
        b = self.bounds()
        known, known_sums = self.solvable()
        group_of = {id(f): row for row, figures in self.dependents for f in figures}

        def telling(cell: Cell) -> bool:
            """A figure worked out exactly says something about few pupils: 1 to 4, or 0 of a
            group of 1 to 4 (none of Year 5's two pupils is absent). A 0 about a group of 0 or
            5 or more pupils says nothing about anyone in particular."""
            if cell.pupils > 0:
                return cell.pupils < THRESHOLD
            row = group_of.get(id(cell))
            return row is not None and too_few(row.pupils)

        out = []
        for index, (total, parts) in enumerate(self.relations):
            if total.pupils == 0:
                continue  # every part is 0 as well: a zero total already says so
            members = [total, *parts]
            pinned = [
                c for c in members if c.suppressed and telling(c) and (id(c) in known or b[id(c)][0] == b[id(c)][1])
            ]
            hidden_sum = sum(p.pupils for p in parts if p.suppressed)
            small_sum = index in known_sums and 0 < hidden_sum < THRESHOLD
            loose = [p for p in parts if p.suppressed and b[id(p)][0] != b[id(p)][1]]
            t = b[id(total)]
            loose_sum = t[0] - sum(b[id(p)][0] for p in parts if b[id(p)][0] == b[id(p)][1])
            small_sum = small_sum or (t[0] == t[1] and len(loose) > 1 and 0 < loose_sum < THRESHOLD)
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
        return False  # the total, or a figure further off: `_hide_around` finds which helps

    def _hide_around(self, stuck) -> bool:
        """A set gives something away and has nothing left to hide (its total is hidden, but
        another table shows the same figure: a one-row dimension, or the pupils less the PA count
        giving the pupils in the top bands). Look outwards from it, set by shared figure, for the
        one shown figure whose hiding stops the give-away; failing that, hide the smallest figure
        of the nearest sets and look again."""
        members = {id(c) for total, parts in stuck for c in (total, *parts)}
        stuck_keys = {(id(t), tuple(id(p) for p in ps)) for t, ps in stuck}

        def still_stuck() -> bool:
            return any((id(t), tuple(id(p) for p in ps)) in stuck_keys for t, ps in self.exposed())

        seen: set[int] = set()
        first_ring: list[Cell] = []
        while True:
            ring = [
                i
                for i, (total, parts) in enumerate(self.relations)
                if i not in seen and any(id(c) in members for c in (total, *parts))
            ]
            if not ring:
                break
            candidates: dict[int, Cell] = {}
            for i in ring:
                seen.add(i)
                cells = [*self.relations[i][1], self.relations[i][0]]
                for c in cells:
                    if not c.suppressed and not c.fixed and c.pupils > 0:
                        candidates[id(c)] = c
                members |= {id(c) for c in cells}
            # Totals last (the whole school's pupils are the total of every table), then the smallest.
            totals = [id(t) for t, _ in self.relations]
            ordered = sorted(candidates.values(), key=lambda c: (totals.count(id(c)), c.pupils))
            first_ring = first_ring or ordered
            for cell in ordered:
                cell.suppressed, cell.reason = True, SECONDARY
                if not still_stuck():
                    return True
                cell.suppressed, cell.reason = False, ""
        if first_ring:
            first_ring[0].hide(SECONDARY)
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
                # A partner in every set that gives something away, then look again.
                stuck = []
                for total, parts in self.exposed():
                    if self._hide_partner(total, parts):
                        changed = True
                    else:
                        stuck.append((total, parts))
                if not changed and stuck:
                    changed = self._hide_around(stuck)
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
