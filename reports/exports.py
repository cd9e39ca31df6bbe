"""Data exports: CSV of per-pupil statistics and of analysis tables, school census attendance
and CTF attendance (XML), and the CTF attendance import for a joining pupil.

Every figure comes from the statistics selectors (`pupil_figures` with codes), so an export
agrees with the report and the pupil page. Census rule (chosen and documented): pupils aged
under 5 or over 15 on 31 August before the academic year are **excluded** from the census
file and listed on the census page with their age, so the office can see who was left out;
`validate_census` refuses a file that would include anyone outside 5–15."""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.numbers import whole_number
from registers.ctf import CTFRejected, parse_xml
from registers.models import Enrolment, Mark, Pupil, School, SchoolDay
from registers.selectors import AttendanceFigures, pupil_figures, pupils_on_roll
from registers.years import year_label

from .models import ExportLog, PreviousSchoolAttendance
from .selectors.cohorts import age_on, compulsory_age_q
from .selectors.periods import Period

# --- audit ----------------------------------------------------------------------------------


def log_export(*, user, school: School, kind: str, description: str, pupils: int = 0, parameters=None) -> ExportLog:
    staff = getattr(user, "staff", None)
    return ExportLog.objects.create(
        user=user,
        user_name=(staff.display_name if staff else (user.get_full_name() or user.get_username())),
        position=staff.get_position_display() if staff else ("Administrator" if user.is_superuser else ""),
        school=school,
        kind=kind,
        description=description,
        pupils=pupils,
        parameters=parameters or {},
    )


# --- CSV ------------------------------------------------------------------------------------

PUPIL_COLUMNS = [
    "UPN",
    "Surname",
    "Forename",
    "Year",
    "Group",
    "Sex",
    "FSM",
    "SEN",
    "EAL",
    "Possible sessions",
    "Present",
    "Approved educational activity",
    "Authorised absence",
    "Unauthorised absence",
    "Attendance %",
    "Absence %",
    "Persistently absent",
    "Severely absent",
    "Late (L)",
    "Late after close (U)",
    "Minutes late",
]


def pupil_rows(school: School, date_from: dt.date, date_to: dt.date, pupils=None, with_codes=False):
    """(pupil, figures) for every pupil on roll in the range, in name order."""
    roll = pupils_on_roll(school=school, date_from=date_from, date_to=date_to)
    if pupils is not None:
        roll = roll.filter(pk__in=pupils)
    figures = pupil_figures(school=school, date_from=date_from, date_to=date_to, pupils=roll, with_codes=with_codes)
    return [
        (p, figures.get(p.pk, AttendanceFigures()))
        for p in roll.select_related("group").order_by("legal_surname", "legal_forename", "upn")
    ]


def pupil_statistics_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PUPIL_COLUMNS)
    for p, f in rows:
        writer.writerow(
            [
                p.upn,
                p.legal_surname,
                p.legal_forename,
                year_label(p.year),
                p.group.name if p.group else "",
                p.sex,
                "Y" if p.fsm else "N",
                p.sen,
                "Y" if p.eal else "N",
                f.possible,
                f.present,
                f.approved_activity,
                f.authorised,
                f.unauthorised,
                "" if f.attendance_percent is None else f"{f.attendance_percent:.2f}",
                "" if f.absence_percent is None else f"{f.absence_percent:.2f}",
                "Y" if f.persistent else "N",
                "Y" if f.severe else "N",
                f.late_before_close,
                f.late_after_close,
                f.minutes_late,
            ]
        )
    return out.getvalue()


def table_csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


TABLES = {
    "year_groups": "Year groups",
    "cohorts": "Groups of pupils",
    "weeks": "Week by week",
    "days": "Days of the week",
    "codes": "Reasons recorded",
}


