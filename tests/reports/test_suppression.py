"""The small-numbers rule (reports/suppression.py): cells about 1–4 pupils are hidden; within
a set that adds up to a known total the hidden cells together are about 5 or more pupils and
none can be pinned down; a small total hides its whole breakdown, zeros included."""

import pytest

from registers.selectors import AttendanceFigures
from reports.selectors.cohorts import cohort_tables
from reports.suppression import (
    NOTE,
    PRIMARY,
    ROW_HIDDEN,
    SECONDARY,
    WITH_TOTAL,
    Cell,
    Publication,
    suppress_breakdown,
    suppress_cell,
    unpublished,
)


def protect(total, parts, **cells):
    pub = Publication()
    pub.relate(total, parts)
    return pub.protect()


def counts(*values):
    return [Cell(v, v) for v in values]


def shown(cells):
    return [c.shown for c in cells]


@pytest.mark.parametrize(("pupils", "hidden"), [(0, False), (1, True), (4, True), (5, False), (6, False)])
def test_primary_suppression_threshold(pupils, hidden):
    cell = suppress_cell(Cell(pupils, pupils))
    assert cell.suppressed is hidden
    assert cell.shown == (None if hidden else pupils)


def test_cohorts_of_4_5_and_6():
    total, parts = Cell(15, 15), counts(4, 5, 6)
    protect(total, parts)
    # 4 is hidden; 5 is hidden too, or 4 = total − 5 − 6; 6 stays.
    assert shown(parts) == [None, None, 6]
    assert parts[0].reason == PRIMARY and parts[1].reason == SECONDARY


def test_cohorts_of_5_and_6_show_everything():
    parts = counts(5, 6)
    protect(Cell(11, 11), parts)
    assert shown(parts) == [5, 6]


def test_two_small_cells_that_add_up_to_fewer_than_5_take_a_partner():
    """3 + 1 = total − 6 − 7 = 4: a group of 4 pupils, worked out. Hide the 6 as well."""
    parts = counts(3, 1, 6, 7)
    protect(Cell(17, 17), parts)
    assert shown(parts) == [None, None, None, 7]


def test_two_small_cells_that_add_up_to_5_or_more_need_no_partner():
    """4 + 4 = total − 9 = 8: which of them is which is not known (every dash says the same)."""
    parts = counts(4, 4, 9)
    protect(Cell(17, 17), parts)
    assert shown(parts) == [None, None, 9]
    assert {c.note for c in parts if c.suppressed} == {NOTE}


def test_a_cell_worked_out_across_two_sets_takes_a_partner():
    """The PA count less the PA band gives the SA band; the bands less the shown ones give the
    rest: band 1 = 21 − 8 − 0 − (PA 12). Found by solving every sum at once, not set by set."""
    pupils, pa, sa = Cell(21, 21), Cell(12, 12), Cell(6, 6)
    bands = counts(8, 1, 0, 6, 6)
    pub = Publication()
    pub.relate(pupils, bands)
    pub.relate(pa, bands[3:])
    pub.relate(sa, bands[4:])
    pub.protect()
    known, _ = pub.solvable()
    assert bands[1].suppressed and id(bands[1]) not in known


def test_secondary_takes_the_next_smallest_not_an_empty_cell():
    parts = counts(2, 0, 9, 6)
    protect(Cell(17, 17), parts)
    assert shown(parts) == [None, 0, 9, None]


def test_a_small_total_hides_its_breakdown_zeros_included():
    """Total 2 (hidden): a 0 beside a dash would say where those 2 pupils are."""
    parts = counts(0, 2, 0)
    protect(Cell(2, 2), parts)
    assert shown(parts) == [None, None, None]
    assert {c.reason for c in parts} == {WITH_TOTAL}  # no part's note says "not 0"


def test_a_zero_total_shows_its_zeros():
    parts = counts(0, 0)
    protect(Cell(0, 0), parts)
    assert shown(parts) == [0, 0]


def test_lone_non_empty_cell_hides_the_total_when_nothing_else_can_be():
    total, parts = Cell(3, 3), [Cell(3, 3, fixed=True), Cell(0, 0, fixed=True)]
    parts[0].suppressed, parts[0].reason = True, PRIMARY
    protect(total, parts)
    assert total.suppressed


def test_fixed_cells_are_never_hidden_here():
    """A school's own report has settled its cells; the trust's total is hidden instead."""
    a, b = Cell(6, 6, fixed=True), Cell(3, 3, fixed=True)
    b.suppressed, b.reason = True, PRIMARY
    combined = Cell(9, 9)
    protect(combined, [a, b])
    assert a.shown == 6 and combined.suppressed


def test_unpublished_cells_count_as_hidden():
    """PA among pupils outside ages 5–15 is shown nowhere but is part of the school's PA."""
    dfe_pa, rest = Cell(8, 8), unpublished(2)
    protect(Cell(10, 10), [dfe_pa, rest])
    assert dfe_pa.suppressed  # 10 − 8 would give the other 2 away


def test_codes_two_hidden_are_enough():
    cells = suppress_breakdown([Cell(10, 4), Cell(30, 6), Cell(70, 12)])
    assert [c.suppressed for c in cells] == [True, True, False]


def fig(absent, possible=20):
    return AttendanceFigures(possible=possible, present=possible - absent, authorised=absent)


def test_hidden_row_hides_its_counts_with_a_note_that_says_no_more():
    per_pupil = {i: fig(0) for i in range(12)} | {12: fig(12)}  # one severely absent pupil
    tables = cohort_tables(
        per_pupil, [("Year group", [("Year 3", set(range(6))), ("Year 4", {6, 7, 8, 9, 10, 11, 12})])]
    )
    y3, y4 = tables.dimensions[0].groups
    assert y3.row.shown == 6 and y4.row.shown == 7
    # Whole school: 1 severely absent, hidden. Year 3's 0 would say the pupil is in Year 4.
    assert tables.headline.sa.suppressed
    assert y3.sa.shown is None and y4.sa.shown is None and y3.sa.reason == y4.sa.reason == WITH_TOTAL


def test_dependants_of_a_hidden_row_say_only_that():
    per_pupil = {i: fig(0) for i in range(10)} | {10: fig(6), 11: fig(0)}
    tables = cohort_tables(per_pupil, [("Year group", [("Year 3", set(range(10))), ("Year 5", {10, 11})])])
    y5 = tables.dimensions[0].groups[1]
    assert y5.hidden and y5.pa.reason == ROW_HIDDEN  # not "fewer than 5", which would say "not 0"
