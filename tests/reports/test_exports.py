"""Exports: per-pupil CSV, analysis tables, census attendance, CTF attendance out and in;
every export audited and limited to the office team."""

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError

from registers.models import Enrolment, Mark
from registers.selectors import pupil_figures
from reports.exports import census_return, census_xml, ctf_xml, import_ctf_attendance, validate_census
from reports.models import ExportLog, PreviousSchoolAttendance
from reports.selectors.periods import resolve_period
from tests.factories import PupilFactory
from tests.reports.conftest import PERIOD, TODAY

pytestmark = pytest.mark.django_db


def test_pupil_csv_matches_the_selectors_and_is_audited(client, school, seeded, head):
    client.force_login(head.user)
    response = client.get(f"/reports/exports/pupils.csv?period={PERIOD}&date_to=2025-09-19")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 15
    figures = pupil_figures(school=school, date_from=dt.date(2025, 9, 4), date_to=TODAY)
    by_upn = {p.upn: p for p in seeded}
    for row in rows:
        f = figures[by_upn[row["UPN"]].pk]
        assert int(row["Possible sessions"]) == f.possible
        assert int(row["Unauthorised absence"]) == f.unauthorised
        assert row["Persistently absent"] == ("Y" if f.persistent else "N")
    log = ExportLog.objects.get()
    assert log.user == head.user and log.kind == "pupil_csv" and log.pupils == 15


def test_table_csv_is_audited(client, school, seeded, head):
    client.force_login(head.user)
    response = client.get(f"/reports/exports/table/year_groups.csv?period={PERIOD}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Dimension" and len(rows) == 4
    year5 = next(r for r in rows if r[1] == "Year 5")
    assert year5[2] == "" and "fewer than 5" in year5[-1]
    assert ExportLog.objects.filter(kind="table_csv").count() == 1


def test_census_leaves_out_pupils_outside_5_to_15(school, seeded):
    reception = PupilFactory(school=school, year=0, date_of_birth=dt.date(2021, 1, 10), legal_surname="Tiny")
    from tests.factories import write

    write(school, reception, {(dt.date(2025, 9, 8), "AM"): "/"})
    period = resolve_period(school, PERIOD, today=TODAY)
    ret = census_return(school, period)
    assert [x.pupil for x in ret.excluded] == [reception]
    assert ret.excluded[0].age == 4
    assert len(ret.included) == 15
    root = ET.fromstring(census_xml(ret))
    pupils = root.findall("Pupils/Pupil")
    assert len(pupils) == 15
    assert reception.upn not in [p.findtext("PupilIdentifiers/UPN") for p in pupils]
    first = seeded[1]  # misses one day: an O on both sessions
    node = next(p for p in pupils if p.findtext("PupilIdentifiers/UPN") == first.upn)
    f = pupil_figures(school=school, date_from=period.date_from, date_to=period.date_to, with_codes=True)[first.pk]
    termly = node.find("Attendance/TermlyAttendance")
    assert int(termly.findtext("SessionsPossible")) == f.possible
    assert int(termly.findtext("SessionsUnauthorised")) == f.unauthorised == 2
    reasons = {r.findtext("AbsenceReason"): int(r.findtext("AbsenceSessions")) for r in termly.iter("AttendanceReason")}
    assert reasons == {"O": 2}


def test_census_validation_refuses_an_out_of_range_pupil(school, seeded):
    period = resolve_period(school, PERIOD, today=TODAY)
    ret = census_return(school, period)
    old = seeded[0]
    old.date_of_birth = dt.date(2008, 1, 1)
    ret.included[0] = (old, ret.included[0][1])
    with pytest.raises(ValidationError, match="aged 17"):
        validate_census(ret)


def test_ctf_export_for_a_leaver(school, seeded):
    pupil = seeded[2]
    Enrolment.objects.filter(pupil=pupil).update(leaving_date=TODAY)
    root = ET.fromstring(ctf_xml(pupil))
    years = root.findall("CTFpupilData/Pupil/Attendance/YearData")
    assert len(years) == 1
    y = years[0]
    f = pupil_figures(school=school, date_from=dt.date(2025, 9, 1), date_to=TODAY)[pupil.pk]
    assert y.findtext("Year") == "2025"
    assert int(y.findtext("SessionsPossible")) == f.possible
    assert int(y.findtext("SessionsAttended")) == f.attended
    assert int(y.findtext("SessionsAuthorised")) == f.authorised
    assert int(y.findtext("SessionsUnauthorised")) == f.unauthorised
    marks = y.findtext("AttendSessions/AttendanceMarks")
    start = y.findtext("AttendSessions/AttendanceStartDate")
    assert start == "2025-09-04"
    # 4 and 5 Sept had no marks ('-'), then 8 Sept: two days absent (O then I).
    assert marks.startswith("----OOII")
    assert len(marks) == 2 * 12


def ctf_for(upn, la="123", estab="4567"):
    return f"""<?xml version="1.0"?>
<CTfile><Header><SourceSchool><LEA>{la}</LEA><Estab>{estab}</Estab><SchoolName>Hill Top Primary</SchoolName>
</SourceSchool></Header><CTFpupilData><Pupil><UPN>{upn}</UPN><Attendance>
<YearData><Year>2024</Year><SessionsPossible>380</SessionsPossible><SessionsAuthorised>12</SessionsAuthorised>
<SessionsAttended>360</SessionsAttended><SessionsUnauthorised>8</SessionsUnauthorised>
<AttendSessions><AttendanceStartDate>2024-09-04</AttendanceStartDate><AttendanceMarks>/\\/\\</AttendanceMarks>
</AttendSessions></YearData></Attendance></Pupil></CTFpupilData></CTfile>""".encode()


def test_ctf_import_keeps_history_as_the_previous_schools_record(client, school, seeded, head):
    pupil = seeded[0]
    marks_before = Mark.objects.count()
    client.force_login(head.user)
    upload = io.BytesIO(ctf_for(pupil.upn))
    upload.name = "ctf.xml"
    response = client.post("/reports/exports/ctf/import/", {"ctf": upload})
    assert response.status_code == 302
    record = PreviousSchoolAttendance.objects.get()
    assert (record.pupil, record.source_name, record.year) == (pupil, "Hill Top Primary", 2024)
    assert (record.sessions_possible, record.sessions_attended) == (380, 360)
    assert Mark.objects.count() == marks_before  # never our marks
    assert ExportLog.objects.get().kind == "ctf_import"
    # Re-importing the same file changes nothing.
    import_ctf_attendance(school=school, data=ctf_for(pupil.upn))
    assert PreviousSchoolAttendance.objects.count() == 1


def test_ctf_import_refuses_unknown_pupils_and_our_own_file(school, seeded):
    with pytest.raises(ValidationError, match="No pupil with UPN"):
        import_ctf_attendance(school=school, data=ctf_for("A123456789012"))
    with pytest.raises(ValidationError, match="came from this school"):
        import_ctf_attendance(school=school, data=ctf_for(seeded[0].upn, school.la_number, school.establishment_number))


def test_exports_are_refused_to_governors(client, school, seeded, governor):
    client.force_login(governor.user)
    assert client.get(f"/reports/exports/ctf/{seeded[0].pk}.xml").status_code == 403
    assert client.get(f"/reports/exports/census/?period={PERIOD}&download=1").status_code == 403
    assert not ExportLog.objects.exists()
