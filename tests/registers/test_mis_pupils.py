"""The pupil file as MIS export it (SIMS-style headings, UK dates, Yes/No flags, years N1–X, BOM,
CRLF), and keeping the roll in step with the MIS on every re-import: names, groups and
characteristics updated, new pupils admitted, leavers recorded with a leaving date, marks never
touched, nothing written twice."""

import datetime as dt

import pytest

from registers.forms import PupilSearchForm
from registers.imports import ImportRejected, import_marks, import_pupils, import_school, run_import
from registers.models import Enrolment, Mark, Pupil, RegistrationGroup
from registers.services import Actor
from registers.years import year_label
from reports.selectors.cohorts import cohort_dimensions
from tests.factories import SCHOOL_DATA, PupilFactory, write
from tests.registers.conftest import sample
from tests.registers.test_imports import history_counts

D = dt.date
OFFICE = Actor(None, "Mrs Dee Data", "Data manager")
SIMS = sample("sims_pupils_primary.csv").decode("utf-8-sig")
HEADER = "UPN,Legal Surname,Legal Forename,Preferred Forename,Gender,DOB,Year,Reg Group,Admission Date,FSM Eligible,SEN Status,EAL,In Care,Ethnicity"  # noqa: E501


def sims_rows() -> list[str]:
    return SIMS.replace("\r\n", "\n").strip().split("\n")[1:]


def sims(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def edit(row: str, **changes) -> str:
    """A SIMS row with some columns changed, by heading."""
    cells = row.split(",")
    for heading, value in changes.items():
        cells[HEADER.split(",").index(heading.replace("_", " "))] = value
    return ",".join(cells)


@pytest.fixture
def roll(school):
    import_pupils(school=school, text=SIMS, source_name="sims.csv")
    return {p.upn: p for p in Pupil.objects.filter(school=school)}


# --- a primary school's SIMS export, first time --------------------------------------------------


def test_a_primary_schools_sims_file_imports_with_nursery_and_reception(school):
    report = import_pupils(school=school, text=SIMS)
    assert report.counts() == {"created": 10, "changed": 0, "leaving": 0, "unchanged": 0}
    pupils = list(Pupil.objects.filter(school=school).order_by("year", "legal_surname"))
    assert [year_label(p.year) for p in pupils] == [
        "Nursery 2",
        "Nursery 2",
        "Reception",
        "Reception",
        *(f"Year {n}" for n in range(1, 7)),
    ]
    amara = Pupil.objects.get(upn="V330215021003")
    assert (amara.date_of_birth, amara.group.name, amara.fsm, amara.ethnicity) == (
        D(2020, 10, 2),
        "Robins",
        True,
        "BAFR",
    )
    assert amara.enrolments.get().admission_date == D(2024, 9, 4)  # 04/09/2024 is 4 September
    finn = Pupil.objects.get(upn="J330215021004")
    assert (finn.sen, finn.looked_after, finn.eal) == ("K", True, False)
    assert Pupil.objects.get(upn="R330215022002").preferred_forename == "Ozzie"


def test_the_groups_the_file_names_are_created_in_the_year_of_their_pupils(school):
    report = import_pupils(school=school, text=SIMS)
    groups = {g.name: g.year for g in RegistrationGroup.objects.filter(school=school)}
    assert groups["Nursery"] == -1 and groups["Robins"] == 0 and groups["Eagles"] == 6
    created = {c.label: c.details[0] for c in report.changes if c.thing == "registration group"}
    assert created["Nursery"] == "Nursery 2 (primary)" and len(created) == 8


def test_nursery_and_reception_sort_and_filter_before_year_1(school, roll):
    groups = RegistrationGroup.objects.filter(school=school)
    labels = [label for _, label in PupilSearchForm(groups=groups).fields["year"].choices]
    assert labels[:4] == ["All years", "Nursery 2", "Reception", "Year 1"]
    assert sorted(Pupil.objects.filter(year=-1).values_list("legal_surname", flat=True)) == ["Clarke", "Hussain"]
    years = sorted(set(Pupil.objects.values_list("year", flat=True)))
    [(name, cohorts), *_] = cohort_dimensions(years)
    assert name == "Year group" and [label for label, _ in cohorts][:3] == ["Nursery 2", "Reception", "Year 1"]


def test_how_the_file_was_read_is_reported(school):
    report = import_pupils(school=school, text=SIMS)
    columns = dict(report.columns)
    assert columns["Reg Group"] == "registration group" and columns["DOB"] == "date of birth"
    assert columns["Gender"] == "sex" and columns["In Care"] == "looked after" and report.ignored == []


def test_the_same_file_again_changes_nothing_and_writes_no_history(school, roll):
    before = history_counts()
    report = import_pupils(school=school, text=SIMS)
    assert report.counts() == {"created": 0, "changed": 0, "leaving": 0, "unchanged": 10}
    assert not report.changes_anything and report.changes == []
    assert history_counts() == before


# --- headings as different MIS write them --------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "upn,legal_surname,legal_forename,date_of_birth,sex,year,admission_date",
        "UPN,LEGAL_SURNAME,LEGAL_FORENAME,DATE_OF_BIRTH,SEX,NC_YEAR,ADMISSION_DATE",  # upper snake (Arbor's style)
        "Upn,LegalSurname,LegalForename,DateOfBirth,Gender,YearGroup,EntryDate",  # camelCase
        "Unique Pupil Number,Surname,Forename,Birth Date,Sex,Curriculum Year,Date of Admission",
    ],
)
def test_mis_headings_are_read_as_our_fields(school, header):
    row = "C330215022001,Hussain,Zara,14/03/2022,F,N2,03/09/2025"
    import_pupils(school=school, text=f"{header}\n{row}\n")
    zara = Pupil.objects.get()
    assert (zara.legal_surname, zara.date_of_birth, zara.year) == ("Hussain", D(2022, 3, 14), -1)


