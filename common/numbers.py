"""Whole numbers from files and forms, as a person would write them.

`str.isdigit()` is true for "²" and "٣", which `int()` then refuses or reads as 3, and a number
of thirty digits passes every test on text before overflowing the database column: both were
server errors. Only ASCII digits are a number here, and each caller says what range is plausible."""

from __future__ import annotations


def whole_number(text, *, what: str, minimum: int = 0, maximum: int) -> int:
    """The number `text` writes, or ValueError with a message naming `what` and the range."""
    value = "" if text is None else str(text).strip()
    if not value or not (value.isascii() and value.isdigit()):
        raise ValueError(f"{what} '{value}' should be a whole number, written with the digits 0–9")
    if len(value) > len(str(maximum)) or not minimum <= int(value) <= maximum:
        shown = value if len(value) <= 12 else f"{value[:12]}…"
        raise ValueError(f"{what} '{shown}' should be between {minimum} and {maximum}")
    return int(value)
