"""National curriculum years as MIS files write them: every code, the prefixes and words people
add, the order a school lists them in, and a refusal that says what to write instead."""

import csv
from pathlib import Path

import pytest

from registers.years import (
    NOT_FOLLOWING,
    NURSERY_1,
    NURSERY_2,
    RECEPTION,
    YEAR_CODES,
    parse_year,
    year_code,
    year_label,
)

EVERY_YEAR = [
    ("N1", NURSERY_1),
    ("N2", NURSERY_2),
    ("R", RECEPTION),
    *((str(n), n) for n in range(1, 15)),
    ("X", NOT_FOLLOWING),
]


@pytest.mark.parametrize(("code", "year"), EVERY_YEAR)
def test_every_code_reads_as_its_stored_year_and_writes_back(code, year):
    assert parse_year(code) == year
    assert year_code(year) == code


@pytest.mark.parametrize(("code", "year"), EVERY_YEAR)
@pytest.mark.parametrize("written", ["{}", "Y{}", "Year {}", "year {}", "YEAR{}", "Yr {}", "yr{}", " {} ", "Y {}"])
def test_every_code_reads_the_same_with_any_prefix_case_or_spaces(code, year, written):
    assert parse_year(written.format(code)) == year
    assert parse_year(written.format(code.lower())) == year


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("Year R", RECEPTION),
        ("YR", RECEPTION),  # how primary schools write Year R
        ("Reception", RECEPTION),
        ("RECEPTION", RECEPTION),
        ("Nursery 1", NURSERY_1),
        ("nursery 2", NURSERY_2),
        ("Nursery2", NURSERY_2),
        ("N 2", NURSERY_2),
        ("R ", RECEPTION),
        ("year 6", 6),
        ("Y10", 10),
        ("Year 06", 6),
        ("0", RECEPTION),  # today's pupil CSV wrote Reception as 0
        ("Year\u00a03", 3),  # a non-breaking space pasted from a spreadsheet
        (7, 7),  # a number from a spreadsheet cell
    ],
)
def test_what_mis_exports_and_people_write(text, year):
    assert parse_year(text) == year


@pytest.mark.parametrize("year", [year for _, year in EVERY_YEAR])
def test_reads_back_what_year_label_writes(year):
    assert parse_year(year_label(year)) == year


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Y15", "'Y15' is not a national curriculum year: use N1, N2, R, 1–14 or X"),
        ("15", "'15' is not a national curriculum year"),
        ("Year 0 1", "'Year 0 1' is not a national curriculum year"),
        ("-1", "'-1' is not a national curriculum year"),
        ("N3", "'N3' is not a national curriculum year"),
        ("Nursery", "'Nursery' is not a national curriculum year"),
        ("Year", "'Year' is not a national curriculum year"),
        ("Y6A", "'Y6A' is not a national curriculum year"),
        ("6.5", "'6.5' is not a national curriculum year"),
        ("", "the year is empty: use N1, N2, R, 1–14 or X"),
        ("  ", "the year is empty"),
        (None, "the year is empty"),
    ],
)
def test_anything_else_is_refused_with_what_to_write(text, message):
    with pytest.raises(ValueError) as refused:
        parse_year(text)
    assert str(refused.value).startswith(message)
    assert "use N1, N2, R, 1–14 or X" in str(refused.value)


def test_nursery_and_reception_come_before_year_1_and_x_last():
    shuffled = ["X", "10", "R", "1", "N2", "14", "2", "N1", "9"]
    assert sorted(shuffled, key=parse_year) == ["N1", "N2", "R", "1", "2", "9", "10", "14", "X"]
    assert [code for _, code in YEAR_CODES] == [code for code, _ in EVERY_YEAR]
    assert [year for year, _ in YEAR_CODES] == sorted(year for year, _ in YEAR_CODES)


@pytest.mark.parametrize("year", [-3, 15, 98, 100, None, "R"])
def test_year_code_refuses_a_value_that_is_not_stored(year):
    with pytest.raises(ValueError, match="is not a stored national curriculum year"):
        year_code(year)


def test_the_year_column_of_a_sims_style_primary_export_reads():
    """tests/registers/data/sims_pupils_primary.csv: the pupil CSV the next round's import reads."""
    text = (Path(__file__).parent / "data" / "sims_pupils_primary.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    assert [parse_year(row["Year"]) for row in rows] == [NURSERY_2, NURSERY_2, RECEPTION, RECEPTION, 1, 2, 3, 4, 5, 6]