def test_a_legal_surname_column_wins_over_a_plain_surname(school):
    text = "UPN,Surname,Legal Surname,Forename,DOB,Sex,Year,Admission Date\nC330215022001,Hussein,Hussain,Zara,14/03/2022,F,N2,03/09/2025\n"  # noqa: E501
    report = import_pupils(school=school, text=text)
    assert Pupil.objects.get().legal_surname == "Hussain" and report.ignored == ["Surname"]


@pytest.mark.parametrize(
    "header, message",
    [
        ("UPN,Full Name,DOB,Sex,Year,Admission Date", "'Full Name' holds whole names: export Legal Surname and"),
        ("UPN,Surname,Forename,DOB,Sex,Year,Reg Group,Form,Admission Date", "'Reg Group' and 'Form' would both"),
        ("UPN,Surname,Forename,Sex,Year,Admission Date", "no column for the date of birth (headings read as it: "),
    ],
)
def test_headings_that_cannot_be_read_are_refused_clearly(school, header, message):
    with pytest.raises(ImportRejected) as exc:
        import_pupils(school=school, text=f"{header}\nC330215022001,x,x,x,x,x,x\n")
    assert any(message in str(p) for p in exc.value.problems), exc.value.problems
    assert not Pupil.objects.exists()


# --- values as MIS write them ------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, field, expected",
    [
        ({"DOB": "03/04/2019"}, "date_of_birth", D(2019, 4, 3)),  # never US order
        ({"DOB": "2019-04-03"}, "date_of_birth", D(2019, 4, 3)),
        ({"DOB": "3/4/2019 00:00"}, "date_of_birth", D(2019, 4, 3)),  # a spreadsheet's midnight
        ({"Year": "Year R"}, "year", 0),
        ({"Year": "YR"}, "year", 0),
        ({"Year": "Reception"}, "year", 0),
        ({"Year": "N1"}, "year", -2),
        ({"Year": "Y6"}, "year", 6),
        ({"Year": "X"}, "year", 99),
        ({"Gender": "Female"}, "sex", "F"),
        ({"Gender": "male"}, "sex", "M"),
        ({"FSM Eligible": "T"}, "fsm", True),
        ({"FSM Eligible": "1"}, "fsm", True),
        ({"FSM Eligible": "False"}, "fsm", False),
        ({"SEN Status": "EHC Plan"}, "sen", "E"),
        ({"SEN Status": "SEN Support"}, "sen", "K"),
        ({"SEN Status": ""}, "sen", "N"),
        ({"Ethnicity": " wbri "}, "ethnicity", "WBRI"),
    ],
)
def test_values_as_mis_write_them(school, changes, field, expected):
    import_pupils(school=school, text=sims(edit(sims_rows()[0], **changes)))
    assert getattr(Pupil.objects.get(), field) == expected


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"DOB": "04/31/2019"}, "DOB '04/31/2019' is not a date: write it as DD/MM/YYYY"),
        ({"Year": "Year 15"}, "Year: 'Year 15' is not a national curriculum year: use N1, N2, R, 1–14 or X"),
        ({"Year": ""}, "Year: the year is empty"),
        ({"Gender": "U"}, "Gender 'U' should be F or M"),
        ({"EAL": "sometimes"}, "EAL 'sometimes' should be Yes or No"),
        ({"SEN Status": "Statemented?"}, "SEN Status 'Statemented?' should be N (none), K (SEN support) or E"),
        ({"Ethnicity": "White - British"}, "use the four-letter code, e.g. WBRI"),
        ({"Admission Date": ""}, "Admission Date is empty"),
        ({"UPN": "C330215022002"}, "wrong check letter"),
    ],
)
def test_a_bad_value_names_its_column_and_line_and_writes_nothing(school, changes, message):
    before = history_counts()
    text = sims(sims_rows()[1], edit(sims_rows()[0], **changes), sims_rows()[2])
    with pytest.raises(ImportRejected) as exc:
        import_pupils(school=school, text=text)
    [problem] = exc.value.problems
    assert problem.line == 3 and message in problem.message, problem
    assert not Pupil.objects.exists() and history_counts() == before


