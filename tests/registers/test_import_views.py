"""The Imports page: who may use it (office, data manager, attendance officer, headteacher),
reached from the office's menu and home page; upload → preview (every problem, every change)
→ confirm; another school's import is a 404; what people put in files is escaped."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registers.models import Contact, ImportRun, Pupil, Staff
from tests.factories import PupilFactory, StaffFactory, make_school
from tests.registers.conftest import sample

P = Staff.Position
BACKEND = "django.contrib.auth.backends.ModelBackend"
SIMS = sample("sims_pupils_primary.csv")
PAGE = reverse("imports:page")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


def signed_in(client, school, position):
    staff = StaffFactory(school=school, position=position)
    client.force_login(staff.user, backend=BACKEND)
    return client


def upload(client, data=SIMS, name="sims.csv", kind="pupils", **fields):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(PAGE, {"kind": kind, "file": file, **fields})


@pytest.mark.parametrize("position", [P.OFFICE, P.DATA_MANAGER, P.ATTENDANCE_OFFICER, P.HEADTEACHER])
def test_the_office_team_that_imports_finds_the_page_in_its_menu(client, school, position, fast_password_hashing):
    signed_in(client, school, position)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{PAGE}" aria-current="page">Imports</a>' in html
    assert 'name="kind"' in html and 'type="file"' in html


def test_the_office_home_page_links_to_imports(client, school, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    assert f'<a href="{PAGE}">Imports from the MIS</a>' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    "position", [P.CLASS_TEACHER, P.FORM_TUTOR, P.GOVERNOR, P.DSL, P.HEAD_OF_YEAR, P.SENIOR_ATTENDANCE_CHAMPION]
)
def test_other_staff_are_refused_and_see_no_link(client, school, position, fast_password_hashing):
    signed_in(client, school, position)
    assert client.get(PAGE).status_code == 403
    assert upload(client).status_code == 403
    assert not Pupil.objects.exists()
    home = client.get(reverse("home"), follow=True).content.decode()
    assert PAGE not in home


def test_a_parent_is_refused(client, school, fast_password_hashing):
    pupil = PupilFactory(school=school)
    parent = get_user_model().objects.create_user("parent", password="x")
    Contact.objects.create(pupil=pupil, forename="Pat", surname="Parent", relationship="Mother", user=parent)
    client.force_login(parent, backend=BACKEND)
    assert client.get(PAGE).status_code == 403
    assert upload(client).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client, school):
    assert client.get(PAGE)["Location"].startswith("/login/")


def test_upload_preview_confirm(client, school, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    response = upload(client)
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("imports:run", args=[run.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Check before importing" in page and "Nothing has been written yet" in page
    assert "<dt>Reg Group</dt><dd>Registration group</dd>" in page
    assert "Okafor, Amara (V330215021003)" in page and "Reception, Robins" in page
    assert run.sha256 in page
    assert not Pupil.objects.exists()
    done = client.post(reverse("imports:confirm", args=[run.pk]), {"confirm": "1"}, follow=True).content.decode()
    assert "Imported." in done and "Pupils: 10 new" in done
    assert Pupil.objects.filter(school=school).count() == 10
    office = ImportRun.objects.get().uploaded_by
    assert set(Pupil.history.values_list("history_user", "history_change_reason")) == {
        (office.pk, f"imported from sims.csv (import {run.pk})")
    }
    listing = client.get(PAGE).content.decode()
    assert "sims.csv" in listing and "Imported" in listing and run.sha256[:12] in listing


def test_a_file_with_problems_shows_every_one_and_writes_nothing(client, school, fast_password_hashing):
    signed_in(client, school, P.DATA_MANAGER)
    bad = SIMS.replace(b"14/03/2022", b"31/02/2022").replace(b",6,Eagles", b",Year 15,Eagles")
    response = upload(client, bad)
    page = client.get(response["Location"]).content.decode()
    assert "2 problems: nothing was imported" in page
    assert "<strong>line 2</strong>: DOB &#x27;31/02/2022&#x27; is not a date" in page
    assert "<strong>line 11</strong>: Year: &#x27;Year 15&#x27; is not a national curriculum year" in page
    assert "Import these changes" not in page
    assert not Pupil.objects.exists()


def test_the_same_file_again_shows_no_changes(client, school, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    run_url = upload(client)["Location"]
    client.post(run_url + "confirm/", {"confirm": "1"})
    page = client.get(upload(client)["Location"]).content.decode()
    assert "Everything in this file is already in the records." in page and "Import these changes" not in page


def test_a_ctf_from_a_previous_school_with_its_admission_date(client, school, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    response = upload(client, sample("ctf_arbor_primary.xml"), "fernhill.xml", "ctf", admission_date="2026-01-05")
    page = client.get(response["Location"]).content.decode()
    assert "About the file" in page and "Fernhill Primary School (919/2050)" in page
    assert "Patel, Aanya (E919205021008)" in page and "Mrs Meera Patel (Mother)" in page
    client.post(response["Location"] + "confirm/", {"confirm": "1"})
    assert Pupil.objects.count() == 3 and Contact.objects.count() == 3


def test_discarding_a_preview(client, school, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    run_url = upload(client)["Location"]
    assert client.post(run_url + "confirm/", {"discard": "1"})["Location"] == PAGE
    assert ImportRun.objects.get().status == ImportRun.Status.EXPIRED and not Pupil.objects.exists()


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"kind": "ctf"}, "file", "This is not an XML file"),
        ({"kind": "calendar"}, "file", "This is not a JSON file"),
        ({"data": b"<CTfile/>"}, "file", "This looks like an XML file (a CTF?), not a CSV file"),
        ({"data": b""}, "file", "The submitted file is empty."),
        ({"full_roll": "on", "leaving_date": ""}, "leaving_date", "Give the leaving date"),
        ({"kind": "contacts", "full_roll": "on", "leaving_date": "2026-07-22"}, "full_roll", "Only a pupil file or"),
    ],
)
def test_the_form_refuses_the_wrong_kind_of_file_clearly(client, school, fields, field, message, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    data = fields.pop("data", SIMS)
    page = upload(client, data, **fields)
    assert page.status_code == 200 and message in page.context["form"].errors[field][0]
    assert 'id="error-summary"' in page.content.decode()
    assert not ImportRun.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, school, monkeypatch, fast_password_hashing):
    monkeypatch.setattr("registers.import_forms.max_bytes", lambda kind: 100)
    signed_in(client, school, P.OFFICE)
    page = upload(client)
    assert "this kind of file may be at most 0 MB" in page.context["form"].errors["file"][0]
    assert not ImportRun.objects.exists()


def test_another_schools_import_is_not_found(client, school, fast_password_hashing):
    other = make_school(urn="100003", name="Birchwood Primary School", establishment_number="2002")
    signed_in(client, other, P.OFFICE)
    run_url = upload(client)["Location"]
    client.logout()
    signed_in(client, school, P.OFFICE)
    assert client.get(run_url).status_code == 404
    assert client.post(run_url + "confirm/", {"confirm": "1"}).status_code == 404
    assert not Pupil.objects.exists()
    assert "sims.csv" not in client.get(PAGE).content.decode()


def test_confirming_needs_a_post(client, school, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    run_url = upload(client)["Location"]
    assert client.get(run_url + "confirm/").status_code == 405


def test_what_a_file_says_is_shown_as_text_never_as_html(client, school, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    evil = SIMS.replace(b"Hussain", b"<script>alert(1)</script>", 1)
    page = client.get(upload(client, evil, name="<img src=x onerror=alert(1)>.csv")["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_the_stored_file_is_named_by_its_content_not_by_what_it_was_called(client, school, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    upload(client, name="../../../etc/passwd.csv")
    run = ImportRun.objects.get()
    assert run.file.name == f"imports/{school.pk}/{run.sha256}" and run.file_name == "passwd.csv"


def test_an_xml_bomb_uploaded_as_a_ctf_is_refused_unread(client, school, fast_password_hashing):
    signed_in(client, school, P.OFFICE)
    page = client.get(upload(client, sample("ctf_billion_laughs.xml"), "lol.xml", "ctf")["Location"])
    assert "declares a document type or entities" in page.content.decode()
    assert ImportRun.objects.get().status == ImportRun.Status.REFUSED and not Pupil.objects.exists()


def test_the_preview_of_a_day_one_import_stays_within_a_query_budget(client, school, fast_password_hashing):
    """Preview and confirm are each one pass over the file; the query count grows with the pupils
    (each saved with its history), measured here for the ten-pupil SIMS file."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    signed_in(client, school, P.OFFICE)
    with CaptureQueriesContext(connection) as preview:
        run_url = upload(client)["Location"]
    with CaptureQueriesContext(connection) as shown:
        client.get(run_url)
    assert len(shown) <= 12, [q["sql"] for q in shown]
    assert len(preview) <= 200, len(preview)


def test_dates_default_to_today_and_the_next_school_day(client, school, fast_password_hashing, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 4, 12, 0))  # a Friday
    signed_in(client, school, P.OFFICE)
    form = client.get(PAGE).context["form"]
    assert form.initial["leaving_date"] == dt.date(2026, 12, 4)
    assert form.initial["admission_date"] == dt.date(2026, 12, 7)
