"""Reading the header, pupils and contacts of a Common Transfer File into the records in
`records.py`, collecting every problem with the pupil's position, name and element path."""

from __future__ import annotations

import datetime as dt
import re
from xml.etree.ElementTree import Element

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from common.numbers import whole_number

from ..upn import upn_problem
from ..years import parse_year
from .parsing import MAX_CTF_BYTES, parse_xml
from .records import (
    ENGLISH,
    LANGUAGE_NOT_KNOWN,
    LEGACY_SEN,
    RELATIONSHIPS,
    SEN_CODES,
    Address,
    CTFContact,
    CTFHeader,
    CTFile,
    CTFProblem,
    CTFPupil,
    CTFRejected,
    FSMPeriod,
    SchoolAttended,
    SchoolRef,
    SENPeriod,
    Telephone,
)

MAX_CONTACT_ORDER = 99  # a contact's priority; no family has more


def read_ctf(data, *, on: dt.date | None = None, max_bytes: int = MAX_CTF_BYTES) -> CTFile:
    """Every pupil and contact in a Common Transfer File, as plain dataclasses.

    `on` is the day FSM eligibility and SEN provision are read for (default: the day the file
    was written, from its header, else today). Raises CTFRejected listing every problem."""
    root = parse_xml(data, max_bytes=max_bytes)
    if root.tag != "CTfile":
        what = "an admissions transfer file (ATF)" if root.tag == "ATfile" else f"<{root.tag}>"
        raise CTFRejected.file(f"This is not a Common Transfer File: its top element is {what}, a CTF's is <CTfile>.")
    warnings: list[CTFProblem] = []
    header = _header(root.find("Header"), warnings)
    day = on or (header.created.date() if header.created else timezone.localdate())
    nodes = root.findall("CTFpupilData/Pupil")
    if not nodes:
        raise CTFRejected.file("The file has no pupils: there is no Pupil inside CTFpupilData.", "CTFpupilData/Pupil")
    problems: list[CTFProblem] = []
    pupils, first_seen = [], {}
    for position, node in enumerate(nodes, start=1):
        reader = _PupilReader(node, position, problems, warnings)
        pupil = reader.pupil(header, day)
        if pupil is None:
            continue
        if pupil.upn in first_seen:
            earlier = first_seen[pupil.upn]
            reader.problem("UPN", f"UPN {pupil.upn} appears again: it is also pupil {earlier}. Remove one of them.")
            continue
        first_seen[pupil.upn] = position
        pupils.append(pupil)
    if problems:
        raise CTFRejected(problems)
    return CTFile(header=header, pupils=tuple(pupils), reference_day=day, warnings=tuple(warnings))


def _header(node: Element | None, warnings: list[CTFProblem]) -> CTFHeader:
    node = node if node is not None else Element("Header")

    def school(path):
        found = node.find(path)
        if found is None:
            return SchoolRef()
        return SchoolRef(*(_clean(found.findtext(tag)) for tag in ("LEA", "Estab", "URN", "SchoolName")))

    created_text = _clean(node.findtext("DateTime"))
    created = None
    if created_text:
        try:
            created = dt.datetime.fromisoformat(created_text.replace("Z", "+00:00"))
        except ValueError:
            warnings.append(CTFProblem(None, "", "Header/DateTime", f"'{created_text}' is not a date and time"))
    return CTFHeader(
        document_name=_clean(node.findtext("DocumentName")),
        version=_clean(node.findtext("CTFversion")),
        created=created,
        qualifier=_clean(node.findtext("DocumentQualifier")).lower(),
        supplier=_clean(node.findtext("SupplierID")),
        source=school("SourceSchool"),
        academic_year=_clean(node.findtext("SourceSchool/AcademicYear")),
        destination=school("DestSchool"),
    )


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T[\d:.]+)?(?:Z|[+-]\d{2}:\d{2})?")
TRUE, FALSE = {"true", "1", "y", "yes"}, {"false", "0", "n", "no"}
HOUSE_NUMBER = re.compile(r"\d+[A-Za-z]?(?:\s*-\s*\d+[A-Za-z]?)?")