def test_every_bad_row_is_reported_at_once(school):
    rows = sims_rows()
    text = sims(edit(rows[0], DOB="31/02/2022"), rows[1], edit(rows[2], Year="Y0"), edit(rows[3], Gender="?"))
    with pytest.raises(ImportRejected) as exc:
        import_pupils(school=school, text=text)
    assert [p.line for p in exc.value.problems] == [2, 5]  # "Y0" is Reception, as our old files wrote it


def test_an_unquoted_comma_is_caught(school):
    row = sims_rows()[0].replace("Hussain", "Hussain, Jr")
    with pytest.raises(ImportRejected) as exc:
        import_pupils(school=school, text=sims(row))
    assert "is there a comma in a name or address that is not inside quotes?" in exc.value.problems[0].message


def test_windows_1252_text_from_an_older_mis_is_read(school):
    text = sims(edit(sims_rows()[0], **{"Legal Forename": "Zoë"}))
    report = run_import(
        school=school,
        kind="pupils",
        data=text.encode("cp1252"),
        file_name="old.csv",
        options={},
        actor=OFFICE,
    )
    assert Pupil.objects.get().legal_forename == "Zoë"
    assert "read as Windows-1252" in " ".join(report.notes)


def test_eal_follows_the_first_language_when_there_is_no_eal_column(school):
    header = "UPN,Legal Surname,Legal Forename,DOB,Sex,Year,Admission Date,First Language"
    rows = [
        "C330215022001,Hussain,Zara,14/03/2022,F,N2,03/09/2025,Urdu",
        "R330215022002,Clarke,Oscar,30/11/2021,M,N2,03/09/2025,ENG",
        "V330215021003,Okafor,Amara,02/10/2020,F,R,04/09/2024,Not obtained",
    ]
    report = import_pupils(school=school, text="\n".join([header, *rows]))
    assert dict(Pupil.objects.values_list("legal_forename", "eal")) == {"Zara": True, "Oscar": False, "Amara": False}
    amara = next(c for c in report.changes if "Amara" in c.label)
    assert "EAL: No (not in the file)" in amara.details
    assert any("no FSM eligible column" in n for n in report.notes)


# --- keeping in step with the MIS ----------------------------------------------------------------


def test_an_updated_file_updates_names_groups_and_characteristics_with_history(school, roll):
    rows = sims_rows()
    rows[2] = edit(rows[2], **{"Legal Surname": "Okafor-Bell", "Year": "1", "Reg Group": "Wrens", "FSM Eligible": "No"})
    report = import_pupils(school=school, text=sims(*rows), source_name="sims-spring.csv")
    assert report.counts() == {"created": 0, "changed": 1, "leaving": 0, "unchanged": 9}
    [change] = report.changes
    assert change.label == "Okafor-Bell, Amara (V330215021003)" and change.where == "line 4"
    assert change.details == [
        "Legal surname: Okafor → Okafor-Bell",
        "Year: Reception → Year 1",
        "Group: Robins → Wrens",
        "FSM eligible: Yes → No",
    ]
    amara = Pupil.objects.get(upn="V330215021003")
    assert (amara.legal_surname, amara.year, amara.group.name, amara.fsm) == ("Okafor-Bell", 1, "Wrens", False)
    last = amara.history.latest("history_id")
    assert last.history_change_reason == "imported from sims-spring.csv" and last.prev_record.legal_surname == "Okafor"


