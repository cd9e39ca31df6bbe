"""Imports from a school's MIS: all or nothing, every bad row named with its line, and
re-running the same file changes nothing (no new rows, no new history)."""

import datetime as dt

import pytest

from registers.imports import ImportRejected, import_marks, import_pupils, import_school
from registers.models import (
    AcademicYear,
    Closure,
    Enrolment,
    Holiday,
    Mark,
    Pupil,
    RegisterTime,
    RegistrationGroup,
    School,
    SchoolDay,
    Term,
)
from registers.services import Actor
from registers.upn import make_upn
from tests.factories import SCHOOL_DATA, make_school
from tests.registers.conftest import audit_counts

D = dt.date
AUDITED = [School, RegisterTime, AcademicYear, Term, Holiday, Closure, RegistrationGroup, Pupil, Enrolment]
OFFICE = Actor(None, "Mrs Dee Data", "Data manager")


def history_counts():
    return {model.__name__: model.history.count() for model in AUDITED}


def upn(n):
    return make_upn("801", "2000", 24, n)


PUPIL_HEADER = (
    "upn,legal_surname,legal_forename,preferred_forename,date_of_birth,sex,year,group,"
    "admission_date,leaving_date,fsm,sen,eal,looked_after,ethnicity"
)


def pupil_row(n, **values):
    row = {
        "upn": upn(n),
        "legal_surname": f"Smith{n}",
        "legal_forename": "Ava",
        "preferred_forename": "",
        "date_of_birth": "2018-02-01",
        "sex": "F",
        "year": "3",
        "group": "Year 3",
        "admission_date": "2025-09-01",
        "leaving_date": "",
        "fsm": "N",
        "sen": "N",
        "eal": "N",
        "looked_after": "N",
        "ethnicity": "WBRI",
    } | values
    return ",".join(row.values())


def pupils_csv(*rows):
    return "\n".join([PUPIL_HEADER, *rows]) + "\n"


def marks_csv(*rows):
    return "\n".join(["upn,date,session,code,minutes_late", *rows]) + "\n"


@pytest.fixture
def pupils(school):
    import_pupils(
        school=school,
        text=pupils_csv(
            pupil_row(1),
            pupil_row(2, admission_date="2026-01-12"),  # mid-year joiner
            pupil_row(3, leaving_date="2025-12-19"),  # leaver
        ),
    )
    return {p.upn: p for p in Pupil.objects.filter(school=school)}


# --- school and calendar ----------------------------------------------------------------------


def test_import_school_creates_the_calendar(school):
    assert Term.objects.filter(school=school).count() == 6
    assert list(AcademicYear.objects.filter(school=school).values_list("name", "start_date", "end_date")) == [
        ("2025/26", D(2025, 9, 3), D(2026, 7, 22)),
        ("2026/27", D(2026, 9, 3), D(2027, 7, 21)),
    ]
    assert Closure.objects.get(school=school, date=D(2026, 7, 1)).year_groups == [6]
    assert RegistrationGroup.objects.filter(school=school).count() == 7


def test_import_school_twice_adds_no_history(school):
    before, days = history_counts(), SchoolDay.objects.count()
    assert import_school(dict(SCHOOL_DATA)) == school
    assert history_counts() == before
    assert SchoolDay.objects.count() == days and School.objects.count() == 1


