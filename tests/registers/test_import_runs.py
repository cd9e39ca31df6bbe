"""Upload → preview → confirm: the preview is the import itself rolled back, so it writes
nothing and shows exactly what confirming does; the file waits privately under its SHA-256; a
re-upload of the same file changes nothing; every run is recorded (who, when, file, SHA-256)."""

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from registers.imports import confirm_import, discard_import, expire_previews, import_file, preview_import
from registers.models import Enrolment, ImportRun, Mark, Pupil, RegistrationGroup, Term
from registers.services import Actor
from tests.factories import SCHOOL_DATA, StaffFactory, UserFactory
from tests.registers.conftest import sample
from tests.registers.test_imports import history_counts

D = dt.date
SIMS = sample("sims_pupils_primary.csv")
Status = ImportRun.Status


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings.PRIVATE_ROOT


@pytest.fixture
def office(school, fast_password_hashing):
    user = UserFactory(username="office", first_name="Priya", last_name="Shah")
    return StaffFactory(user=user, school=school, position="office", title="Mrs").user


def preview(school, user, data=SIMS, kind="pupils", name="SIMS pupils.csv", **options):
    return preview_import(school=school, kind=kind, data=data, file_name=name, options=options, user=user)


def test_a_preview_writes_nothing_and_keeps_the_file_under_its_sha256(school, office, private_root):
    before = history_counts(), Pupil.objects.count(), RegistrationGroup.objects.count()
    run = preview(school, office)
    assert (history_counts(), Pupil.objects.count(), RegistrationGroup.objects.count()) == before
    sha = hashlib.sha256(SIMS).hexdigest()
    assert (run.status, run.sha256, run.size, run.file_name) == (Status.PREVIEWED, sha, len(SIMS), "SIMS pupils.csv")
    assert (run.uploaded_by, run.uploaded_by_name, run.via) == (office, "Mrs Priya Shah", "browser")
    assert run.file.name == f"imports/{school.pk}/{sha}"
    assert (Path(private_root) / run.file.name).read_bytes() == SIMS
    assert run.counts["pupil"]["created"] == 10 and run.counts["registration group"]["created"] == 8
    assert len([c for c in run.preview["changes"] if c["thing"] == "pupil"]) == 10


def test_confirming_imports_what_the_preview_showed_and_lets_the_file_go(
    school, office, private_root, django_capture_on_commit_callbacks
):
    run = preview(school, office)
    path = Path(private_root) / run.file.name
    with_changes = run.preview["changes"]
    with django_capture_on_commit_callbacks(execute=True):
        run = confirm_import(run=run, user=office)
    assert run.status == Status.IMPORTED and (run.confirmed_by, run.file.name) == (office, "")
    assert run.confirmed_at is not None and run.preview["changes"] == with_changes
    assert Pupil.objects.filter(school=school).count() == 10
    assert not path.exists()
    reason = Pupil.history.latest("history_id").history_change_reason
    assert reason == f"imported from SIMS pupils.csv (import {run.pk})"


def test_confirming_twice_imports_once(school, office):
    run = preview(school, office)
    confirm_import(run=run, user=office)
    before = history_counts()
    again = confirm_import(run=run, user=office)
    assert again.status == Status.IMPORTED and history_counts() == before


def test_the_same_file_uploaded_again_shows_no_changes_and_writes_nothing(school, office):
    confirm_import(run=preview(school, office), user=office)
    before = history_counts()
    run = preview(school, office)
    assert run.status == Status.NO_CHANGES and run.file.name == ""
    assert run.counts["pupil"] == {"created": 0, "changed": 0, "leaving": 0, "unchanged": 10}
    assert history_counts() == before


def test_a_file_with_problems_is_refused_with_every_problem_and_not_kept(school, office):
    bad = SIMS.replace(b"14/03/2022", b"31/02/2022").replace(b",R,Robins", b",Y0R,Robins", 1)
    run = preview(school, office, data=bad)
    assert run.status == Status.REFUSED and run.problem_count == 2 and run.file.name == ""
    assert [(p["line"], p["where"]) for p in run.preview["problems"]] == [(2, "line 2"), (4, "line 4")]
    assert "DOB '31/02/2022' is not a date" in run.preview["problems"][0]["message"]
    assert not Pupil.objects.exists()


def test_if_the_records_change_after_the_preview_the_new_preview_is_shown_instead(school, office):
    run = preview(school, office)
    import_file(
        school=school,
        kind="pupils",
        data=SIMS.splitlines(keepends=True)[0] + SIMS.splitlines(keepends=True)[1],
        file_name="one.csv",
        options={},
        actor=Actor.for_user(office),
    )
    run = confirm_import(run=run, user=office)
    assert run.status == Status.PREVIEWED and run.preview["changed"] is True
    assert run.counts["pupil"]["created"] == 9 and Pupil.objects.count() == 1  # nothing more was written
    assert confirm_import(run=run, user=office).status == Status.IMPORTED  # confirming the new preview


