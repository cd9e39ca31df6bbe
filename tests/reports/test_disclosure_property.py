"""Property: for any small school, nothing a governor can read (the report's tables, the PDF's,
the API's, the home page tile) lets them work out a count under 5 that the report hid.

The attacker here is independent of reports/suppression.py: it writes down, from the tables as
printed, every sum a reader can see (the rows of each table add up to the whole school, the bands
to the pupils, the two PA bands to the PA count, the DfE basis and those left out to the whole
school) and then (1) solves them exactly (rational Gaussian elimination: what sums and
differences pin down), (2) narrows each dash by what its note says ("fewer than 5" is 1 to 4; a
partner is 5 or more) and the sums, and (3) looks for a 0 printed beside a small hidden total.

In-memory schools (hypothesis) go through `cohort_tables`, whose cells the page, the PDF, the API
and the tile (the headline for the year) print; a few schools in the database go through the page, the
PDF's text, the API and the tile themselves."""

from __future__ import annotations

import datetime as dt
import random
import re
import subprocess
from fractions import Fraction

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from registers.models import Staff
from registers.selectors import AttendanceFigures
from reports.selectors.cohorts import cohort_tables
from reports.suppression import PRIMARY, SECONDARY, THRESHOLD
from tests.factories import PupilFactory, write
from tests.reports.conftest import DAYS, PERIOD, make_staff
from tests.reports.test_disclosure import tables

POSSIBLE = 2 * len(DAYS)  # 20 sessions
INF = float("inf")

# --- the attacker ------------------------------------------------------------------------


class Attack:
    """Quantities (what a cell is about), what the reader sees of each, and the sums."""

    def __init__(self):
        self.truth: dict[str, int] = {}
        self.seen: dict[str, int | None] = {}
        self.notes: dict[str, str] = {}
        self.about: dict[str, int] = {}  # how many pupils the figure is about
        self.sums: list[tuple[str, list[str]]] = []

    def read(self, name: str, truth: int, shown: int | None, note: str = "", about: int | None = None):
        """One printed figure (about `about` pupils: a PA count is about the group's pupils). The
        same quantity printed twice (tile and report) is known if either shows it."""
        self.about[name] = truth if about is None else about
        if name in self.truth:
            assert self.truth[name] == truth
            if self.seen[name] is None:
                self.seen[name], self.notes[name] = shown, note
            return
        self.truth[name], self.seen[name], self.notes[name] = truth, shown, note

    def add_sum(self, total: str, parts: list[str]):
        self.sums.append((total, parts))

    def hidden(self):
        return [q for q, v in self.seen.items() if v is None]

    # (1) exact: is a hidden quantity (or the hidden part of a sum) fixed by the sums?
    def determined(self) -> list[tuple[list[str], int]]:
        hidden = self.hidden()
        index = {q: i for i, q in enumerate(hidden)}
        rows = []
        for total, parts in self.sums:
            row = [Fraction(0)] * len(hidden)
            for q, sign in [(total, -1), *[(p, 1) for p in parts]]:
                if q in index:
                    row[index[q]] += sign
            if any(row):
                rows.append(row)
        basis = rref(rows)
        found = []
        candidates = [[q] for q in hidden]
        for _total, parts in self.sums:
            hidden_parts = [p for p in parts if p in index]
            if len(hidden_parts) > 1:
                candidates.append(hidden_parts)
        for group in candidates:
            vector = [Fraction(0)] * len(hidden)
            for q in group:
                vector[index[q]] = Fraction(1)
            if in_span(basis, vector):
                found.append((group, sum(self.truth[q] for q in group)))
        return found

    # (2) bounds from the notes, narrowed by the sums
    def bounds(self) -> dict[str, list[float]]:
        b = {}
        for q, v in self.seen.items():
            if v is not None:
                b[q] = [v, v]
            elif self.notes[q] == PRIMARY:
                b[q] = [1, THRESHOLD - 1]
            elif self.notes[q] == SECONDARY:
                b[q] = [THRESHOLD, INF]
            else:
                b[q] = [0, INF]
        for _ in range(60):
            changed = False
            for total, parts in self.sums:
                lo = sum(b[p][0] for p in parts)
                hi = sum(b[p][1] for p in parts)
                t = b[total]
                new_t = [max(t[0], lo), min(t[1], hi)]
                if new_t != t:
                    b[total], changed = new_t, True
                for p in parts:
                    new = [max(b[p][0], b[total][0] - (hi - b[p][1])), min(b[p][1], b[total][1] - (lo - b[p][0]))]
                    if new != b[p]:
                        b[p], changed = new, True
            if not changed:
                break
        return b

    def harmless_zero(self, group: list[str], bounds) -> bool:
        """A 0 worked out for `group` says nothing about a small group: together they are about
        0 or 5 or more pupils, or each is part of a total known to be 0 (no pupil in the school is
        severely absent: then none in any group is)."""
        about = sum(self.about[q] for q in group)
        return (
            about == 0
            or about >= THRESHOLD
            or all(any(bounds[t] == [0, 0] and q in parts for t, parts in self.sums) for q in group)
        )

    def check(self):
        for q, v in self.seen.items():
            assert v is None or v == 0 or v >= THRESHOLD, f"{q} printed as {v}"
        bounds = self.bounds()
        for group, value in self.determined():
            if value < THRESHOLD and not (value == 0 and self.harmless_zero(group, bounds)):
                raise AssertionError(f"{' + '.join(group)} = {value} can be worked out by sums and differences")
        for q, (lo, hi) in bounds.items():
            if (
                self.seen[q] is None
                and lo == hi
                and self.truth[q] < THRESHOLD
                and not (self.truth[q] == 0 and self.harmless_zero([q], bounds))
            ):
                raise AssertionError(f"{q} = {self.truth[q]} pinned by the notes and the sums")
        for total, parts in self.sums:
            if self.seen[total] is None and 0 < self.truth[total] < THRESHOLD:
                printed = [p for p in parts if self.seen[p] is not None]
                assert not printed, f"{printed} printed beside the hidden {total} ({self.truth[total]} pupils)"


