"""What the CTF reader returns: plain dataclasses for the header, each pupil and each contact,
the problems it found, and the DfE code tables it reads values with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

SEN_CODES = {"N": "No special educational need", "K": "SEN support", "E": "Education, health and care plan"}
# Before September 2014: School Action and School Action Plus became SEN support, statements EHC plans.
LEGACY_SEN = {"A": "K", "P": "K", "S": "E"}
ENGLISH = {"ENG", "ENB"}  # English; believed to be English
LANGUAGE_NOT_KNOWN = {"", "NOT", "REF"}  # information not obtained; refused
# Contact relationship codes and the words the Contact model stores; an unknown code is kept as it is.
RELATIONSHIPS = {
    "PAM": "Mother",
    "PAF": "Father",
    "STM": "Step-mother",
    "STF": "Step-father",
    "FOM": "Foster mother",
    "FOF": "Foster father",
    "CAR": "Carer",
    "CHM": "Childminder",
    "DOC": "Doctor",
    "FAM": "Other family member",
    "REL": "Other relative",
    "SWR": "Social worker",
    "OTH": "Other contact",
}
TELEPHONE_KINDS = {"H": "home", "M": "mobile", "W": "work"}


@dataclass(frozen=True)
class CTFProblem:
    """One thing wrong with the file: which pupil (1-based position, None for the file itself),
    their name as far as it could be read, the element's path and what to do about it."""

    pupil: int | None
    name: str
    path: str
    message: str

    def __str__(self):
        who = f"pupil {self.pupil}" + (f" ({self.name})" if self.name else "") + ": " if self.pupil else ""
        return f"{who}{self.path}: {self.message}" if self.path else f"{who}{self.message}"


class CTFRejected(Exception):
    """The file was not read; `problems` lists every problem found."""

    def __init__(self, problems: list[CTFProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the Common Transfer File; nothing was read")

    @classmethod
    def file(cls, message: str, path: str = "") -> CTFRejected:
        """A problem with the file as a whole rather than one pupil."""
        return cls([CTFProblem(None, "", path, message)])


@dataclass(frozen=True)
class SchoolRef:
    la: str = ""
    estab: str = ""
    urn: str = ""
    name: str = ""

    @property
    def dfe_number(self) -> str:
        return f"{self.la}{self.estab}"


@dataclass(frozen=True)
class CTFHeader:
    document_name: str
    version: str
    created: dt.datetime | None
    qualifier: str  # "full", or "partial" (often without contacts)
    supplier: str
    source: SchoolRef
    academic_year: str
    destination: SchoolRef


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]
    postcode: str = ""
    county: str = ""
    country: str = ""
    uprn: str = ""

    @property
    def text(self) -> str:
        """The address as the Contact model keeps it (lines, without the postcode)."""
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Telephone:
    kind: str  # the CTF TelephoneType code, e.g. H, M, W
    number: str

    @property
    def label(self) -> str:
        return TELEPHONE_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Period:
    start: dt.date | None
    end: dt.date | None

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class FSMPeriod(Period):
    country: str = ""


@dataclass(frozen=True)
class SENPeriod(Period):
    provision: str = "N"  # N, K or E


@dataclass(frozen=True)
class SchoolAttended:
    la: str
    estab: str
    name: str
    entry_date: dt.date | None
    leaving_date: dt.date | None
    leaving_reason: str


@dataclass(frozen=True)
class CTFContact:
    order: int  # the contact priority, 1 first
    title: str
    forename: str
    surname: str
    middle_names: str
    relationship_code: str
    relationship: str  # words, e.g. "Mother"; the code itself when it is not one we know
    parental_responsibility: bool
    lives_with_pupil: bool | None  # None: the file does not say
    address: Address | None
    telephones: tuple[Telephone, ...]
    email: str

    @property
    def main_telephone(self) -> str:
        """The number to ring first: a mobile, else home, else the first given."""
        for kind in ("M", "H"):
            for phone in self.telephones:
                if phone.kind == kind:
                    return phone.number
        return self.telephones[0].number if self.telephones else ""


@dataclass(frozen=True)
class CTFPupil:
    position: int  # 1-based, in file order
    upn: str
    legal_surname: str
    legal_forename: str
    preferred_surname: str
    preferred_forename: str
    middle_names: str
    former_upn: str
    former_surname: str
    date_of_birth: dt.date
    sex: str  # F or M
    year: int | None  # stored form (registers.years); None when the file gives no NCyearActual
    entry_date: dt.date | None  # at the school that wrote the file
    fsm_periods: tuple[FSMPeriod, ...]
    fsm_eligible: bool  # a period covers the reference day
    sen_history: tuple[SENPeriod, ...]
    sen: str  # N, K or E on the reference day
    first_language: str
    eal: bool | None  # None when the first language was not obtained or refused
    looked_after: bool
    care_authority: str
    ethnicity: str
    address: Address | None
    telephones: tuple[Telephone, ...]
    email: str
    contacts: tuple[CTFContact, ...]
    school_history: tuple[SchoolAttended, ...]
    has_attendance: bool  # an Attendance block is present (read by reports.exports)


@dataclass(frozen=True)
class CTFile:
    header: CTFHeader
    pupils: tuple[CTFPupil, ...]
    reference_day: dt.date  # the day FSM and SEN are "current" on
    warnings: tuple[CTFProblem, ...] = field(default=())  # read, but left out (e.g. a bad e-mail)
