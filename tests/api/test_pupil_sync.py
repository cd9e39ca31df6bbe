"""POST /api/v1/pupils/sync/: the MIS sync's upsert by UPN — the pupil file's rules through the API:
idempotent, all or nothing, leavers from a whole roll, marks never touched, errors naming the
field; a write token or the staff who import, nobody else."""

import datetime as dt
import hashlib
import json

import pytest

from registers.models import Enrolment, ImportRun, Mark, Pupil, RegistrationGroup, Staff
from tests.api.conftest import session_client, token_client
from tests.factories import PupilFactory, StaffFactory, write
from tests.registers.test_imports import history_counts

D = dt.date
URL = "/api/v1/pupils/sync/"
ZARA = {
    "upn": "C330215022001",
    "legal_surname": "Hussain",
    "legal_forename": "Zara",
    "date_of_birth": "2022-03-14",
    "sex": "F",
    "year": "N2",
    "group": "Nursery",
    "admission_date": "2025-09-03",
    "eal": True,
}
AMARA = {
    "upn": "V330215021003",
    "legal_surname": "Okafor",
    "legal_forename": "Amara",
    "date_of_birth": "2020-10-02",
    "sex": "F",
    "year": "R",
    "group": "Robins",
    "admission_date": "2024-09-04",
    "fsm": True,
    "ethnicity": "BAFR",
}


def sync(client, *pupils, **options):
    return client.post(URL, {"pupils": list(pupils), **options}, format="json")