def test_a_column_the_file_leaves_out_is_left_alone(school, roll):
    header = "UPN,Legal Surname,Legal Forename,DOB,Gender,Year,Admission Date"
    row = "J330215021004,O'Neill,Finn,19/08/2021,M,R,03/09/2025"
    before = history_counts()
    report = import_pupils(school=school, text=f"{header}\n{row}\n")
    finn = Pupil.objects.get(upn="J330215021004")
    assert (finn.sen, finn.looked_after, finn.group.name) == ("K", True, "Robins")  # no such columns: kept
    assert not report.changes_anything and history_counts() == before


def test_new_pupils_are_admitted_and_leavers_recorded_from_a_leaving_date_column(school, roll):
    header = HEADER + ",Leaving Date"
    rows = [f"{r}," for r in sims_rows()]
    rows[9] += "19/12/2025"  # Kwame leaves at Christmas
    rows.append("N330215015011,Evans,Ruby,,F,09/06/2016,5,Falcons,05/01/2026,No,N,No,No,WBRI,")
    report = import_pupils(school=school, text=sims(*rows, header=header))
    assert report.counts() == {"created": 1, "changed": 0, "leaving": 1, "unchanged": 9}
    assert [(c.outcome, c.label, c.details) for c in report.changes] == [
        ("leaving", "Mensah, Kwame (N330215014010)", ["Leaving date 19/12/2025"]),
        ("created", "Evans, Ruby (N330215015011)", ["Year 5, Falcons", "Admitted on 05/01/2026"]),
    ]
    assert Enrolment.objects.get(pupil__upn="N330215014010").leaving_date == D(2025, 12, 19)


def test_a_whole_roll_file_records_pupils_not_in_it_as_leaving_and_keeps_their_marks(school, roll):
    kwame = roll["N330215014010"]
    write(school, kwame, {(D(2025, 9, 8), "AM"): "/", (D(2025, 9, 8), "PM"): "N"})
    marks = list(Mark.objects.filter(pupil=kwame).values_list("pk", "code__code", "version"))
    report = import_pupils(school=school, text=sims(*sims_rows()[:9]), full_roll=True, leaving_date=D(2025, 12, 19))
    assert report.counts() == {"created": 0, "changed": 0, "leaving": 1, "unchanged": 9}
    [leaver] = report.listed("leaving")
    assert leaver.label == "Mensah, Kwame (N330215014010)"
    assert leaver.details == ["Not in the file: leaving date 19/12/2025", "On roll since 07/09/2020"]
    assert kwame.enrolments.get().leaving_date == D(2025, 12, 19)
    assert list(Mark.objects.filter(pupil=kwame).values_list("pk", "code__code", "version")) == marks
    # the same file again: nothing more to do
    again = import_pupils(school=school, text=sims(*sims_rows()[:9]), full_roll=True, leaving_date=D(2025, 12, 19))
    assert not again.changes_anything


def test_a_leaving_date_before_a_pupils_last_mark_is_refused(school, roll):
    kwame = roll["N330215014010"]
    write(school, kwame, {(D(2026, 1, 6), "AM"): "/"})
    with pytest.raises(ImportRejected) as exc:
        import_pupils(school=school, text=sims(*sims_rows()[:9]), full_roll=True, leaving_date=D(2025, 12, 19))
    [problem] = exc.value.problems
    assert "Mensah, Kwame (N330215014010) is not in the file and has marks up to 06/01/2026" in problem.message
    assert "Use a leaving date on or after 06/01/2026" in problem.message
    assert kwame.enrolments.get().leaving_date is None


