"""Unique Pupil Number check letter (DfE): see RULES.md, "Data exchange"."""

from django.core.exceptions import ValidationError

LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S
DIGITS = "0123456789"  # ASCII only: str.isdigit() also accepts "²" and "٣"


def check_letter(body: str) -> str:
    """The check letter for the 12 characters that follow it."""
    if len(body) != 12:
        raise ValueError("A UPN body is 12 characters")
    total = 0
    for position, char in enumerate(body, start=2):
        if char in DIGITS:
            value = int(char)
        elif position == 13 and char in LETTERS:
            value = LETTERS.index(char)
        else:
            raise ValueError(f"character {char!r} is not allowed at position {position}")
        total += value * position
    return LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """A message a school administrator can act on, or None if the UPN is valid."""
    if len(upn) != 13:
        return f"UPN {upn!r} has {len(upn)} characters; a UPN has 13."
    if upn[0] not in LETTERS:
        return f"UPN {upn!r} must start with a check letter (A–Z, not I, O or S)."
    body = upn[1:]
    if not all(c in DIGITS for c in body[:11]) or body[11] not in DIGITS + LETTERS:
        return f"UPN {upn!r}: characters 2–12 must be digits and the last a digit or letter."
    expected = check_letter(body)
    if upn[0] != expected:
        return f"UPN {upn!r} has the wrong check letter: it should start with {expected}."
    return None


def validate_upn(upn: str) -> None:
    problem = upn_problem(upn)
    if problem:
        raise ValidationError(problem)


def make_upn(la_number: str, establishment: str, year: int, serial: int) -> str:
    """A valid UPN, for demo and test data."""
    body = f"{int(la_number):03d}{int(establishment):04d}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body