def test_a_write_token_admits_new_pupils_with_their_years_and_groups(writer, school):
    sent = json.dumps({"pupils": [ZARA, AMARA]}).encode()
    response = writer.post(URL, sent, content_type="application/json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["counts"]["pupil"] == {"created": 2, "changed": 0, "leaving": 0, "unchanged": 0}
    assert body["counts"]["registration group"]["created"] == 2 and body["dry_run"] is False
    zara = Pupil.objects.get(upn="C330215022001")
    assert (zara.year, zara.group.name, zara.eal) == (-1, "Nursery", True)
    assert Pupil.objects.get(upn="V330215021003").year == 0
    run = ImportRun.objects.get(pk=body["import_run"])
    assert (run.via, run.status, run.uploaded_by_name) == ("api", "imported", "Reception kiosk")
    assert run.sha256 == hashlib.sha256(sent).hexdigest() and run.size == len(sent)
    assert set(Pupil.history.values_list("history_user", "history_change_reason")) == {
        (None, "synchronised from the MIS (Reception kiosk)")
    }


def test_sending_the_same_pupils_again_changes_nothing(writer, school):
    sync(writer, ZARA, AMARA)
    before = history_counts()
    body = sync(writer, ZARA, AMARA).json()
    assert body["counts"]["pupil"]["unchanged"] == 2 and body["changes"] == []
    assert history_counts() == before
    assert ImportRun.objects.get(pk=body["import_run"]).status == "no_changes"


def test_changes_are_applied_field_by_field_and_reported(writer, school):
    sync(writer, ZARA, AMARA)
    body = sync(writer, {**AMARA, "year": "1", "group": "Wrens", "fsm": False}).json()
    [change] = [c for c in body["changes"] if c["thing"] == "pupil"]
    assert change == {
        "thing": "pupil",
        "outcome": "changed",
        "label": "Okafor, Amara (V330215021003)",
        "details": ["Year: Reception → Year 1", "Group: Robins → Wrens", "FSM eligible: Yes → No"],
        "where": "pupils[0]",
    }
    # a field left out is kept
    sync(writer, {k: v for k, v in ZARA.items() if k != "eal"})
    assert Pupil.objects.get(upn="C330215022001").eal is True


def test_a_whole_roll_records_the_pupils_not_sent_as_leaving_and_keeps_their_marks(writer, school):
    sync(writer, ZARA, AMARA)
    amara = Pupil.objects.get(upn="V330215021003")
    write(school, amara, {(D(2025, 9, 8), "AM"): "/"})
    body = sync(writer, ZARA, full_roll=True, leaving_date="2025-12-19").json()
    assert body["counts"]["pupil"]["leaving"] == 1
    assert Enrolment.objects.get(pupil=amara).leaving_date == D(2025, 12, 19)
    assert Mark.objects.filter(pupil=amara).count() == 1


def test_a_dry_run_writes_nothing(writer, school):
    before = history_counts()
    body = sync(writer, ZARA, dry_run=True).json()
    assert body["dry_run"] is True and body["import_run"] is None and body["counts"]["pupil"]["created"] == 1
    assert not Pupil.objects.exists() and history_counts() == before and not ImportRun.objects.exists()


@pytest.mark.parametrize(
    "pupils, options, field, reason",
    [
        ([{**ZARA, "year": "Y15"}], {}, "pupils[0].year", "'Y15' is not a national curriculum year"),
        ([{**ZARA, "year": True}], {}, "pupils[0].year", "Give the year as N1, N2, R, 1–14 or X."),
        ([{**ZARA, "upn": "C330215022002"}], {}, "pupils[0].upn", "wrong check letter"),
        ([ZARA, AMARA, {**ZARA, "year": "R"}], {}, "pupils[2].upn", "also pupils[0]"),
        ([{k: v for k, v in ZARA.items() if k != "admission_date"}], {}, "pupils[0].admission_date", "needs an adm"),
        ([{**ZARA, "ethnicity": "White British"}], {}, "pupils[0].ethnicity", ""),
        ([{**ZARA, "leaving_date": "2025-01-01"}], {}, "pupils[0].leaving_date", "is before the admission date"),
        ([ZARA], {"full_roll": True}, "leaving_date", "Required with full_roll."),
    ],
)
def test_a_refusal_names_the_field_and_saves_nothing(writer, school, pupils, options, field, reason):
    response = sync(writer, *pupils, **options)
    assert response.status_code == 400
    body = response.json()
    assert any(e["field"] == field and reason in e["reason"] for e in body["errors"]), body
    assert not Pupil.objects.exists() and not RegistrationGroup.objects.filter(name="Nursery").exists()


def test_a_leaving_date_before_the_last_mark_is_refused(writer, school):
    sync(writer, AMARA)
    write(school, Pupil.objects.get(upn="V330215021003"), {(D(2026, 1, 6), "AM"): "/"})
    response = sync(writer, {**AMARA, "leaving_date": "2025-12-19"})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "pupils[0].leaving_date" and "has marks up to 06/01/2026" in error["reason"]
    assert Enrolment.objects.get(pupil__upn="V330215021003").leaving_date is None


def test_a_read_token_may_not_sync(reader, school):
    response = sync(reader, ZARA)
    assert response.status_code == 403 and "may only read" in response.json()["message"]
    assert not Pupil.objects.exists()


@pytest.mark.parametrize(
    "position, allowed",
    [
        (Staff.Position.OFFICE, True),
        (Staff.Position.DATA_MANAGER, True),
        (Staff.Position.CLASS_TEACHER, False),
        (Staff.Position.GOVERNOR, False),
        (Staff.Position.DSL, False),
    ],
)
def test_staff_who_import_may_sync_and_nobody_else(school, position, allowed):
    client = session_client(StaffFactory(school=school, position=position).user)
    response = sync(client, ZARA)
    assert response.status_code == (200 if allowed else 403)
    assert Pupil.objects.exists() is allowed


def test_another_schools_token_writes_only_to_its_own_school(school, other_school):
    PupilFactory(school=school, upn="C330215022001", year=3)
    theirs = token_client(other_school, "Birchwood MIS", "write")
    assert sync(theirs, ZARA).status_code == 200
    assert Pupil.objects.get(school=school, upn="C330215022001").year == 3  # ours untouched
    assert Pupil.objects.get(school=other_school, upn="C330215022001").year == -1


# --- year filters take every national curriculum year -----------------------------------------


@pytest.mark.parametrize("year, expected", [(-2, ["Ivy"]), (-1, ["Zara"]), (0, ["Amara"]), (99, ["Xavier"])])
def test_the_year_filter_takes_nursery_reception_and_x(writer, school, year, expected):
    sync(writer, ZARA, AMARA)
    PupilFactory(school=school, legal_forename="Ivy", year=-2)
    PupilFactory(school=school, legal_forename="Xavier", year=99)
    response = writer.get("/api/v1/pupils/", {"year": year})
    assert [p["legal_forename"] for p in response.json()["results"]] == expected


@pytest.mark.parametrize("year", [-3, 15, 98])
def test_the_year_filter_refuses_a_year_that_is_not_one(writer, school, year):
    response = writer.get("/api/v1/pupils/", {"year": year})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "year"
