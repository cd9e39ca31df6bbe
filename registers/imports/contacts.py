"""Importing pupils' contacts (parents, carers, others to ring) from the MIS: the contacts CSV, and
the contacts in a Common Transfer File (`ctf.py`), through one upsert.

A contact is matched to one the school already holds for the same pupil by name (forename and
surname, any case), so a change of priority, number or address updates them rather than
adding a second. Contacts the school holds that the file leaves out are kept and listed: other
records (letters sent, penalty notices, parent portal accounts) refer to them, and a file that
omits someone does not say they should go. When the file does not say whether a contact lives
with the pupil, a new contact is taken to when they are the first with parental responsibility
and nobody else is known to (letters go to contacts who live with the pupil); the preview says
so for each one."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from common.numbers import whole_number

from ..ctf.records import RELATIONSHIPS
from ..models import Contact, Pupil, School
from ..upn import upn_problem
from .base import ImportProblem, ImportRejected, _message, parse_bool, save_if_changed
from .headings import CSVFile, Heading, normalise
from .report import CHANGED, CREATED, UNCHANGED, ImportReport, shown
from .roll import pupil_label

FIELDS = (
    "priority",
    "title",
    "forename",
    "surname",
    "relationship",
    "parental_responsibility",
    "telephone",
    "other_telephones",
    "email",
    "address",
    "postcode",
)


@dataclass
class ContactRecord:
    where: str
    line: int | None
    values: dict  # the Contact fields the source gives (forename, surname, relationship always)
    lives_with: bool | None  # None: the source does not say
    defaults: dict | None = None  # for a new contact, fields the source does not give

    @property
    def key(self) -> tuple[str, str]:
        return (self.values["forename"].casefold(), self.values["surname"].casefold())


def contact_label(values: dict, pupil: Pupil) -> str:
    name = " ".join(part for part in (values.get("title"), values["forename"], values["surname"]) if part)
    return f"{name} ({values['relationship']}) for {pupil_label(pupil)}"


def telephones(numbers: list[tuple[str, str]]) -> tuple[str, str]:
    """(the number to ring first, the others labelled) from (kind, number) pairs: a mobile
    first, else home, else the first given."""
    numbers = [(kind, number) for kind, number in numbers if number]
    if not numbers:
        return "", ""
    main = next(
        (n for k, n in numbers if k == "mobile"),
        next((n for k, n in numbers if k == "home"), numbers[0][1]),
    )
    others, seen = [], {main}
    for kind, number in numbers:
        if number not in seen:
            seen.add(number)
            others.append(f"{kind[0].upper() + kind[1:]}: {number}" if kind else number)
    return main, " · ".join(others)


def update_contacts(
    *, by_pupil: dict[int, tuple[Pupil, list[ContactRecord]]], reason: str, report: ImportReport
) -> None:
    """Create or update each pupil's contacts (inside the caller's transaction). Raises
    ImportRejected with every problem before anything is written."""
    held = defaultdict(list)
    for contact in Contact.objects.filter(pupil_id__in=by_pupil).order_by("priority", "pk"):
        held[contact.pupil_id].append(contact)
    problems, planned, kept = [], [], []
    for pupil_id, (pupil, records) in by_pupil.items():
        existing = {(c.forename.casefold(), c.surname.casefold()): c for c in held[pupil_id]}
        seen: dict[tuple, str] = {}
        matches = []
        for r in records:
            if r.key in seen:
                problems.append(
                    ImportProblem(
                        r.line,
                        f"{r.values['forename']} {r.values['surname']} is a contact of "
                        f"{pupil_label(pupil)} twice (also {seen[r.key]})",
                        "" if r.line else r.where,
                    )
                )
                continue
            seen[r.key] = r.where
            contact = existing.get(r.key)
            values = dict(r.values) if contact else {**dict.fromkeys(FIELDS, ""), **(r.defaults or {}), **r.values}
            if r.lives_with is not None:
                values["lives_with_pupil"] = r.lives_with
            candidate = Contact(pupil=pupil, **{**_fields(contact), **values})
            try:
                candidate.full_clean(exclude=["pupil", "user"], validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                problems.append(ImportProblem(r.line, _message(exc), "" if r.line else r.where))
                continue
            matches.append((r, contact, values))
        _assume_lives_with(matches, held[pupil_id])
        planned.append((pupil, matches))
        kept += [c for c in held[pupil_id] if (c.forename.casefold(), c.surname.casefold()) not in seen]
    if problems:
        raise ImportRejected(problems)
    new = [
        _new_contact(pupil, values, reason)
        for pupil, matches in planned
        for _record, contact, values in matches
        if contact is None
    ]
    bulk_create_with_history(new, Contact, batch_size=500, default_change_reason=reason)  # with their history rows
    created = iter(new)
    for pupil, matches in planned:
        for r, contact, values in matches:
            if contact is None:
                _report_new(next(created), r, values, report)
            else:
                _write(pupil, r, contact, values, reason, report)
    if kept:
        names = "; ".join(contact_label(_fields(c), c.pupil) for c in kept[:10])
        more = f" and {len(kept) - 10} more" if len(kept) > 10 else ""
        report.note(
            f"{len(kept)} contact(s) the school holds for these pupils are not in the file and are kept as they are "
            f"(other records may refer to them): {names}{more}."
        )


def _fields(contact: Contact | None) -> dict:
    if contact is None:
        return {}
    return {name: getattr(contact, name) for name in (*FIELDS, "lives_with_pupil")}


def _assume_lives_with(matches, held: list[Contact]) -> None:
    """A new contact the file says nothing about: lives with the pupil if they are the first
    with parental responsibility and no other contact is known to; otherwise not."""
    unknown = [(r, values) for r, contact, values in matches if contact is None and r.lives_with is None]
    if not unknown:
        return
    known = any(v.get("lives_with_pupil", c.lives_with_pupil if c else False) for _, c, v in matches)
    known |= any(c.lives_with_pupil for c in held if all(c is not m for _, m, _ in matches))
    first = None
    if not known:
        responsible = [(v["priority"], i) for i, (r, v) in enumerate(unknown) if v["parental_responsibility"]]
        first = min(responsible)[1] if responsible else None
    for i, (_record, values) in enumerate(unknown):
        values["lives_with_pupil"] = i == first
        values["_assumed"] = True


def _new_contact(pupil, values: dict, reason: str) -> Contact:
    contact = Contact(pupil=pupil, **{k: v for k, v in values.items() if k != "_assumed"})
    contact._change_reason = reason
    return contact


def _report_new(contact: Contact, r: ContactRecord, values: dict, report: ImportReport) -> None:
    details = [f"Priority {contact.priority}", f"Parental responsibility: {shown(contact.parental_responsibility)}"]
    lives = f"Lives with pupil: {shown(contact.lives_with_pupil)}"
    details.append(lives + (" (assumed: the file does not say)" if values.get("_assumed") else ""))
    given = [k for k in ("telephone", "other_telephones", "email") if getattr(contact, k)]
    details += [f"{_label(k)}: {getattr(contact, k)}" for k in given]
    report.add("contact", CREATED, contact_label(values, contact.pupil), details, r.where)


def _write(pupil, r: ContactRecord, contact: Contact, values: dict, reason: str, report: ImportReport):
    """A contact the school holds: save what changed."""
    changes = {k: v for k, v in values.items() if getattr(contact, k) != v}
    details = [f"{_label(k)}: {shown(getattr(contact, k))} → {shown(v)}" for k, v in changes.items()]
    if changes:
        save_if_changed(contact, changes, reason=reason)
    report.add("contact", CHANGED if changes else UNCHANGED, contact_label(values, pupil), details, r.where)


def _label(name: str) -> str:
    text = str(Contact._meta.get_field(name).verbose_name).replace("telephones", "numbers")
    return text[0].upper() + text[1:]


# --- the contacts CSV --------------------------------------------------------------------------

TELEPHONE = re.compile(r"\b(tel|telephone|phone|mobile|mob)\b")
ADDRESS = re.compile(r"(contact )?(address( line)?( ?\d)?|street|locality|town|city|county|house (name|number))")
CONTACT_HEADINGS = [
    Heading("upn", "pupil's UPN", ("upn", "pupil upn", "unique pupil number"), required=True),
    Heading(
        "priority",
        "priority",
        ("priority", "contact priority", "order", "contact order", "priority order", "contact priority order"),
    ),
    Heading("title", "title", ("title", "contact title"), strong=("contact title",)),
    Heading(
        "forename",
        "contact's forename",
        ("forename", "first name", "given name", "contact forename", "contact first name"),
        required=True,
        strong=("contact forename", "contact first name"),
    ),
    Heading(
        "surname",
        "contact's surname",
        ("surname", "last name", "family name", "contact surname", "contact last name"),
        required=True,
        strong=("contact surname", "contact last name"),
    ),
    Heading(
        "relationship",
        "relationship",
        ("relationship", "contact relationship", "relationship to pupil", "relation"),
        required=True,
    ),
    Heading(
        "parental_responsibility",
        "parental responsibility",
        ("parental responsibility", "responsibility", "has parental responsibility", "pr"),
        required=True,
    ),
    Heading(
        "lives_with_pupil",
        "lives with pupil",
        (
            "lives with pupil",
            "lives with",
            "resides with pupil",
            "resides with",
            "lives with student",
            "same address as pupil",
            "address as pupil",
        ),
    ),
    Heading("email", "e-mail", ("email", "e mail", "email address", "e mail address", "contact email")),
    Heading("postcode", "postcode", ("postcode", "post code", "contact postcode")),
    Heading("telephones", "telephone", many=lambda name: bool(TELEPHONE.search(name))),
    Heading("address", "address", many=lambda name: bool(ADDRESS.fullmatch(name))),
]


def _phone_kind(heading: str) -> str:
    name = normalise(heading)
    for kind, words in (("mobile", ("mobile", "mob")), ("work", ("work",)), ("home", ("home",))):
        if any(word in name.split() for word in words):
            return kind
    return "" if name in ("telephone", "phone", "tel") else heading


def import_contacts(*, school: School, text: str, source_name: str = "the school's contacts file") -> ImportReport:
    """Create or update contacts from a CSV file with one row per pupil's contact; all or nothing."""
    csv_file = CSVFile(text, CONTACT_HEADINGS)
    report = ImportReport(kind="contacts", main="contact", columns=csv_file.columns, ignored=csv_file.ignored)
    pupils = {p.upn: p for p in Pupil.objects.filter(school=school)}
    problems: list[ImportProblem] = []
    by_pupil: dict[int, tuple[Pupil, list[ContactRecord]]] = {}
    for line, row, shape in csv_file.rows():
        problems += shape
        try:
            upn = row["upn"].upper().replace(" ", "")
            if problem := upn_problem(upn):
                raise ValueError(problem)
            pupil = pupils.get(upn)
            if pupil is None:
                raise ValueError(f"no pupil with UPN {upn} at {school.name}; import the pupil first")
            records = by_pupil.setdefault(pupil.pk, (pupil, []))[1]
            records.append(_record(csv_file, line, row, len(records) + 1))
        except ValueError as exc:
            problems.append(ImportProblem(line, str(exc)))
    if not by_pupil and not problems:
        problems.append(ImportProblem(None, "the file has headings but no contacts"))
    if problems:
        raise ImportRejected(problems)
    with transaction.atomic():
        update_contacts(by_pupil=by_pupil, reason=f"imported from {source_name}", report=report)
    return report