def test_import_school_updates_what_changed_with_history(school):
    before = history_counts()
    data = {**SCHOOL_DATA, "name": "Oakfield Church of England Primary School"}
    data["terms"] = [dict(t) for t in SCHOOL_DATA["terms"]]
    data["terms"][2]["end"] = "2026-07-17"  # summer term ends earlier
    import_school(data)
    after = history_counts()
    assert after["School"] == before["School"] + 1
    assert after["Term"] == before["Term"] + 1
    assert after["Holiday"] == before["Holiday"]
    assert not SchoolDay.objects.filter(school=school, date=D(2026, 7, 20)).exists()
    last = Term.history.filter(school_id=school.id).latest("history_id")
    assert last.history_change_reason == "imported from the school's data file"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"phase": "grammar"}, "phase 'grammar' is not one of"),
        ({"name": ""}, "'name' is missing"),
        (
            {"register_times": {"primary": {"am": {"opens": "9am", "late_after": "09:00", "closes": "09:20"}}}},
            "opens '9am' is not a time in the form HH:MM",
        ),
        (
            {"register_times": {"primary": {"evening": {"opens": "18:00", "late_after": "18:05", "closes": "18:10"}}}},
            "session 'evening' should be 'am' or 'pm'",
        ),
        (
            {"register_times": {"primary": {"am": {"opens": "09:10", "late_after": "09:00", "closes": "09:20"}}}},
            "opens ≤ late after ≤ closes",
        ),
        ({"register_times": {"infant": {}}}, "phase 'infant' should be 'primary' or 'secondary'"),
        ({"terms": [{"name": "Autumn", "start": "2025-09-03", "end": "2025-07-01"}]}, "ends (2025-07-01) before"),
        ({"terms": [{"name": "Autumn", "start": "03/09/2025", "end": "2025-12-19"}]}, "not a date in the form"),
        ({"terms": [{"name": "Autumn", "start": 20250903, "end": "2025-12-19"}]}, "not a date in the form"),
        (
            {
                "terms": [
                    {"name": "Autumn", "start": "2025-09-03", "end": "2025-12-19"},
                    {"name": "Spring", "start": "2025-12-15", "end": "2026-03-27"},
                ]
            },
            "terms 'Autumn' and 'Spring' overlap",
        ),
        ({"terms": "autumn"}, "'terms' should be a list"),
        ({"half_term_breaks": [{"start": "2025-10-31", "end": "2025-10-27"}]}, "half_term_breaks[1]: ends"),
        ({"closures": [{"date": "2026-05-07", "session": "evening", "reason": "x"}]}, "should be AM, PM or both"),
        ({"closures": [{"date": "2026-05-07", "reason": "x", "kind": "strike"}]}, "kind 'strike'"),
        ({"closures": [{"date": "2026-05-07", "reason": "x", "year_groups": ["six"]}]}, "year_groups should be"),
        ({"closures": [{"date": "2026-05-07", "reason": "x", "year_groups": 6}]}, "year_groups should be"),
        ({"closures": [{"date": "2026-05-07"}]}, "a reason is required"),
        ({"groups": [{"name": "Year 1", "year": "one"}]}, "'one' is not a national curriculum year"),
        ({"groups": [{"year": 1}]}, "groups[1]: a name is required"),
        ({"groups": ["Year 1"]}, "groups[1] should be an object"),
        ({"la_number": "80123"}, "la_number"),  # refused by the model, reported like the rest
        ({"email": "office at oakfield"}, "email"),
    ],
)
def test_bad_school_values_give_clear_messages_and_write_nothing(db, change, message):
    with pytest.raises(ImportRejected) as exc:
        import_school({**SCHOOL_DATA, **change})
    assert any(message in str(p) for p in exc.value.problems), exc.value.problems
    assert not School.objects.exists() and not Term.objects.exists() and not SchoolDay.objects.exists()
    assert all(n == 0 for n in history_counts().values())


def test_every_problem_in_a_school_file_is_reported(db):
    data = {
        **SCHOOL_DATA,
        "phase": "grammar",
        "terms": [{"name": "Autumn", "start": "2025-09-03", "end": "2025-07-01"}],
        "closures": [{"date": "2026-05-07"}],
    }
    with pytest.raises(ImportRejected) as exc:
        import_school(data)
    assert len(exc.value.problems) == 3


# --- pupils -------------------------------------------------------------------------------------


def test_import_pupils_creates_pupils_and_enrolments(school, pupils):
    joiner = pupils[upn(2)]
    assert joiner.group.name == "Year 3"
    assert [(e.admission_date, e.leaving_date) for e in joiner.enrolments.all()] == [(D(2026, 1, 12), None)]
    assert pupils[upn(3)].enrolments.get().leaving_date == D(2025, 12, 19)


def test_import_pupils_twice_changes_nothing(school, pupils):
    text = pupils_csv(pupil_row(1), pupil_row(2, admission_date="2026-01-12"), pupil_row(3, leaving_date="2025-12-19"))
    before = history_counts()
    assert import_pupils(school=school, text=text).counts() == {
        "created": 0,
        "changed": 0,
        "leaving": 0,
        "unchanged": 3,
    }
    assert history_counts() == before


def test_import_pupils_updates_a_leaving_date(school, pupils):
    counts = import_pupils(school=school, text=pupils_csv(pupil_row(1, leaving_date="2026-03-27"))).counts()
    assert counts == {"created": 0, "changed": 0, "leaving": 1, "unchanged": 0}
    assert pupils[upn(1)].enrolments.get().leaving_date == D(2026, 3, 27)