def rref(rows):
    rows = [r[:] for r in rows]
    basis, col = [], 0
    width = len(rows[0]) if rows else 0
    while rows and col < width:
        pivot = next((r for r in rows if r[col] != 0), None)
        if pivot is None:
            col += 1
            continue
        rows.remove(pivot)
        pivot = [x / pivot[col] for x in pivot]
        rows = [[x - r[col] * y for x, y in zip(r, pivot, strict=True)] for r in rows]
        basis = [[x - b[col] * y for x, y in zip(b, pivot, strict=True)] for b in basis]
        basis.append(pivot)
        col += 1
    return basis


def in_span(basis, vector):
    v = vector[:]
    for row in basis:
        col = next(i for i, x in enumerate(row) if x != 0)
        if v[col] != 0:
            factor = v[col]
            v = [x - factor * y for x, y in zip(v, row, strict=True)]
    return not any(v)


# --- reading the figures a governor sees ----------------------------------------------------


def read_group(attack: Attack, prefix: str, g, row: dict | None = None):
    """A cohort table row: `row` as printed (page/API), else the cells themselves."""
    row = row or {"pupils": g.row.shown, "persistent": g.pa.shown, "severe": g.sa.shown}
    attack.read(f"{prefix}.pupils", g.pupils, row["pupils"], g.row.note)
    attack.read(f"{prefix}.pa", g.persistent, row["persistent"], g.pa.note, about=g.pupils)
    attack.read(f"{prefix}.sa", g.severe, row["severe"], g.sa.note, about=g.pupils)


def read_tables(attack: Attack, t, printed: dict | None = None):
    """Everything of `cohort_tables` a reader sees, and the sums they know."""
    printed = printed or {}
    read_group(attack, "school", t.headline, printed.get("headline"))
    for d_index, d in enumerate(t.dimensions):
        names = []
        for g_index, g in enumerate(d.groups):
            name = f"{d.name}/{g.label}"
            read_group(attack, name, g, printed.get((d_index, g_index)))
            names.append(name)
        for measure in ("pupils", "pa", "sa"):
            attack.add_sum(f"school.{measure}", [f"{n}.{measure}" for n in names])
    bands = []
    for i, cell in enumerate(t.bands):
        attack.read(f"band{i}", cell.value, printed.get(("band", i), cell.shown), cell.note)
        bands.append(f"band{i}")
    attack.add_sum("school.pupils", bands)
    attack.add_sum("school.pa", bands[3:])
    attack.add_sum("school.sa", bands[4:])
    if t.dfe is not None:
        attack.read("dfe.pupils", t.dfe.pupils, t.dfe.row.shown, t.dfe.row.note)
        attack.read("dfe.pa", t.dfe.persistent, t.dfe.pa.shown, t.dfe.pa.note, about=t.dfe.pupils)
        attack.read("outside.pupils", t.outside_age.value, t.outside_age.shown, t.outside_age.note)
        attack.read("outside.pa", t.headline.persistent - t.dfe.persistent, None, about=t.outside_age.value)
        attack.add_sum("school.pupils", ["dfe.pupils", "outside.pupils"])
        attack.add_sum("school.pa", ["dfe.pa", "outside.pa"])