class _PupilReader:
    """Reads one Pupil element, reporting problems under its path and name."""

    def __init__(self, node: Element, position: int, problems: list, warnings: list):
        self.node, self.position = node, position
        self.problems, self.warnings = problems, warnings
        self.base = f"CTFpupilData/Pupil[{position}]"
        self.name = ""
        self.failed = False

    def problem(self, path: str, message: str, *, warning: bool = False):
        note = CTFProblem(self.position, self.name, f"{self.base}/{path}", message)
        (self.warnings if warning else self.problems).append(note)
        self.failed |= not warning

    def text(self, *paths: str, within: Element | None = None) -> str:
        """The first of `paths` that has a value, whitespace tidied."""
        node = self.node if within is None else within
        for path in paths:
            value = _clean(node.findtext(path))
            if value:
                return value
        return ""

    def date(self, value: str, path: str) -> dt.date | None:
        if not value:
            return None
        match = DATE.fullmatch(value)
        try:
            if not match:
                raise ValueError
            return dt.date.fromisoformat(match.group(1))
        except ValueError:
            self.problem(path, f"'{value}' is not a date in the form YYYY-MM-DD")
            return None

    def boolean(self, value: str, path: str) -> bool | None:
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE or not value:
            return False if value else None
        self.problem(path, f"'{value}' should be true or false")
        return None

    # --- the pupil ---

    def pupil(self, header: CTFHeader, day: dt.date) -> CTFPupil | None:
        upn = self.text("UPN").upper().replace(" ", "")
        surname, forename = self.text("Surname"), self.text("Forename")
        self.name = ", ".join(part for part in (surname, forename) if part) + (f" — {upn}" if upn else "")
        if not upn:
            self.problem("UPN", "the UPN is missing; every pupil in a CTF has one (a temporary one if need be)")
        elif problem := upn_problem(upn):
            self.problem("UPN", problem)
        if not surname:
            self.problem("Surname", "the legal surname is missing")
        if not forename:
            self.problem("Forename", "the legal forename is missing")
        dob_text = self.text("DOB")
        birth = self.date(dob_text, "DOB")
        if not dob_text:
            self.problem("DOB", "the date of birth is missing")
        sex = self.text("Sex", "Gender").upper()
        sex_path = "Gender" if self.node.find("Sex") is None and self.node.find("Gender") is not None else "Sex"
        if sex not in ("F", "M"):
            self.problem(sex_path, f"sex '{sex}' should be F or M" if sex else "the pupil's sex (F or M) is missing")
        basic = self.node.find("BasicDetails")
        basic = basic if basic is not None else Element("BasicDetails")

        year = None
        if year_text := self.text("BasicDetails/NCyearActual", "NCyearActual"):
            try:
                year = parse_year(year_text)
            except ValueError as exc:
                self.problem("BasicDetails/NCyearActual", str(exc))
        ethnicity = self.text("BasicDetails/Ethnicity", "Ethnicity").upper()
        if ethnicity and not re.fullmatch(r"[A-Z]{4}", ethnicity):
            self.problem(
                "BasicDetails/Ethnicity", f"'{ethnicity}' is not a DfE ethnicity code (four letters, e.g. WBRI)"
            )
        fsm_periods = self.fsm_periods()
        sen_history = self.sen_history()
        current_sen = [p for p in sen_history if p.covers(day)]
        first_language = self.first_language(basic)
        in_care = self.boolean(self.text("LookedAfter/InCare"), "LookedAfter/InCare")
        address = self.address(self.node.find("Address"), "Address")
        history = self.school_history()
        entry = next(
            (s.entry_date for s in history if (s.la, s.estab) == (header.source.la, header.source.estab)), None
        ) or self.date(self.text("EntryDate"), "EntryDate")
        contacts = self.contacts(address)
        if fsm_periods:
            fsm = any(p.covers(day) for p in fsm_periods)
        else:  # a census-style flag instead of the history
            fsm = bool(self.boolean(self.text("FSMeligible"), "FSMeligible"))
        if self.failed:
            return None
        return CTFPupil(
            position=self.position,
            upn=upn,
            legal_surname=surname,
            legal_forename=forename,
            preferred_surname=self.text("PreferredSurname", within=basic),
            preferred_forename=self.text("PreferredForename", within=basic),
            middle_names=self.text("MiddleNames", within=basic) or self.text("MiddleNames"),
            former_upn=self.text("FormerUPN", within=basic).upper(),
            former_surname=self.text("FormerSurname", within=basic),
            date_of_birth=birth,
            sex=sex,
            year=year,
            entry_date=entry,
            fsm_periods=fsm_periods,
            fsm_eligible=fsm,
            sen_history=sen_history,
            sen=max(current_sen, key=lambda p: p.start or dt.date.min).provision if current_sen else "N",
            first_language=first_language,
            eal=None if first_language in LANGUAGE_NOT_KNOWN else first_language not in ENGLISH,
            looked_after=bool(in_care),
            care_authority=self.text("LookedAfter/CareAuthority"),
            ethnicity=ethnicity,
            address=address,
            telephones=self.telephones(self.node),
            email=self.email(self.node, ""),
            contacts=contacts,
            school_history=history,
            has_attendance=self.node.find("Attendance") is not None,
        )

    def fsm_periods(self) -> tuple[FSMPeriod, ...]:
        periods = []
        for i, node in enumerate(self.node.findall("FSMhistory/FSMinstance"), start=1):
            path = f"FSMhistory/FSMinstance[{i}]"
            start_text = self.text("FSMstartDate", within=node)
            if not start_text:
                self.problem(f"{path}/FSMstartDate", "an FSM period needs its start date")
            start = self.date(start_text, f"{path}/FSMstartDate")
            end = self.date(self.text("FSMendDate", within=node), f"{path}/FSMendDate")
            if start and end and end < start:
                self.problem(f"{path}/FSMendDate", f"the FSM period ends ({end}) before it starts ({start})")
            periods.append(FSMPeriod(start, end, country=self.text("UKcountry", within=node)))
        return tuple(periods)

    def sen_history(self) -> tuple[SENPeriod, ...]:
        history = []
        nodes = self.node.findall("SENhistory/SEN")
        for i, node in enumerate(nodes, start=1):
            path = f"SENhistory/SEN[{i}]" if len(nodes) > 1 else "SENhistory/SEN"
            code = self.text("SENprovision", within=node).upper()
            code = LEGACY_SEN.get(code, code)
            if code not in SEN_CODES:
                found = f"SEN provision '{code}'" if code else "the SEN provision is missing; it"
                self.problem(f"{path}/SENprovision", f"{found} should be N, K or E")
                continue
            start = self.date(self.text("StartDate", within=node), f"{path}/StartDate")
            end = self.date(self.text("EndDate", within=node), f"{path}/EndDate")
            history.append(SENPeriod(start, end, provision=code))
        if not nodes and (code := self.text("BasicDetails/SENprovision", "SENprovision").upper()):
            if LEGACY_SEN.get(code, code) not in SEN_CODES:
                self.problem("SENprovision", f"SEN provision '{code}' should be N, K or E")
            else:
                history.append(SENPeriod(None, None, provision=LEGACY_SEN.get(code, code)))
        return tuple(history)

    def first_language(self, basic: Element) -> str:
        types = basic.findall("Languages/Type")
        for node in types:
            if self.text("LanguageType", within=node).upper() == "F":
                return self.text("Language", within=node).upper()
        if len(types) == 1:
            return self.text("Language", within=types[0]).upper()
        return self.text("Language", "FirstLanguage", within=basic).upper()

    def school_history(self) -> tuple[SchoolAttended, ...]:
        out = []
        for i, node in enumerate(self.node.findall("SchoolHistory/School"), start=1):
            path = f"SchoolHistory/School[{i}]"
            out.append(
                SchoolAttended(
                    la=self.text("LEA", within=node),
                    estab=self.text("Estab", within=node),
                    name=self.text("SchoolName", within=node),
                    entry_date=self.date(self.text("EntryDate", within=node), f"{path}/EntryDate"),
                    leaving_date=self.date(self.text("LeavingDate", within=node), f"{path}/LeavingDate"),
                    leaving_reason=self.text("LeavingReason", within=node),
                )
            )
        return tuple(out)

    # --- addresses, phones, e-mail ---

    def address(self, node: Element | None, path: str) -> Address | None:
        if node is None:
            return None
        bs7666 = node.find("BS7666Address")
        parts = bs7666 if bs7666 is not None else node
        saon, paon, street = (self.text(tag, within=parts) for tag in ("SAON", "PAON", "Street"))
        lines = [saon]
        if paon and street and HOUSE_NUMBER.fullmatch(paon):
            lines.append(f"{paon} {street}")  # "12 High Street"
        else:
            lines += [paon, street]
        lines += [self.text(tag, within=parts) for tag in ("Locality", "Town", "PostTown", "AdministrativeArea")]
        written = node.find("AddressLines")
        written = written if written is not None else node
        lines += [self.text(f"AddressLine{n}", within=written) for n in range(1, 6)]
        tidy = []
        for line in lines:
            if line and line.lower() not in (seen.lower() for seen in tidy):  # Town and PostTown are often the same
                tidy.append(line)
        postcode = self.text("PostCode", "Postcode", within=node).upper()
        if not tidy and not postcode:
            return None
        if len(postcode) > 10:
            note = f"'{postcode}' is not a postcode, so it was kept as the last line of the address"
            self.problem(f"{path}/PostCode", note, warning=True)
            tidy.append(postcode)
            postcode = ""
        return Address(
            lines=tuple(tidy),
            postcode=postcode,
            county=self.text("County", within=node),
            country=self.text("Country", within=node),
            uprn=self.text("UniquePropertyReferenceNumber", within=parts),
        )

    def telephones(self, node: Element) -> tuple[Telephone, ...]:
        phones = []
        for phone in node.findall("Phones/Phone"):
            number = self.text("PhoneNo", within=phone)
            if number:
                phones.append(Telephone(self.text("TelephoneType", within=phone).upper(), number))
        return tuple(phones)

    def email(self, node: Element, path: str) -> str:
        email = self.text("Email", "Emails/Email", within=node)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.problem(f"{path}Email", f"'{email}' is not an e-mail address, so it was left out", warning=True)
                return ""
        return email

    # --- contacts ---

    def contacts(self, pupil_address: Address | None) -> tuple[CTFContact, ...]:
        out = []
        for i, node in enumerate(self.node.findall("Contacts/Contact"), start=1):
            path = f"Contacts/Contact[{i}]"
            surname = self.text("Surname", within=node)
            if not surname:
                self.problem(f"{path}/Surname", f"contact {i} has no surname")
            order_text = self.text("Order", within=node)
            order = i
            if order_text:
                try:
                    order = whole_number(order_text, what="the contact order", minimum=1, maximum=MAX_CONTACT_ORDER)
                except ValueError as exc:
                    self.problem(f"{path}/Order", str(exc))
            code = self.text("Relationship", within=node)
            address_node = node.find("Address")
            as_pupil = address_node is not None and self.boolean(
                self.text("AddressAsPupil", within=address_node), f"{path}/Address/AddressAsPupil"
            )
            address = pupil_address if as_pupil else self.address(address_node, f"{path}/Address")
            lives_with = True if as_pupil else _same_address(address, pupil_address)
            responsible = self.boolean(self.text("Responsibility", within=node), f"{path}/Responsibility")
            out.append(
                CTFContact(
                    order=order,
                    title=self.text("Title", within=node),
                    forename=self.text("Forename", within=node),
                    surname=surname,
                    middle_names=self.text("MiddleNames", within=node),
                    relationship_code=code.upper() if code.upper() in RELATIONSHIPS else code,
                    relationship=RELATIONSHIPS.get(code.upper(), code),
                    parental_responsibility=bool(responsible),
                    lives_with_pupil=lives_with,
                    address=address,
                    telephones=self.telephones(node),
                    email=self.email(node, f"{path}/"),
                )
            )
        return tuple(sorted(out, key=lambda c: c.order))


def _same_address(address: Address | None, pupil_address: Address | None) -> bool | None:
    """A contact whose own address is the pupil's lives with them; with no address either way
    the file does not say."""
    if address is None or pupil_address is None:
        return None

    def key(a: Address):
        return (a.postcode.replace(" ", ""), a.lines[0].lower() if a.lines else "")

    return key(address) == key(pupil_address)