def test_a_second_admission_overlapping_the_current_enrolment_is_refused(school, pupils):
    """Pupil 1 has been on roll since 1 Sept 2025 with no leaving date: a row admitting them again
    in January would put them on roll twice. Nothing is written and the line says what to do."""
    before = history_counts()
    with pytest.raises(ImportRejected) as exc:
        import_pupils(
            school=school,
            text=pupils_csv(pupil_row(2, admission_date="2026-01-12"), pupil_row(1, admission_date="2026-01-05")),
        )
    [problem] = exc.value.problems
    assert problem.line == 3
    assert "already on roll from 01/09/2025 with no leaving date" in problem.message
    assert "record the leaving date on the earlier enrolment first" in problem.message
    assert pupils[upn(1)].enrolments.count() == 1 and history_counts() == before


def test_a_leaver_returning_after_their_leaving_date_gets_a_second_enrolment(school, pupils):
    """Pupil 3 left on 19 Dec 2025 and comes back after Easter: two enrolments, no overlap."""
    import_pupils(school=school, text=pupils_csv(pupil_row(3, admission_date="2026-04-20")))
    periods = [(e.admission_date, e.leaving_date) for e in pupils[upn(3)].enrolments.order_by("admission_date")]
    assert periods == [(D(2025, 9, 1), D(2025, 12, 19)), (D(2026, 4, 20), None)]


@pytest.mark.parametrize(
    "bad_row, message",
    [
        (pupil_row(9, upn="A801200005001"), "wrong check letter"),
        (pupil_row(9, upn="B80120000500"), "has 12 characters"),
        (pupil_row(9, date_of_birth="31/02/2018"), "date_of_birth '31/02/2018' is not a date"),
        (pupil_row(9, date_of_birth="2018/03/14"), "date_of_birth '2018/03/14' is not a date"),
        (pupil_row(9, admission_date="2025-02-30"), "admission_date '2025-02-30' is not a date"),
        (pupil_row(9, year="Y15"), "'Y15' is not a national curriculum year"),
        (pupil_row(1), "appears again (first on line 2)"),
        (pupil_row(9, sex="X"), "sex 'X' should be F or M"),
        (pupil_row(9, leaving_date="2025-08-01"), "before admission_date"),
        (pupil_row(9, fsm="maybe"), "fsm 'maybe' should be Yes or No"),
        (pupil_row(9, ethnicity="WHITEBRITISH"), "ethnicity"),  # too long for the field
    ],
)
def test_one_bad_pupil_row_writes_nothing_and_names_the_line(school, bad_row, message):
    before = history_counts()
    with pytest.raises(ImportRejected) as exc:
        import_pupils(school=school, text=pupils_csv(pupil_row(1), pupil_row(2), bad_row))
    [problem] = exc.value.problems
    assert problem.line == 4 and message in problem.message
    assert not Pupil.objects.exists() and not Enrolment.objects.exists()
    assert history_counts() == before


def test_pupil_file_with_a_missing_column_is_refused(school):
    with pytest.raises(ImportRejected) as exc:
        import_pupils(school=school, text="upn,legal_surname\n" + upn(1) + ",Smith\n")
    missing = [str(p) for p in exc.value.problems]
    assert any("no column for the date of birth" in p and "'dob'" in p for p in missing), missing


# --- marks ------------------------------------------------------------------------------------


def test_import_marks_through_the_register_service(school, pupils):
    text = marks_csv(f"{upn(1)},2025-09-08,AM,/,", f"{upn(1)},2025-09-08,PM,L,12", f"{upn(1)},2025-09-09,AM,c2,")
    assert import_marks(school=school, text=text, actor=OFFICE, source_name="sims.csv").counts() == {
        "created": 3,
        "changed": 0,
        "leaving": 0,
        "unchanged": 0,
    }
    marks = {(m.date, m.session): m for m in Mark.objects.select_related("code")}
    assert marks[D(2025, 9, 8), "PM"].code.code == "L" and marks[D(2025, 9, 8), "PM"].minutes_late == 12
    assert marks[D(2025, 9, 9), "AM"].code.code == "C2"
    assert {(m.source, m.recorded_by_name, m.recorded_by_position) for m in marks.values()} == {
        ("import", "Mrs Dee Data", "Data manager")
    }