def report_table(report, table: str) -> tuple[list[str], list[list]]:
    """An analysis table of the governors' report (one of TABLES) as a header and rows: the
    figures as shown, so suppressed cells are blank, with the reason."""

    def v(value):
        return "" if value is None else value

    if table in ("year_groups", "cohorts"):
        header = [
            "Dimension",
            "Pupils in",
            "Pupils",
            "Attendance %",
            "Authorised %",
            "Unauthorised %",
            "PA pupils",
            "PA %",
            "SA pupils",
            "Note",
        ]
        dims = [report.year_groups] if table == "year_groups" else report.dimensions[1:]
        rows = [
            [
                d.name,
                g.label,
                v(g.row.shown),
                v(g.attendance),
                v(g.authorised),
                v(g.unauthorised),
                v(g.pa.shown),
                v(g.pa_rate),
                v(g.sa.shown),
                g.row.note or g.pa.note or g.sa.note,
            ]
            for d in dims
            for g in d.groups
        ]
    elif table == "weeks":
        header = ["Week", "Beginning", "Possible sessions", "Authorised", "Unauthorised", "Attendance %"]
        rows = [
            [w.index, w.monday.isoformat(), w.possible, w.authorised, w.unauthorised, v(w.attendance)]
            for w in report.weeks
        ]
    elif table == "days":
        header = ["Day or session", "Possible sessions", "Authorised", "Unauthorised", "Late (L or U)", "Attendance %"]
        rows = [
            [d.label, d.possible, d.authorised, d.unauthorised, d.late, v(d.attendance)]
            for d in report.weekdays + report.sessions
        ]
    else:
        header = ["Category", "Code", "Meaning", "Sessions", "Note"]
        rows = [
            [cat, u.code, u.meaning, v(u.cell.shown), u.cell.note] for cat, uses in report.codes.items() for u in uses
        ]
    return header, rows


# --- school census ---------------------------------------------------------------------------


@dataclass
class CensusExclusion:
    pupil: Pupil
    age: int


@dataclass
class CensusReturn:
    school: School
    period: Period
    census_day: dt.date
    included: list[tuple[Pupil, AttendanceFigures]]
    excluded: list[CensusExclusion]


def census_age_day(period: Period) -> dt.date:
    """Ages for the census attendance are taken on 31 August before the academic year."""
    return dt.date(period.academic_year.start_date.year, 8, 31)


def census_return(school: School, period: Period) -> CensusReturn:
    census_day = census_age_day(period)
    rows = pupil_rows(school, period.date_from, period.date_to, with_codes=True)
    allowed = set(
        Pupil.objects.filter(school=school)
        .filter(compulsory_age_q(period.academic_year.start_date))
        .values_list("id", flat=True)
    )
    included, excluded = [], []
    for pupil, figures in rows:
        if pupil.pk in allowed:
            if figures.possible:
                included.append((pupil, figures))
        else:
            excluded.append(CensusExclusion(pupil, age_on(pupil.date_of_birth, census_day)))
    return CensusReturn(school, period, census_day, included, excluded)


def validate_census(ret: CensusReturn) -> None:
    """Census validation 2470: no attendance for a pupil under 5 or over 15."""
    wrong = [
        f"{p.upn} (aged {age_on(p.date_of_birth, ret.census_day)})"
        for p, _ in ret.included
        if not 5 <= age_on(p.date_of_birth, ret.census_day) <= 15
    ]
    if wrong:
        raise ValidationError(
            "Census attendance is only for pupils aged 5 to 15 on "
            f"{ret.census_day:%d %B %Y}; these are outside that range: {', '.join(wrong)}."
        )


def _sub(parent, tag, text=None):
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def census_term_code(period: Period) -> str:
    name = period.label.lower()
    return "AUT" if "autumn" in name else "SPR" if "spring" in name else "SUM"


def census_xml(ret: CensusReturn) -> bytes:
    validate_census(ret)
    root = ET.Element("SchoolCensus")
    header = _sub(root, "Header")
    details = _sub(header, "CollectionDetails")
    _sub(details, "Collection", "SCHOOL CENSUS")
    _sub(details, "Term", census_term_code(ret.period))
    _sub(details, "Year", ret.period.academic_year.end_date.year)
    _sub(details, "ReferenceDate", ret.period.date_to.isoformat())
    source = _sub(header, "Source")
    _sub(source, "SourceLevel", "S")
    _sub(source, "LEA", ret.school.la_number)
    _sub(source, "Estab", ret.school.establishment_number)
    _sub(source, "SoftwareCode", "ATTENDANCE")
    _sub(source, "DateTime", timezone.localtime().replace(microsecond=0).isoformat())
    info = _sub(root, "SchoolInformation")
    _sub(info, "LEA", ret.school.la_number)
    _sub(info, "Estab", ret.school.establishment_number)
    _sub(info, "URN", ret.school.urn)
    _sub(info, "SchoolName", ret.school.name)
    _sub(info, "TermlySessionsStart", ret.period.date_from.isoformat())
    _sub(info, "TermlySessionsEnd", ret.period.date_to.isoformat())
    pupils = _sub(root, "Pupils")
    for pupil, f in ret.included:
        node = _sub(pupils, "Pupil")
        ids = _sub(node, "PupilIdentifiers")
        _sub(ids, "UPN", pupil.upn)
        _sub(ids, "Surname", pupil.legal_surname)
        _sub(ids, "Forename", pupil.legal_forename)
        _sub(ids, "DOB", pupil.date_of_birth.isoformat())
        _sub(ids, "Sex", pupil.sex)
        termly = _sub(_sub(node, "Attendance"), "TermlyAttendance")
        _sub(termly, "SessionsPossible", f.possible)
        _sub(termly, "SessionsAuthorised", f.authorised)
        _sub(termly, "SessionsUnauthorised", f.unauthorised)
        reasons = {code: n for code, n in f.by_code.items() if code in ABSENCE_CODES}
        if reasons:
            container = _sub(termly, "AttendanceReasons")
            for code in sorted(reasons):
                reason = _sub(container, "AttendanceReason")
                _sub(reason, "AbsenceReason", code)
                _sub(reason, "AbsenceSessions", reasons[code])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


