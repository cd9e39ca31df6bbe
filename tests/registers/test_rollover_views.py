"""The rollover page: the preview (what moves, who leaves, groups, intake), apply in one step, once;
only for the people who keep the roll."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registers.models import Enrolment, Pupil, YearRollover
from registers.upn import make_upn
from tests.factories import PupilFactory, StaffFactory, UserFactory

D = dt.date
URL = "/roll/rollover/"


@pytest.fixture(autouse=True)
def after_the_summer_term(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(dt.datetime(2026, 7, 27, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def pupils(school):
    return {y: PupilFactory(school=school, year=y, legal_surname=f"Year{y}") for y in (0, 3, 6)}


@pytest.fixture
def office(client, school):
    staff = StaffFactory(user=UserFactory(username="office"), school=school, position="office")
    client.force_login(staff.user)
    return staff


def test_the_preview_shows_what_moves_who_leaves_and_the_groups(client, office, pupils):
    assert reverse("roll:rollover") == URL
    page = client.get(URL).content.decode()
    assert "2025/26 to 2026/27" in page and "Apply the rollover" in page
    assert "Year6, Alex" in page and "31 August 2026" in page  # the leaver and the day they leave
    assert '<th scope="row">Reception</th>' in page and "Year 1" in page
    assert Pupil.objects.get(pk=pupils[3].pk).year == 3  # a preview writes nothing
    assert not YearRollover.objects.exists()


def test_apply_once_in_one_step(client, office, pupils, school):
    response = client.post(URL, {"action": "apply"})
    assert response.status_code == 302
    assert Pupil.objects.get(pk=pupils[3].pk).year == 4
    assert Enrolment.objects.get(pupil=pupils[6]).leaving_date == D(2026, 8, 31)
    page = client.get(URL).content.decode()
    assert "Already applied" in page and "Apply the rollover" not in page
    client.post(URL, {"action": "apply"})
    assert Pupil.objects.get(pk=pupils[3].pk).year == 4 and YearRollover.objects.count() == 1


def test_a_pupil_ticked_to_stay_on(client, office, pupils):
    page = client.post(URL, {"action": "preview", "stay": [str(pupils[6].pk)]}).content.decode()
    assert f'value="{pupils[6].pk}" id="stay-{pupils[6].pk}" checked' in page
    client.post(URL, {"action": "apply", "stay": [str(pupils[6].pk)]})
    assert Enrolment.objects.get(pupil=pupils[6]).leaving_date is None


def test_the_intake_and_a_groups_file(client, office, pupils, school):
    upn = make_upn("801", "2000", 22, 777)
    intake = SimpleUploadedFile(
        "intake.csv",
        (
            "UPN,Surname,Forename,Gender,DOB,Year,Reg Group,Admission Date\n"
            f"{upn},New,Nell,F,01/02/2022,R,Reception,03/09/2026\n"
        ).encode(),
    )
    groups = SimpleUploadedFile("groups.csv", f"UPN,Group\n{pupils[3].upn},4 Rowan\n".encode())
    page = client.post(URL, {"action": "preview", "intake_file": intake, "groups_file": groups}).content.decode()
    assert "intake.csv" in page and "4 Rowan" in page and "New</span>" in page
    run = page.split('name="intake_run" value="')[1].split('"')[0]
    text = page.split('name="groups_text" value="')[1].split('"')[0]
    assert not Pupil.objects.filter(upn=upn).exists()
    client.post(URL, {"action": "apply", "intake_run": run, "groups_text": text.replace("&#x27;", "'")})
    assert Pupil.objects.get(upn=upn).group.name == "Reception"
    assert Pupil.objects.get(pk=pupils[3].pk).group.name == "4 Rowan"


def test_a_bad_groups_file_writes_nothing(client, office, pupils):
    groups = SimpleUploadedFile("groups.csv", b"Name,Class\nx,y\n")
    page = client.post(URL, {"action": "apply", "groups_file": groups}).content.decode()
    assert "Nothing was changed" in page and "needs the headings UPN and Group" in page
    assert Pupil.objects.get(pk=pupils[3].pk).year == 3


@pytest.mark.parametrize("position", ["class_teacher", "governor"])
def test_only_the_roll_keepers(client, school, pupils, position):
    staff = StaffFactory(user=UserFactory(username="x"), school=school, position=position)
    client.force_login(staff.user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "apply"}).status_code == 403
    assert Pupil.objects.get(pk=pupils[3].pk).year == 3


def test_another_schools_intake_run_is_ignored(client, office, pupils, school):
    from registers.imports import preview_import
    from registers.models import ImportRun
    from tests.factories import make_school

    other = make_school(urn="100088", name="Other", establishment_number="2088")
    upn = make_upn("801", "2088", 22, 5)
    data = f"UPN,Surname,Forename,Gender,DOB,Year,Admission Date\n{upn},Other,Olly,M,01/02/2022,R,03/09/2026\n"
    run = preview_import(
        school=other, kind=ImportRun.Kind.PUPILS, data=data.encode(), file_name="x.csv", options={}, user=office.user
    )
    client.post(URL, {"action": "apply", "intake_run": str(run.pk)})
    assert not Pupil.objects.filter(upn=upn).exists()
    assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.PREVIEWED
