"""Reading pupils and their contacts from a Common Transfer File (CTF), the DfE's XML format
for moving a pupil's record between schools and between MIS (SIMS, Arbor, Bromcom, …).

Safe first: the upload's size is checked before anything is parsed (`MAX_CTF_BYTES`), and the
XML is parsed by defusedxml with document type declarations, entities and external references
refused, so an "XML bomb" or a request for a server file is refused without being expanded.

Tolerant of what real exports add: a default namespace on every element, elements this reader
does not know (ignored), optional blocks missing, whitespace around values, the older `Gender`
for `Sex`, both address forms (BS7666 and address lines). Strict about what a pupil needs: a
UPN with a valid check letter, surname, forename, date of birth and sex; a contact needs a
surname. Every problem in the file is collected, not just the first, each with the pupil's
position and name and the element's path, and the whole file is refused if there is any.

Structure read (CTF 12–25: DfE specifications, and the suppliers' and DfE's own code that
write and read it):
CTfile > Header > DocumentName, CTFversion, DateTime, DocumentQualifier, SupplierID,
                  SourceSchool > LEA, Estab, URN, SchoolName, AcademicYear; DestSchool > LEA, Estab
CTfile > CTFpupilData > Pupil > UPN, Surname, Forename, DOB, Sex | Gender,
    BasicDetails > FormerUPN, PreferredSurname, PreferredForename, FormerSurname, MiddleNames,
                   NCyearActual, Ethnicity, Languages > Type > LanguageType, Language
    LookedAfter > InCare, CareAuthority
    FSMhistory > FSMreviewDate, FSMinstance > FSMstartDate, FSMendDate, UKcountry
    SENhistory > SEN > StartDate, EndDate, SENprovision
    Address (> BS7666Address > SAON, PAON, Street, Locality, Town, AdministrativeArea, PostTown,
             UniquePropertyReferenceNumber | > AddressLines > AddressLine1–5), County, PostCode,
             Country
    Phones > Phone > TelephoneType, PhoneNo;  Email
    Contacts > Contact > Order, Title, Surname, Forename, MiddleNames, Relationship,
                         Responsibility, Address (> AddressAsPupil | as above), Phones, Email
    SchoolHistory > School > LEA, Estab, SchoolName, EntryDate, LeavingDate, LeavingReason
The attendance block (Pupil > Attendance > YearData) is left to reports.exports."""

from .parsing import MAX_CTF_BYTES, parse_xml
from .pupils import read_ctf
from .records import (
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

__all__ = [
    "MAX_CTF_BYTES",
    "Address",
    "CTFContact",
    "CTFHeader",
    "CTFile",
    "CTFProblem",
    "CTFPupil",
    "CTFRejected",
    "FSMPeriod",
    "SENPeriod",
    "SchoolAttended",
    "SchoolRef",
    "Telephone",
    "parse_xml",
    "read_ctf",
]