def test_import_marks_with_errors_writes_nothing_and_lists_every_bad_row(school, pupils):
    text = marks_csv(
        f"{upn(1)},2025-09-08,AM,/,",  # 2 good
        f"{upn(1)},2025-09-08,PM,QQ,",  # 3 unknown code
        "A801200005001,2025-09-08,AM,/,",  # 4 invalid UPN
        f"{upn(1)},2025-09-06,AM,/,",  # 5 a Saturday
        f"{upn(2)},2025-09-09,AM,/,",  # 6 before the joiner's admission
        f"{upn(1)},2025/9/9,AM,/,",  # 7 malformed date
        f"{upn(1)},2025-09-08,AM,I,",  # 8 duplicate of line 2
        f"{upn(1)},2025-09-10,XX,/,",  # 9 bad session
        f"{upn(1)},2025-09-10,AM,L,soon",  # 10 bad minutes
        f"{make_upn('801', '2000', 24, 500)},2025-09-10,AM,/,",  # 11 valid UPN, not at this school
        f"{upn(1)},2025-09-11,AM,/,",  # 12 good
    )
    before = audit_counts()
    with pytest.raises(ImportRejected) as exc:
        import_marks(school=school, text=text, actor=OFFICE, source_name="sims.csv")
    assert audit_counts() == before == (0, 0)
    problems = {p.line: p.message for p in exc.value.problems}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "'QQ' is not a national attendance code" in problems[3]
    assert "wrong check letter" in problems[4]
    assert "not a school session" in problems[5] and "weekend" in problems[5]
    assert "not on roll" in problems[6]
    assert "is not a date: write it as DD/MM/YYYY" in problems[7]
    assert "duplicate row" in problems[8] and "line 2" in problems[8]
    assert "should be AM or PM" in problems[9]
    assert "not a whole number" in problems[10]
    assert "no pupil with UPN" in problems[11]


def test_reimporting_the_same_marks_creates_nothing(school, pupils):
    text = marks_csv(f"{upn(1)},2025-09-08,AM,/,", f"{upn(1)},2025-09-08,PM,U,40", f"{upn(3)},2025-12-19,AM,N,")
    import_marks(school=school, text=text, actor=OFFICE)
    before = audit_counts()
    again = import_marks(school=school, text=text, actor=OFFICE)
    assert again.counts()["unchanged"] == 3 and not again.changes_anything
    assert audit_counts() == before == (3, 3)


def test_a_changed_code_on_reimport_is_an_amendment_with_a_reason(school, pupils):
    import_marks(school=school, text=marks_csv(f"{upn(1)},2025-09-08,AM,N,"), actor=OFFICE, source_name="day1.csv")
    counts = import_marks(
        school=school, text=marks_csv(f"{upn(1)},2025-09-08,AM,I,"), actor=OFFICE, source_name="day2.csv"
    )
    assert counts.counts() == {"created": 0, "changed": 1, "leaving": 0, "unchanged": 0}
    assert [(c.details, c.where) for c in counts.changes] == [(["N → I"], "line 2")]
    mark = Mark.objects.get()
    assert (mark.code.code, mark.version, mark.reason) == ("I", 2, "corrected by import of day2.csv")
    history = list(Mark.history.filter(id=mark.id).order_by("history_id"))
    assert [h.code.code for h in history] == ["N", "I"]
    assert history[-1].history_change_reason == "corrected by import of day2.csv"


def test_marks_on_a_planned_closure_must_be_hash(school, pupils):
    with pytest.raises(ImportRejected) as exc:
        import_marks(school=school, text=marks_csv(f"{upn(1)},2026-05-07,AM,/,"), actor=OFFICE)
    assert "planned closure" in exc.value.problems[0].message
    import_marks(school=school, text=marks_csv(f"{upn(1)},2026-05-07,AM,#,"), actor=OFFICE)


def test_new_closure_on_reimport_writes_hash_for_pupils_on_roll(school, pupils):
    data = {**SCHOOL_DATA, "closures": [*SCHOOL_DATA["closures"], {"date": "2026-03-27", "reason": "Boiler failure"}]}
    import_school(data)
    marks = Mark.objects.filter(date=D(2026, 3, 27))
    assert {(m.pupil.upn, m.session, m.code.code) for m in marks} == {
        (upn(n), s, "#") for n in (1, 2) for s in ("AM", "PM")
    }  # the pupil who left in December gets no mark
    assert {m.source for m in marks} == {"closure"}


def test_school_import_for_make_school_overrides(db):
    other = make_school(urn="100004", name="Ash Grove Academy", phase="secondary")
    assert other.register_phases == ["secondary"]


@pytest.mark.parametrize(
    "day, why",
    [("2026-05-09", "Saturday is a weekend"), ("2026-05-27", "half-term"), ("2026-05-04", "bank holiday")],
)
def test_a_planned_closure_must_fall_on_a_school_day(school, pupils, day, why):
    before, marks = history_counts(), audit_counts()
    data = {**SCHOOL_DATA, "closures": [*SCHOOL_DATA["closures"], {"date": day, "reason": "Heating failure"}]}
    with pytest.raises(ImportRejected) as exc:
        import_school(data)
    [problem] = exc.value.problems
    assert "is not a school day" in problem.message and why in problem.message
    assert history_counts() == before and audit_counts() == marks
    assert not Closure.objects.filter(school=school, date=day).exists()