# --- in-memory schools -------------------------------------------------------------------------

ABSENCES = [0, 0, 0, 0, 1, 2, 3, 4, 6, 10, 12, 20]  # sessions missed of 20: 10 % or more is PA, 50 % SA


@st.composite
def schools(draw):
    years = draw(st.lists(st.integers(0, 12), min_size=1, max_size=4))
    pupils = []
    for year_index, size in enumerate(years):
        for _ in range(size):
            pupils.append(
                {
                    "year": year_index,
                    "absent": draw(st.sampled_from(ABSENCES)),
                    "sex": draw(st.sampled_from("FM")),
                    "fsm": draw(st.booleans()),
                    "sen": draw(st.sampled_from("NNNKE")),
                    "eal": draw(st.booleans()),
                    "looked_after": draw(st.sampled_from([False] * 6 + [True])),
                    "ethnic": draw(st.integers(0, 3)),
                    "dfe": draw(st.sampled_from([True] * 5 + [False])),
                }
            )
    return years, pupils


def memory_school(years, pupils):
    per_pupil = {
        i: AttendanceFigures(possible=POSSIBLE, present=POSSIBLE - p["absent"], unauthorised=p["absent"])
        for i, p in enumerate(pupils)
    }

    def where(**test):
        return {i for i, p in enumerate(pupils) if all(p[k] == v for k, v in test.items())}

    dims = [
        ("Year group", [(f"Year {y + 1}", where(year=y)) for y in range(len(years))]),
        ("Sex", [("Girls", where(sex="F")), ("Boys", where(sex="M"))]),
        ("FSM", [("FSM", where(fsm=True)), ("Not FSM", where(fsm=False))]),
        ("SEN", [(s, where(sen=s)) for s in "NKE"]),
        ("EAL", [("EAL", where(eal=True)), ("Not EAL", where(eal=False))]),
        ("Looked after", [("Looked after", where(looked_after=True)), ("Not", where(looked_after=False))]),
        ("Ethnicity", [(f"Group {e}", where(ethnic=e)) for e in range(4)]),
    ]
    return per_pupil, dims, where(dfe=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schools())
def test_no_figure_a_governor_reads_gives_away_fewer_than_5(school):
    years, pupils = school
    per_pupil, dims, dfe = memory_school(years, pupils)
    report = cohort_tables(per_pupil, dims, dfe)
    attack = Attack()
    read_tables(attack, report)  # the page, the PDF and the API print these cells; the tile, the headline's
    attack.check()


def test_the_attacker_finds_the_attacks_of_the_old_rule():
    """The checker is not toothless: the figures the old rule printed (one partner per set, zeros
    shown, the tile unsuppressed) are caught."""
    pupils = [{"year": 0, "absent": 0, "sex": "F"}] * 6 + [{"year": 1, "absent": 0, "sex": "F"}] * 5
    pupils += [{"year": 2, "absent": 0, "sex": "F"}, {"year": 2, "absent": 12, "sex": "M"}]
    attack = Attack()
    # whole school 13 = Year 1 (6) + Year 2 (5, printed by the old API) + Year 3 (hidden)
    attack.read("school.pupils", 13, 13)
    attack.read("y1", 6, 6)
    attack.read("y2", 5, 5)
    attack.read("y3", 2, None, PRIMARY)
    attack.add_sum("school.pupils", ["y1", "y2", "y3"])
    with pytest.raises(AssertionError, match="y3 = 2"):
        attack.check()
    attack = Attack()
    attack.read("school.sa", 1, None, PRIMARY)
    attack.read("girls.sa", 0, 0)
    attack.read("boys.sa", 1, None, PRIMARY)
    attack.add_sum("school.sa", ["girls.sa", "boys.sa"])
    with pytest.raises(AssertionError, match="printed beside the hidden school.sa"):
        attack.check()
    attack = Attack()  # a partner of 5 beside 1: 6 − (≥5) pins the 1
    attack.read("t", 26, 26)
    attack.read("a", 1, None, PRIMARY)
    attack.read("b", 5, None, SECONDARY)
    attack.read("c", 20, 20)
    attack.add_sum("t", ["a", "b", "c"])
    with pytest.raises(AssertionError, match="pinned"):
        attack.check()