ABSENCE_CODES = {"C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E", "H", "F", "G", "N", "O", "U"}


# --- CTF attendance --------------------------------------------------------------------------


def _ctf_mark(code: str) -> str:
    """CTF AttendanceMarks hold one character per session: two-character codes (C1, C2, J1,
    Y1–Y7) are sent as their letter (C, C, J, Y); a session with no mark is '-'."""
    return code[0] if code else "-"


def ctf_year_data(pupil: Pupil) -> list[dict]:
    """One entry per academic year the pupil was on roll here: totals from the statistics
    selectors and a mark string from the first school day on roll (AM then PM each day)."""
    school = pupil.school
    enrolments = list(Enrolment.objects.filter(pupil=pupil).order_by("admission_date"))
    if not enrolments:
        return []
    first = enrolments[0].admission_date
    last = max((e.leaving_date or timezone.localdate()) for e in enrolments)
    days = list(
        SchoolDay.objects.filter(school=school, date__range=(first, last))
        .select_related("term__academic_year")
        .order_by("date")
    )
    marks = {
        (m["date"], m["session"]): m["code__code"]
        for m in Mark.objects.filter(pupil=pupil, date__range=(first, last)).values("date", "session", "code__code")
    }
    by_year: dict = {}
    for day in days:
        if not any(e.covers(day.date) for e in enrolments):
            continue
        by_year.setdefault(day.term.academic_year, []).append(day.date)
    out = []
    for year, dates in sorted(by_year.items(), key=lambda kv: kv[0].start_date):
        f = pupil_figures(school=school, date_from=dates[0], date_to=dates[-1], pupils=[pupil.pk]).get(
            pupil.pk, AttendanceFigures()
        )
        mark_string = "".join(_ctf_mark(marks.get((d, s), "")) for d in dates for s in ("AM", "PM"))
        out.append(
            {
                "year": year.start_date.year,
                "possible": f.possible,
                "authorised": f.authorised,
                "attended": f.attended,
                "unauthorised": f.unauthorised,
                "start": dates[0],
                "marks": mark_string,
            }
        )
    return out


def ctf_xml(pupil: Pupil, *, destination_la: str = "", destination_estab: str = "") -> bytes:
    school = pupil.school
    root = ET.Element("CTfile")
    header = _sub(root, "Header")
    _sub(header, "DocumentName", "Common Transfer File")
    _sub(header, "CTFversion", "25.0")
    _sub(header, "DateTime", timezone.localtime().replace(microsecond=0).isoformat())
    _sub(header, "DocumentQualifier", "partial")
    _sub(header, "SupplierID", "ATTENDANCE")
    src = _sub(header, "SourceSchool")
    _sub(src, "LEA", school.la_number)
    _sub(src, "Estab", school.establishment_number)
    _sub(src, "URN", school.urn)
    _sub(src, "SchoolName", school.name)
    _sub(
        src,
        "AcademicYear",
        timezone.localdate().year if timezone.localdate().month >= 8 else timezone.localdate().year - 1,
    )
    dest = _sub(header, "DestSchool")
    _sub(dest, "LEA", destination_la or "MMM")
    _sub(dest, "Estab", destination_estab or "MMMM")
    data = _sub(root, "CTFpupilData")
    node = _sub(data, "Pupil")
    _sub(node, "UPN", pupil.upn)
    _sub(node, "Surname", pupil.legal_surname)
    _sub(node, "Forename", pupil.legal_forename)
    _sub(node, "DOB", pupil.date_of_birth.isoformat())
    _sub(node, "Sex", pupil.sex)
    attendance = _sub(node, "Attendance")
    for y in ctf_year_data(pupil):
        year = _sub(attendance, "YearData")
        _sub(year, "Year", y["year"])
        _sub(year, "SessionsPossible", y["possible"])
        _sub(year, "SessionsAuthorised", y["authorised"])
        _sub(year, "SessionsAttended", y["attended"])
        _sub(year, "SessionsUnauthorised", y["unauthorised"])
        sessions = _sub(year, "AttendSessions")
        _sub(sessions, "AttendanceStartDate", y["start"].isoformat())
        _sub(sessions, "AttendanceMarks", y["marks"])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class CTFImportError(ValidationError):
    pass


