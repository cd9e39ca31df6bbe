"""The management commands an administrator runs: imports from files and the statistics and
threshold reports, through `call_command` as from a terminal."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from registers.models import Mark, Pupil, School, Staff, Term
from registers.upn import make_upn
from tests.factories import SCHOOL_DATA, StaffFactory, UserFactory
from tests.registers.conftest import audit_counts
from tests.registers.test_imports import history_counts, marks_csv, pupil_row, pupils_csv, upn

STATS_COLUMNS = [
    "upn",
    "possible",
    "present",
    "approved_activity",
    "authorised",
    "unauthorised",
    "attendance_percent",
    "absence_percent",
    "persistent",
    "severe",
]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def files(tmp_path):
    def write(name, content):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def imported(db, files):
    """The test school, its pupils and a fortnight of marks, all loaded by the commands."""
    run("import_school", files("school.json", SCHOOL_DATA))
    run("import_pupils", "--school", "100001", files("pupils.csv", pupils_csv(pupil_row(1), pupil_row(2))))
    rows = []
    for day in ("2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05"):
        rows += [f"{upn(1)},{day},AM,G,", f"{upn(1)},{day},PM,O,"]
        rows += [f"{upn(2)},{day},AM,/,", f"{upn(2)},{day},PM,\\,"]
    run("import_marks", "--school", "100001", files("marks.csv", marks_csv(*rows)))
    return School.objects.get(urn="100001")


# --- import_school ----------------------------------------------------------------------------


def test_import_school_reports_what_it_loaded(db, files):
    out = run("import_school", files("school.json", SCHOOL_DATA))
    assert out.strip() == "Oakfield Primary School (URN 100001): 6 terms, 386 school days."


def test_import_school_twice_adds_no_history(db, files):
    path = files("school.json", SCHOOL_DATA)
    run("import_school", path)
    before = history_counts()
    run("import_school", path)
    assert history_counts() == before and Term.objects.count() == 6


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"urn": "100001",', "is not valid JSON (line 1"),
        ("[1, 2]", "should hold one JSON object"),
        ({**SCHOOL_DATA, "phase": "grammar"}, "phase 'grammar' is not one of"),
    ],
)
def test_import_school_refuses_bad_files_clearly(db, files, content, message):
    with pytest.raises(CommandError) as exc:
        run("import_school", files("school.json", content))
    assert message in str(exc.value)
    assert not School.objects.exists()


def test_import_school_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_school", str(tmp_path / "nowhere.json"))


# --- import_pupils and import_marks -------------------------------------------------------------


def test_import_pupils_bad_row_names_the_line_and_writes_nothing(db, files):
    run("import_school", files("school.json", SCHOOL_DATA))
    path = files("pupils.csv", pupils_csv(pupil_row(1), pupil_row(2, date_of_birth="31/02/2018")))
    with pytest.raises(CommandError) as exc:
        run("import_pupils", "--school", "100001", path)
    assert "nothing was imported" in str(exc.value)
    assert "line 3: date_of_birth '31/02/2018' is not a date" in str(exc.value)
    assert not Pupil.objects.exists()


def test_commands_need_a_known_school(db, files):
    with pytest.raises(CommandError, match="No school with URN 999999"):
        run("import_pupils", "--school", "999999", files("pupils.csv", pupils_csv(pupil_row(1))))


def test_import_marks_prints_counts_and_reruns_change_nothing(imported, files):
    before = audit_counts()
    path = files("again.csv", marks_csv(f"{upn(1)},2026-06-01,AM,G,", f"{upn(2)},2026-06-01,AM,/,"))
    assert run("import_marks", "--school", "100001", path).strip() == "Marks: 0 new, 0 amended, 2 unchanged."
    assert audit_counts() == before == (20, 20)


def test_import_marks_records_the_named_user_and_position(imported, files, fast_password_hashing):
    user = UserFactory(username="data", first_name="Dee", last_name="Data")
    StaffFactory(user=user, school=imported, position=Staff.Position.DATA_MANAGER, title="Mrs")
    path = files("fix.csv", marks_csv(f"{upn(1)},2026-06-01,AM,I,"))
    out = run("import_marks", "--school", "100001", "--user", "data", path)
    assert out.strip() == "Marks: 0 new, 1 amended, 0 unchanged."
    mark = Mark.objects.get(pupil__upn=upn(1), date="2026-06-01", session="AM")
    assert (mark.recorded_by, mark.recorded_by_name, mark.recorded_by_position) == (
        user,
        "Mrs Dee Data",
        "Data manager",
    )
    assert (mark.source, mark.reason) == ("import", "corrected by import of fix.csv")
    assert mark.history.latest("history_id").history_user == user


def test_import_marks_without_user_records_the_terminal(imported):
    mark = Mark.objects.filter(pupil__upn=upn(2)).first()
    assert mark.recorded_by is None
    assert mark.recorded_by_name.endswith("(command line)") and mark.recorded_by_position == "Data import"


def test_import_marks_unknown_user(imported, files):
    with pytest.raises(CommandError, match="No user 'nobody'"):
        run("import_marks", "--school", "100001", "--user", "nobody", files("m.csv", marks_csv()))


def test_import_marks_lists_every_bad_row(imported, files):
    before = audit_counts()
    path = files(
        "bad.csv",
        marks_csv(
            f"{upn(1)},2026-06-08,AM,/,",
            f"{upn(1)},2026-06-08,PM,?,",
            f"{upn(2)},2026-05-04,AM,/,",
            f"{make_upn('801', '2000', 24, 700)},2026-06-08,AM,/,",
        ),
    )
    with pytest.raises(CommandError) as exc:
        run("import_marks", "--school", "100001", path)
    message = str(exc.value)
    assert "fix these 3 problem(s)" in message
    for line in ("line 3:", "line 4:", "line 5:"):
        assert line in message
    assert "bank holiday" in message
    assert audit_counts() == before


# --- reports --------------------------------------------------------------------------------------


def test_attendance_stats_json(imported):
    rows = json.loads(
        run("attendance_stats", "--school", "100001", "--from", "2026-06-01", "--to", "2026-06-05", "--format", "json")
    )
    assert [list(r) for r in rows] == [STATS_COLUMNS, STATS_COLUMNS]
    by_upn = {r["upn"]: r for r in rows}
    assert by_upn[upn(1)] | {} == {
        "upn": upn(1),
        "possible": 10,
        "present": 0,
        "approved_activity": 0,
        "authorised": 0,
        "unauthorised": 10,
        "attendance_percent": 0.0,
        "absence_percent": 100.0,
        "persistent": True,
        "severe": True,
    }
    assert (by_upn[upn(2)]["attendance_percent"], by_upn[upn(2)]["persistent"]) == (100.0, False)


def test_attendance_stats_csv(imported):
    out = run("attendance_stats", "--school", "100001", "--from", "2026-06-01", "--to", "2026-06-05")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == ",".join(STATS_COLUMNS)
    assert {r["upn"]: r["possible"] for r in rows} == {upn(1): "10", upn(2): "10"}


def test_attendance_stats_refuses_a_backwards_range(imported):
    with pytest.raises(CommandError, match="before --from"):
        run("attendance_stats", "--school", "100001", "--from", "2026-06-05", "--to", "2026-06-01")
    with pytest.raises(CommandError, match="not a date"):
        run("attendance_stats", "--school", "100001", "--from", "June", "--to", "2026-06-01")


def test_penalty_threshold_json(imported):
    rows = json.loads(run("penalty_threshold", "--school", "100001", "--on", "2026-06-05", "--format", "json"))
    assert len(rows) == 1
    assert {"upn", "unauthorised_sessions", "window_start", "window_end"} <= set(rows[0])
    assert rows[0]["upn"] == upn(1) and rows[0]["unauthorised_sessions"] == 10
    # 5 June 2026 is in school week 33; week 24 began on 9 March
    assert (rows[0]["window_start"], rows[0]["window_end"]) == ("2026-03-09", "2026-06-05")


def test_penalty_threshold_text(imported):
    assert "No pupil meets the threshold." in run("penalty_threshold", "--school", "100001", "--on", "2026-06-04")
    out = run("penalty_threshold", "--school", "100001", "--on", "2026-06-05")
    assert f"{upn(1)}  10 sessions  2026-03-09 to 2026-06-05" in out