def test_a_preview_not_confirmed_within_a_day_expires(school, office, private_root, django_capture_on_commit_callbacks):
    run = preview(school, office)
    path = Path(private_root) / run.file.name
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)), django_capture_on_commit_callbacks(execute=True):
        assert confirm_import(run=run, user=office).status == Status.EXPIRED
    assert not Pupil.objects.exists() and not path.exists()
    stale = preview(school, office, name="again.csv")
    ImportRun.objects.filter(pk=stale.pk).update(uploaded_at=timezone.now() - dt.timedelta(days=2))
    assert expire_previews(school=school) == 1
    assert ImportRun.objects.get(pk=stale.pk).status == Status.EXPIRED


def test_discarding_lets_the_file_go_but_not_while_another_preview_waits_on_it(
    school, office, private_root, django_capture_on_commit_callbacks
):
    first, second = preview(school, office), preview(school, office, name="copy.csv")
    assert first.file.name == second.file.name  # one copy, named by its content
    path = Path(private_root) / first.file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert discard_import(run=first).status == Status.EXPIRED
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        discard_import(run=second)
    assert not path.exists() and not Pupil.objects.exists()


def test_a_ctf_preview_uses_the_admission_date_given(school, office):
    run = preview(
        school,
        office,
        data=sample("ctf_arbor_primary.xml"),
        kind="ctf",
        name="fernhill.xml",
        admission_date=D(2026, 1, 5),
    )
    assert run.options == {"admission_date": "2026-01-05"}
    confirm_import(run=run, user=office)
    assert set(Enrolment.objects.values_list("admission_date", flat=True)) == {D(2026, 1, 5)}


def test_marks_imported_from_the_page_are_recorded_against_the_office(school, office):
    confirm_import(run=preview(school, office), user=office)
    data = b"UPN,Date,Session,Mark\r\nV330215021003,08/09/2025,AM,/\r\nV330215021003,08/09/2025,PM,N\r\n"
    run = confirm_import(run=preview(school, office, data=data, kind="marks", name="marks.csv"), user=office)
    assert run.counts["mark"]["created"] == 2
    assert set(Mark.objects.values_list("source", "recorded_by", "recorded_by_name")) == {
        ("import", office.pk, "Mrs Priya Shah")
    }


# --- the school calendar from the page -----------------------------------------------------------


def test_the_calendar_preview_lists_each_change(school, office):
    data = {**SCHOOL_DATA, "terms": [dict(t) for t in SCHOOL_DATA["terms"]]}
    data["terms"][2]["end"] = "2026-07-17"
    run = preview(school, office, data=json.dumps(data).encode(), kind="calendar", name="calendar.json")
    assert run.status == Status.PREVIEWED
    [term] = [c for c in run.preview["changes"] if c["thing"] == "term"]
    assert term["label"] == "Summer 2025/26" and "End date: 2026-07-22 → 2026-07-17" in term["details"]
    assert Term.objects.get(school=school, start_date=D(2026, 4, 13)).end_date == D(2026, 7, 22)
    confirm_import(run=run, user=office)
    assert Term.objects.get(school=school, start_date=D(2026, 4, 13)).end_date == D(2026, 7, 17)


def test_the_calendar_of_another_school_is_refused(school, office):
    """The office imports only its own school's calendar: a file for another URN is refused."""
    other = {**SCHOOL_DATA, "urn": "100099", "name": "Another School"}
    run = preview(school, office, data=json.dumps(other).encode(), kind="calendar", name="calendar.json")
    assert run.status == Status.REFUSED
    assert "the file is for the school with URN 100099, not Oakfield Primary School (URN 100001)" in str(run.preview)
    assert not ImportRun.objects.filter(school__urn="100099").exists()


@pytest.mark.parametrize("data, message", [(b"{not json", "not valid JSON"), (b"[1, 2]", "one JSON object")])
def test_a_calendar_that_is_not_a_json_object_is_refused(school, office, data, message):
    run = preview(school, office, data=data, kind="calendar", name="calendar.json")
    assert run.status == Status.REFUSED and message in run.preview["problems"][0]["message"]


# --- the command line is recorded the same way ---------------------------------------------------


def test_the_command_line_records_its_imports(school):
    actor = Actor(None, "root (command line)", "Data import")
    run, report = import_file(school=school, kind="pupils", data=SIMS, file_name="sims.csv", options={}, actor=actor)
    assert (run.status, run.via, run.uploaded_by_name, run.file.name) == ("imported", "command_line", actor.name, "")
    assert report.counts()["created"] == 10
    run, _ = import_file(
        school=school, kind="pupils", data=SIMS, file_name="sims.csv", options={}, actor=actor, dry_run=True
    )
    assert run.pk is None  # a dry run is not recorded
