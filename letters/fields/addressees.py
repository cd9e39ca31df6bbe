"""Who a letter goes to: the named contact, or every contact the pupil lives with; contacts at
different addresses (separated parents) each get their own letter in a batch. A household is the
same address (print) or the same e-mail addresses (e-mail), so siblings' letters to one household
travel together whether or not the school has linked them as a Family. Also the names, address
lines and salutation the `parent.*` fields print."""

from __future__ import annotations

import hashlib
import re


def address_lines(contact) -> list[str]:
    lines = [line.strip().rstrip(",") for line in (contact.address or "").splitlines() if line.strip()]
    postcode = (contact.postcode or "").strip().upper()
    if postcode and not any(postcode.replace(" ", "") == line.replace(" ", "").upper() for line in lines):
        lines.append(postcode)
    return lines


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def household_key(contacts, delivery: str) -> str:
    """Letters with the same key go to the same household: the same address for print, the same
    e-mail addresses for e-mail."""
    if delivery == "email":
        basis = "|".join(sorted({_normalise(c.email) for c in contacts if c.email})) or f"c{contacts[0].pk}"
    else:
        basis = _normalise(" ".join(address_lines(contacts[0]))) or f"c{contacts[0].pk}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def _person(contact, *, initial: bool = False) -> str:
    forename = (contact.forename[:1] if initial and contact.forename else contact.forename).strip()
    return " ".join(p for p in (contact.title.strip(), forename, contact.surname.strip()) if p)


def salutation(contacts) -> str:
    """'Mr and Mrs Okafor', 'Ms Jones and Mr Patel', 'Grace Okafor'."""
    if not contacts:
        return "Parent or Carer"
    titled = [c for c in contacts if c.title.strip()]
    surnames = {c.surname.strip().lower() for c in contacts}
    if len(contacts) > 1 and len(titled) == len(contacts) and len(surnames) == 1:
        titles = [c.title.strip() for c in contacts]
        return f"{' and '.join(titles)} {contacts[0].surname.strip()}"
    names = [f"{c.title.strip()} {c.surname.strip()}" if c.title.strip() else _person(c) for c in contacts]
    return join_and(names)


def join_and(items: list[str]) -> str:
    """['A'] → 'A'; ['A', 'B', 'C'] → 'A, B and C'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def households(pupil, contact=None, delivery: str = "print") -> list[list]:
    """The groups of contacts a letter about `pupil` goes to: the named contact alone, or every
    contact the pupil lives with, grouped by address (priority order)."""
    if contact is not None:
        return [[contact]]
    living = [c for c in pupil.contacts.all() if c.lives_with_pupil]
    living.sort(key=lambda c: (c.priority, c.pk))
    groups: dict[str, list] = {}
    for c in living:
        key = _normalise(" ".join(address_lines(c))) or f"c{c.pk}"
        groups.setdefault(key, []).append(c)
    return list(groups.values())


def parent_block(contacts) -> dict:
    """The `parent.*` fields of a letter to `contacts` (one household)."""
    first = contacts[0]
    names = join_and([_person(c) for c in contacts])
    lines = address_lines(first)
    return {
        "salutation": salutation(contacts),
        "names": names,
        "address": "\n".join(line for line in lines if line != (first.postcode or "").strip().upper()),
        "postcode": (first.postcode or "").strip().upper(),
        "email": ", ".join(dict.fromkeys(c.email for c in contacts if c.email)),
        "_lines": [join_and([_person(c, initial=True) for c in contacts]), *lines] if lines else [],
    }