# Plausible values: a school year has about 380 sessions; YearData/Year is the calendar year it began.
CTF_MAXIMUM = {"Year": 2100}
CTF_MINIMUM = {"Year": 1990}
MAX_SESSIONS_IN_A_YEAR = 500


def _int(node, tag, where):
    try:
        return whole_number(
            node.findtext(tag),
            what=f"{where}: {tag}",
            minimum=CTF_MINIMUM.get(tag, 0),
            maximum=CTF_MAXIMUM.get(tag, MAX_SESSIONS_IN_A_YEAR),
        )
    except ValueError as exc:
        raise CTFImportError(f"{exc}.") from None


@transaction.atomic
def import_ctf_attendance(*, school: School, data: bytes, user=None) -> list[PreviousSchoolAttendance]:
    """Keep a joining pupil's attendance history from their previous school's CTF.

    The pupil must already be on our roll (matched by UPN). Each YearData becomes a
    PreviousSchoolAttendance row for that school — never marks in our register — and a
    re-import of the same file changes nothing."""
    try:
        root = parse_xml(data)  # defusedxml: no DTDs or entities, a size limit; namespaces removed
    except CTFRejected as exc:
        raise CTFImportError(" ".join(str(p) for p in exc.problems)) from None
    if root.tag != "CTfile":
        raise CTFImportError("This is not a Common Transfer File (the root element must be CTfile).")
    src = root.find("Header/SourceSchool")
    source_la = (src.findtext("LEA") if src is not None else "") or ""
    source_estab = (src.findtext("Estab") if src is not None else "") or ""
    source_name = (src.findtext("SchoolName") if src is not None else "") or ""
    if source_la == school.la_number and source_estab == school.establishment_number:
        raise CTFImportError("This CTF came from this school; only a previous school's attendance can be imported.")
    saved = []
    pupils = root.findall("CTFpupilData/Pupil")
    if not pupils:
        raise CTFImportError("The file has no pupils.")
    for node in pupils:
        upn = (node.findtext("UPN") or "").strip()
        pupil = Pupil.objects.filter(school=school, upn=upn).first()
        if pupil is None:
            raise CTFImportError(f"No pupil with UPN {upn or '(blank)'} is on this school's roll; add the pupil first.")
        for year in node.findall("Attendance/YearData"):
            where = f"{upn} year {year.findtext('Year')}"
            start_text = (year.findtext("AttendSessions/AttendanceStartDate") or "").strip()
            try:
                start = dt.date.fromisoformat(start_text) if start_text else None
            except ValueError:
                raise CTFImportError(f"{where}: AttendanceStartDate {start_text!r} is not a date (YYYY-MM-DD).")
            values = {
                "sessions_possible": _int(year, "SessionsPossible", where),
                "sessions_authorised": _int(year, "SessionsAuthorised", where),
                "sessions_attended": _int(year, "SessionsAttended", where),
                "sessions_unauthorised": _int(year, "SessionsUnauthorised", where),
                "attendance_start_date": start,
                "attendance_marks": (year.findtext("AttendSessions/AttendanceMarks") or "").strip(),
                "source_name": source_name,
            }
            if (
                values["sessions_authorised"] + values["sessions_attended"] + values["sessions_unauthorised"]
                > values["sessions_possible"]
            ):
                raise CTFImportError(
                    f"{where}: attended + authorised + unauthorised is more than the possible sessions."
                )
            record, created = PreviousSchoolAttendance.objects.get_or_create(
                pupil=pupil,
                source_la=source_la,
                source_establishment=source_estab,
                year=_int(year, "Year", where),
                defaults={**values, "imported_by": user},
            )
            if not created:
                changed = [k for k, v in values.items() if getattr(record, k) != v]
                if changed:
                    for k in changed:
                        setattr(record, k, values[k])
                    record._change_reason = "re-imported from a newer CTF"
                    record.save()
            saved.append(record)
    return saved