def test_planned_closure_marks_after_leaving_do_not_block_it(school, roll):
    """`#` is pre-entered for everyone on roll on a planned closure; it is not a possible session."""
    closures = [*SCHOOL_DATA["closures"], {"date": "2026-03-27", "reason": "Boiler replacement"}]
    import_school({**SCHOOL_DATA, "closures": closures})
    assert Mark.objects.get(pupil=roll["N330215014010"], date=D(2026, 3, 27), session="AM").code.code == "#"
    import_pupils(school=school, text=sims(*sims_rows()[:9]), full_roll=True, leaving_date=D(2026, 3, 20))
    assert roll["N330215014010"].enrolments.get().leaving_date == D(2026, 3, 20)


def test_a_whole_roll_file_needs_the_leaving_date(school, roll):
    with pytest.raises(ImportRejected) as exc:
        import_pupils(school=school, text=SIMS, full_roll=True)
    assert "give the leaving date for pupils who are not in the file" in str(exc.value.problems[0])


def test_a_pupil_due_to_join_later_is_not_made_a_leaver(school, roll):
    PupilFactory(school=school, upn="C330215015012", year=5, on_roll=(D(2026, 4, 13), None))
    report = import_pupils(school=school, text=SIMS, full_roll=True, leaving_date=D(2025, 12, 19))
    assert not report.changes_anything
    assert any("is due to join on 13/04/2026 and is not in the file" in n for n in report.notes)


def test_a_pupil_back_in_the_file_without_a_leaving_date_is_on_roll_again(school, roll):
    import_pupils(school=school, text=sims(*sims_rows()[:9]), full_roll=True, leaving_date=D(2025, 12, 19))
    report = import_pupils(school=school, text=sims(*sims_rows(), header=HEADER + ",Leaving Date"))
    [change] = report.changes
    assert change.details == ["Leaving date 19/12/2025 removed: on roll again"]
    assert roll["N330215014010"].enrolments.get().leaving_date is None


def test_marks_are_never_written_by_a_pupil_import(school, roll):
    import_marks(school=school, text=f"upn,date,session,code\n{sims_rows()[0][:13]},08/09/2025,AM,/\n", actor=OFFICE)
    before = (Mark.objects.count(), Mark.history.count())
    rows = sims_rows()
    rows[0] = edit(rows[0], Year="R", **{"Reg Group": "Robins"})
    import_pupils(school=school, text=sims(*rows), full_roll=True, leaving_date=D(2026, 7, 22))
    assert (Mark.objects.count(), Mark.history.count()) == before


# --- cost -------------------------------------------------------------------------------------


def _roll(n: int, first: int = 0) -> str:
    from registers.upn import make_upn

    rows = [
        f"{make_upn('801', '2000', 20 + i // 1000, i % 1000)},Surname{i},Forename{i},,F,01/03/2016,3,Owls,"
        "03/09/2025,No,N,No,No,WBRI"
        for i in range(first, first + n)
    ]
    return sims(*rows)


def test_a_first_import_costs_the_same_queries_for_50_pupils_or_500(school):
    """New pupils, their enrolments and history rows are inserted in bulk: a whole roll on the
    first day costs a handful of queries, not a few per pupil."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import_pupils(school=school, text=_roll(1, first=999))  # the group exists from here on
    with CaptureQueriesContext(connection) as fifty:
        import_pupils(school=school, text=_roll(50))
    with CaptureQueriesContext(connection) as five_hundred:
        import_pupils(school=school, text=_roll(500, first=100))
    assert len(fifty) == len(five_hundred) <= 15, [q["sql"][:80] for q in five_hundred]
    assert Pupil.history.filter(history_type="+").count() == 551
    assert Enrolment.history.filter(history_type="+").count() == 551


@pytest.mark.parametrize(
    "phase, year, expected",
    [
        ("primary", "N1", "primary"),
        ("secondary", "X", "secondary"),
        ("special", "X", "primary"),
        ("all_through", "R", "primary"),
        ("all_through", "Y9", "secondary"),
    ],  # noqa: E501
)
def test_the_school_files_groups_take_mis_years_and_the_schools_timetable(db, phase, year, expected):
    from tests.factories import make_school

    school = make_school(phase=phase, groups=[{"name": "Group A", "year": year}], closures=[])
    group = RegistrationGroup.objects.get(school=school, name="Group A")
    assert (group.year, group.phase) == ({"N1": -2, "X": 99, "R": 0, "Y9": 9}[year], expected)
