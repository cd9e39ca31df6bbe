"""Importing pupils and their contacts from a Common Transfer File, the XML every MIS exports:
read safely and strictly by `registers.ctf`, then through the same upserts as the CSV files
(`roll.py`, `contacts.py`), and the attendance block through the reports app's CTF attendance
import (it connects to `ctf_imported`), all in one transaction.

Two kinds of file arrive:
- from this school's own MIS, on the first day or to keep in step: pupils are admitted on their
  `EntryDate` here (SchoolHistory), or the date the office gives when the file has none;
- from a pupil's previous school: the file says nothing about joining us, so the office gives
  the admission date (the first day on roll here). Their attendance there is kept as the
  previous school's record, never as marks.
A CTF carries no registration groups (SIMS keeps them in its own extension): new pupils have
none until the pupil CSV or their page gives one. A partial CTF may leave out characteristics
and contacts: only what it carries changes a pupil the school holds."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal

from ..ctf import CTFile, CTFPupil, CTFRejected, read_ctf
from ..models import Enrolment, School
from .base import ImportProblem, ImportRejected
from .contacts import ContactRecord, telephones, update_contacts
from .report import ImportReport
from .roll import PupilRecord, update_roll

# Sent inside the import's transaction once the pupils are on roll, when the file comes from a
# previous school; receivers add to `report` and raise ValidationError to refuse the file.
ctf_imported = Signal()  # kwargs: school, data (bytes), user, report

NOT_KNOWN_LA, NOT_KNOWN_ESTAB = "MMM", "MMMM"  # the DfE's "destination not known"


def import_ctf(
    *,
    school: School,
    data: bytes,
    admission_date: dt.date | None = None,
    full_roll: bool = False,
    leaving_date: dt.date | None = None,
    user=None,
    source_name: str = "a Common Transfer File",
) -> ImportReport:
    try:
        ctf = read_ctf(data)
    except CTFRejected as exc:
        raise ImportRejected([_problem(p) for p in exc.problems]) from None
    report = ImportReport(kind="ctf", main="pupil")
    header = ctf.header
    own = (header.source.la, header.source.estab) == (school.la_number, school.establishment_number)
    _check_destination(ctf, school, own)
    source = header.source.name or f"school {header.source.la}/{header.source.estab}"
    report.columns = [
        ("Source", f"{source} ({header.source.la}/{header.source.estab})" + (" — this school" if own else "")),
        ("Written", f"{header.created:%d/%m/%Y %H:%M}" if header.created else "not given"),
        ("Kind", f"{header.qualifier or 'full'} CTF {header.version}".strip() + f" from {header.supplier or 'an MIS'}"),
        ("Pupils", str(len(ctf.pupils))),
    ]
    partial = header.qualifier == "partial"
    if partial:
        report.note(
            "This is a partial CTF: it may leave out contacts and characteristics. Only what it carries "
            "changes a pupil the school already holds."
        )
    report.note(
        "A CTF carries no registration groups: new pupils have none until the pupil CSV or their page gives one."
    )
    for warning in ctf.warnings:
        report.note(f"Read, but left out: {warning}")
    on_roll = set(
        Enrolment.objects.filter(pupil__school=school, leaving_date__isnull=True).values_list("pupil__upn", flat=True)
    )
    records, problems = [], []
    for p in ctf.pupils:
        try:
            records.append(_pupil_record(p, school, own, partial, admission_date, on_roll, report))
        except ValueError as exc:
            problems.append(ImportProblem(None, str(exc), _where(p)))
    if problems:
        raise ImportRejected(problems)
    reason = f"imported from {source_name} ({source})"
    with transaction.atomic():
        saved = update_roll(
            school=school,
            records=records,
            reason=reason,
            report=report,
            full_roll=full_roll,
            leaving_date=leaving_date,
        )
        contacts = {
            saved[p.upn].pk: (saved[p.upn], [_contact_record(p, c) for c in p.contacts])
            for p in ctf.pupils
            if p.contacts
        }
        update_contacts(by_pupil=contacts, reason=reason, report=report)
        if any(p.has_attendance for p in ctf.pupils):
            if own:
                report.note(
                    "The attendance in this file is this school's own, so it is not kept as a previous "
                    "school's attendance; bring past marks in with the marks CSV."
                )
            else:
                try:
                    ctf_imported.send(sender=ImportReport, school=school, data=data, user=user, report=report)
                except ValidationError as exc:
                    problems = [ImportProblem(None, m, "Attendance") for m in exc.messages]
                    raise ImportRejected(problems) from None
    return report


def _problem(p) -> ImportProblem:
    who = f"pupil {p.pupil}" + (f" ({p.name})" if p.name else "") if p.pupil else ""
    where = ": ".join(part for part in (who, p.path) if part)
    return ImportProblem(None, p.message, where or "the file")


def _where(p: CTFPupil, path: str = "") -> str:
    return f"pupil {p.position} ({p.legal_surname}, {p.legal_forename} — {p.upn})" + (f": {path}" if path else "")


def _check_destination(ctf: CTFile, school: School, own: bool) -> None:
    dest = ctf.header.destination
    if own or (dest.la in ("", NOT_KNOWN_LA) and dest.estab in ("", NOT_KNOWN_ESTAB)):
        return
    if (dest.la, dest.estab) != (school.la_number, school.establishment_number):
        raise ImportRejected(
            [
                ImportProblem(
                    None,
                    f"the file is addressed to school {dest.la}/{dest.estab}, not to {school.name} "
                    f"({school.la_number}/{school.establishment_number}). Check it is the right file, or ask "
                    "the sending school to send it to us.",
                    "Header/DestSchool",
                )
            ]
        )


def _pupil_record(p: CTFPupil, school, own, partial, admission_date, on_roll, report) -> PupilRecord:
    known = p.upn in on_roll or bool(p.former_upn and p.former_upn in on_roll)  # on roll here now
    values = {
        "legal_surname": p.legal_surname,
        "legal_forename": p.legal_forename,
        "date_of_birth": p.date_of_birth,
        "sex": p.sex,
    }
    for key in ("preferred_forename", "preferred_surname", "ethnicity"):
        if getattr(p, key):
            values[key] = getattr(p, key)
    if p.year is not None:
        values["year"] = p.year
    elif not known:
        raise ValueError(
            "the file gives no national curriculum year (BasicDetails/NCyearActual) for a pupil new to the school: "
            "ask the sending school for a full CTF, or add the pupil with the pupil CSV"
        )
    # A full CTF says everything about FSM, SEN and care: no history means none. A partial one
    # may simply leave a block out, so only what it carries changes a pupil.
    if not partial or p.fsm_periods:
        values["fsm"] = p.fsm_eligible
    if not partial or p.sen_history:
        values["sen"] = p.sen
    if not partial or p.looked_after:
        values["looked_after"] = p.looked_after
    defaults = {}
    if p.eal is not None:
        values["eal"] = p.eal
    else:
        defaults["eal"] = False
    here = (school.la_number, school.establishment_number)
    entry = next((s for s in p.school_history if (s.la, s.estab) == here), None)
    if own and p.entry_date:
        admission, leaving, leaving_given = p.entry_date, entry.leaving_date if entry else None, True
    elif own and known:
        admission, leaving, leaving_given = None, None, False
    elif own:
        if admission_date is None:
            raise ValueError(
                "the file gives no EntryDate for this school (SchoolHistory): give the admission date on the "
                "upload form"
            )
        admission, leaving, leaving_given = admission_date, None, False
    else:
        if admission_date is None and not known:
            raise ValueError("give the date the pupils from this file join the school (their admission date)")
        admission = None if known else admission_date
        leaving, leaving_given = None, False
    if not known and p.year is not None and not own:
        report.note(f"Joining pupils are admitted on {admission_date:%d/%m/%Y}, the date given on the upload form.")
    return PupilRecord(
        where=_where(p),
        line=None,
        upn=p.upn,
        values=values,
        admission=admission,
        leaving=leaving,
        leaving_given=leaving_given,
        former_upn=p.former_upn,
        defaults=defaults,
    )


def _contact_record(p: CTFPupil, c) -> ContactRecord:
    main, others = telephones([(phone.label, phone.number) for phone in c.telephones])
    return ContactRecord(
        where=_where(p, f"Contacts/Contact (Order {c.order})"),
        line=None,
        values={
            "priority": c.order,
            "title": c.title,
            "forename": c.forename,
            "surname": c.surname,
            "relationship": c.relationship or "Not given",
            "parental_responsibility": c.parental_responsibility,
            "telephone": main,
            "other_telephones": others,
            "email": c.email,
            "address": c.address.text if c.address else "",
            "postcode": c.address.postcode if c.address else "",
        },
        lives_with=c.lives_with_pupil,
    )