# --- a few schools in the database: the page, the PDF, the API and the tile themselves ------------


def number(text: str) -> int | None:
    text = text.strip()
    return None if not text or text.startswith("–") else int(text.split()[0].replace(",", ""))


def page_rows(html: str) -> dict:
    """The cohort tables as printed: {(dimension index, group index): row}."""
    printed = {}
    for d_index, rows in enumerate(tables(html, "cohort-table")):
        header, *body = rows
        cols = {name: header.index(name) for name in ("Pupils", "Persistent (number)", "Severe (number)")}
        for g_index, row in enumerate(body):
            printed[(d_index, g_index)] = {
                "pupils": number(row[cols["Pupils"]]),
                "persistent": number(row[cols["Persistent (number)"]]),
                "severe": number(row[cols["Severe (number)"]]),
            }
    return printed


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_database_schools_page_pdf_api_and_tile(client, school, seed):
    rng = random.Random(seed)
    for year in (3, 4, 5):
        for _ in range(rng.randint(0, 9)):
            pupil = PupilFactory(school=school, year=year, sex=rng.choice("FM"), fsm=rng.random() < 0.3)
            missed = rng.choice(ABSENCES) // 2
            write(
                school,
                pupil,
                {
                    (day, s): ("O" if n < missed else "/" if s == "AM" else "\\")
                    for n, day in enumerate(DAYS)
                    for s in ("AM", "PM")
                },
            )
    governor = make_staff(school, Staff.Position.GOVERNOR, "governor")
    client.force_login(governor.user)
    api = APIClient()
    api.force_login(governor.user)
    html = client.get(f"/reports/?period={PERIOD}").content.decode()
    data = api.get("/api/v1/statistics/report/", {"period": PERIOD}).json()
    pdf = client.get(f"/reports/governors.pdf?period={PERIOD}").content
    pdf_text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    from reports.selectors.governors import governors_report
    from reports.selectors.periods import resolve_period

    report = governors_report(school, resolve_period(school, PERIOD, dt.date(2025, 9, 19)))
    printed = page_rows(html)
    # The API prints exactly what the page prints.
    for d_index, d in enumerate(data["dimensions"]):
        for g_index, g in enumerate(d["groups"]):
            assert printed[(d_index, g_index)] == {k: g[k] for k in ("pupils", "persistent", "severe")}
    # The PDF prints no number the page hides: each hidden row's line in the PDF has no count.
    for d in report.dimensions:
        for g in d.groups:
            if g.hidden:
                line = next(
                    (ln for ln in pdf_text.decode().splitlines() if re.match(rf"\s*{re.escape(g.label)}\s", ln)), ""
                )
                assert not re.search(r"\s\d+\s", line.replace(g.label, "")), line
    attack = Attack()
    read_tables(attack, report.tables, printed)
    with time_machine.travel(dt.datetime(2025, 9, 19, 17, 0), tick=False):
        tile_html = client.get("/reports/at-a-glance/").content.decode()
    for label in ("Pupils severely", "Pupils persistently"):
        tile = re.search(
            rf'<div class="figure"><div class="value">([^\n]*?)</div><div class="label">{label}', tile_html
        )
        cell = report.headline.sa if label == "Pupils severely" else report.headline.pa
        if tile is None:  # the whole school is hidden: so is the report's headline
            assert "Too few pupils" in tile_html and report.headline.hidden
            continue
        printed_tile = number(re.sub(r"<[^>]+>", "", tile.group(1)))
        assert printed_tile == cell.shown  # the tile prints exactly the report's headline
        attack.read(f"school.{'sa' if cell is report.headline.sa else 'pa'}", cell.value, printed_tile)
    attack.check()
