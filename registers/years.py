"""National curriculum years, as the product stores and names them: one place for the label a
person reads, the code an MIS file carries and the number the database sorts by.

Stored as a small integer so that ordering, filters and ranges work: Nursery first (N1 = -2,
N2 = -1), Reception 0, Years 1–14, and pupils not following the national curriculum (MIS
code `X`) after them all.

MIS files (SIMS, Arbor, Bromcom, ScholarPack CSV exports; the DfE's Common Transfer File
`NCyearActual` and the school census) write the year as a code — `N1`, `N2`, `R`, `1`–`14`,
`X` — often with a prefix a person added ("Year 6", "Y10", "Yr 3", "YR" for Year R) or as a
word ("Reception", "Nursery 2"). `parse_year` reads all of those; `year_code` writes the code."""

import re

NURSERY_1, NURSERY_2, RECEPTION = -2, -1, 0
NOT_FOLLOWING = 99  # MIS code X: not following the national curriculum

# Every national curriculum year in the order a school lists them, as (stored value, code).
YEAR_CODES: tuple[tuple[int, str], ...] = (
    (NURSERY_1, "N1"),
    (NURSERY_2, "N2"),
    (RECEPTION, "R"),
    *((n, str(n)) for n in range(1, 15)),
    (NOT_FOLLOWING, "X"),
)
_BY_CODE = {code: year for year, code in YEAR_CODES}
_BY_YEAR = dict(YEAR_CODES)

# The words people and MIS exports write instead of a code (upper case, single spaces).
_WORDS = {
    "RECEPTION": RECEPTION,
    "REC": RECEPTION,
    "NURSERY 1": NURSERY_1,
    "NURSERY1": NURSERY_1,
    "NURSERY 2": NURSERY_2,
    "NURSERY2": NURSERY_2,
    "NOT FOLLOWING THE NATIONAL CURRICULUM": NOT_FOLLOWING,  # what year_label writes for X
}
# "Year 6", "Y10", "Yr 3", "Year R", "YR" (= Year R), "Y N2": an optional prefix, then the code.
_PREFIXED = re.compile(r"(?:YEAR|YR|Y)?\s*(N\s?[12]|R|X|\d{1,2})")


def parse_year(text) -> int:
    """The stored year for a year as an MIS file or a person writes it.

    Accepts the codes N1, N2, R, 1–14 and X in any case, with or without a "Y", "Yr" or
    "Year" prefix and surrounding spaces, and the words "Reception", "Nursery 1"/"Nursery 2"
    (so it reads back what `year_label` writes). "0" is read as Reception, as today's pupil
    CSV wrote it. Raises ValueError with a message an administrator can act on."""
    raw = "" if text is None else str(text)
    words = " ".join(raw.upper().replace("\u00a0", " ").split())
    if words in _WORDS:
        return _WORDS[words]
    match = _PREFIXED.fullmatch(words)
    if match:
        code = match.group(1).replace(" ", "")
        if code.isdigit():
            code = str(int(code))  # "06" is 6
            if code == "0":
                return RECEPTION
        if code in _BY_CODE:
            return _BY_CODE[code]
    shown = raw.strip()
    if not shown:
        raise ValueError("the year is empty: use N1, N2, R, 1–14 or X")
    raise ValueError(f"'{shown}' is not a national curriculum year: use N1, N2, R, 1–14 or X")


def year_code(year: int) -> str:
    """The CTF / school census code for a stored year: N1, N2, R, 1..14 or X."""
    try:
        return _BY_YEAR[year]
    except (KeyError, TypeError):
        raise ValueError(f"{year!r} is not a stored national curriculum year") from None


def year_label(year: int | None) -> str:
    if year is None:
        return "No year"
    if year == RECEPTION:
        return "Reception"
    if year == NURSERY_2:
        return "Nursery 2"
    if year <= NURSERY_1:
        return "Nursery 1"
    if year == NOT_FOLLOWING:
        return "Not following the national curriculum"
    return f"Year {year}"