def _record(csv_file: CSVFile, line: int, row: dict, position: int) -> ContactRecord:
    heading = csv_file.heading
    for key in ("forename", "surname", "relationship"):
        if not row[key]:
            raise ValueError(f"{heading(key)} is empty")
    priority = row.get("priority", "")
    if priority:
        priority = whole_number(priority, what=heading("priority"), minimum=1, maximum=99)
    code = row["relationship"]
    values = {
        "forename": row["forename"],
        "surname": row["surname"],
        "relationship": RELATIONSHIPS.get(code.upper(), code),
        "parental_responsibility": parse_bool(row["parental_responsibility"], heading("parental_responsibility")),
    }
    # Only the columns the file has change a contact the school holds.
    if priority:
        values["priority"] = priority
    for key in ("title", "email"):
        if csv_file.has(key):
            values[key] = row[key]
    if csv_file.has("telephones"):
        values["telephone"], values["other_telephones"] = telephones(
            [(_phone_kind(h), n) for h, n in row["telephones"]]
        )
    if csv_file.has("address"):
        values["address"] = "\n".join(v for _, v in row["address"])
    if csv_file.has("postcode"):
        values["postcode"] = row["postcode"].upper()
    lives_with = None
    if csv_file.has("lives_with_pupil") and row["lives_with_pupil"]:
        lives_with = parse_bool(row["lives_with_pupil"], heading("lives_with_pupil"))
    return ContactRecord(
        where=f"line {line}", line=line, values=values, lives_with=lives_with, defaults={"priority": position}
    )
