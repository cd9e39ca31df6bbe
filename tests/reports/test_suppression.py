"""The small-numbers rule: cells about 1–4 pupils are hidden, and one partner cell when a
lone hidden cell could be worked out from the total."""

import pytest

from registers.selectors import AttendanceFigures
from reports.selectors.cohorts import Group, band_distribution, suppress_groups
from reports.suppression import PRIMARY, SECONDARY, Cell, suppress_cell, suppress_set, total_must_hide


@pytest.mark.parametrize(("pupils", "hidden"), [(0, False), (1, True), (4, True), (5, False), (6, False)])
def test_primary_suppression_threshold(pupils, hidden):
    cell = suppress_cell(Cell(pupils, pupils))
    assert cell.suppressed is hidden
    assert cell.shown == (None if hidden else pupils)


def test_cohorts_of_4_5_and_6():
    cells = suppress_set([Cell("a", 4), Cell("b", 5), Cell("c", 6)])
    # 4 is hidden; 5 is hidden too, or 4 = total − 5 − 6; 6 stays.
    assert [c.suppressed for c in cells] == [True, True, False]
    assert cells[0].reason == PRIMARY and cells[1].reason == SECONDARY


def test_cohorts_of_5_and_6_show_everything():
    cells = suppress_set([Cell("b", 5), Cell("c", 6)])
    assert not any(c.suppressed for c in cells)


def test_two_small_cells_need_no_partner():
    cells = suppress_set([Cell("a", 4), Cell("b", 3), Cell("c", 6), Cell("d", 7)])
    assert [c.suppressed for c in cells] == [True, True, False, False]


def test_secondary_takes_the_next_smallest_not_an_empty_cell():
    cells = suppress_set([Cell("a", 2), Cell("z", 0), Cell("c", 9), Cell("d", 6)])
    assert [c.suppressed for c in cells] == [True, False, False, True]


def test_no_secondary_when_the_total_is_not_shown():
    cells = suppress_set([Cell("a", 4), Cell("b", 6)], total_shown=False)
    assert [c.suppressed for c in cells] == [True, False]


def test_lone_non_empty_cell_hides_the_total():
    cells = suppress_set([Cell("a", 3), Cell("b", 0)])
    assert total_must_hide(cells)


def fig(absent, possible=20):
    return AttendanceFigures(possible=possible, present=possible - absent, authorised=absent)


def group(label, pupils, pa=0, sa=0):
    per_pupil = {i: fig(12 if i < sa else 3 if i < pa else 0) for i in range(pupils)}
    return Group.of(label, per_pupil)


def test_groups_rows_then_pa_counts():
    groups = [group("Year 3", 6, pa=2), group("Year 4", 5, pa=0), group("Year 5", 4)]
    suppress_groups(groups)
    y3, y4, y5 = groups
    assert y5.hidden and y5.attendance is None and y5.pa.suppressed
    assert y4.hidden  # the partner of the lone small row
    assert not y3.hidden and y3.attendance is not None
    # Year 3's PA count of 2 is about 2 pupils: hidden, with its rate.
    assert y3.pa.suppressed and y3.pa_rate is None


def test_pa_partner_hidden_among_visible_rows():
    groups = [group("Girls", 30, pa=3), group("Boys", 30, pa=8)]
    suppress_groups(groups)
    assert groups[0].pa.suppressed and groups[1].pa.suppressed
    assert not groups[0].hidden and not groups[1].hidden


def test_bands_hide_both_pa_bands_when_one_is_small():
    per_pupil = {i: fig(0) for i in range(20)}
    per_pupil.update({100 + i: fig(4) for i in range(10)})  # 20 % absence: persistent
    per_pupil.update({200 + i: fig(12) for i in range(2)})  # 60 %: severe
    bands = band_distribution(per_pupil)
    assert bands[4].suppressed and bands[3].suppressed
    assert bands[0].shown == 20
