"""The office's pages for the admission register: delete a pupil with a ground (from the pupil page),
the deletions, the printable notification and its CSV export; who may use them."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from registers.models import Contact, Enrolment, RegisterDeletion
from tests.factories import PupilFactory, StaffFactory, UserFactory, make_school

D = dt.date
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signed_in(client, school, position, username):
    staff = StaffFactory(user=UserFactory(username=username), school=school, position=position)
    client.force_login(staff.user)
    return staff


@pytest.fixture
def pupil(school):
    pupil = PupilFactory(school=school, legal_forename="Nia", legal_surname="Okafor", year=4)
    Contact.objects.create(
        pupil=pupil, forename="=HYPERLINK(1)", surname="Okafor", relationship="Mother", telephone="07700 900123"
    )
    return pupil


def post_deletion(client, pupil, **data):
    form = {"ground": "home_education", "deleted_on": "2026-11-23", "destination": "", "enquiries": "", **data}
    return client.post(reverse("roll:delete", args=[pupil.pk]), form)


def test_the_office_deletes_from_the_pupil_page(client, school, pupil):
    signed_in(client, school, "office", "office")
    page = client.get(reverse("pupil-detail", args=[pupil.pk])).content.decode()
    assert reverse("roll:delete", args=[pupil.pk]) in page
    response = post_deletion(client, pupil)
    deletion = RegisterDeletion.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("roll:deletion", args=[deletion.pk])
    assert Enrolment.objects.get(pupil=pupil).leaving_date == D(2026, 11, 23)
    notice = client.get(response["Location"]).content.decode()
    assert "notification to the local authority" in notice and "Okafor" in notice and "07700 900123" in notice
    page = client.get(reverse("pupil-detail", args=[pupil.pk])).content.decode()
    assert reverse("roll:delete", args=[pupil.pk]) not in page  # no longer on roll
    assert "Deleted from the admission register" in page


def test_a_refused_deletion_says_why_and_writes_nothing(client, school, pupil):
    signed_in(client, school, "office", "office")
    response = post_deletion(client, pupil, deleted_on="2026-11-20")
    assert response.status_code == 200 and "never backdated" in response.content.decode()
    response = post_deletion(client, pupil, ground="continuous_absence", enquiries="Rang the LA")
    assert "in a row coded G, N or O" in response.content.decode()
    response = post_deletion(client, pupil, ground="")
    assert "This field is required" in response.content.decode()
    assert not RegisterDeletion.objects.exists() and Enrolment.objects.get(pupil=pupil).leaving_date is None


@pytest.mark.parametrize("position", ["class_teacher", "governor", "dsl"])
def test_only_the_roll_keepers_may(client, school, pupil, position):
    signed_in(client, school, position, "someone")
    assert post_deletion(client, pupil).status_code == 403
    assert client.get(reverse("roll:notifications-csv")).status_code == 403
    assert not RegisterDeletion.objects.exists()


def test_another_schools_pupil_is_not_found(client, school, pupil):
    other = make_school(urn="100077", name="Other School", establishment_number="2077")
    signed_in(client, other, "office", "elsewhere")
    assert post_deletion(client, pupil).status_code == 404
    assert not RegisterDeletion.objects.exists()


def test_the_csv_export_and_its_cme_filter(client, school, pupil):
    signed_in(client, school, "office", "office")
    post_deletion(client, pupil)
    response = client.get(reverse("roll:notifications-csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["School", "URN", "LA", "UPN"]
    assert rows[1][3] == pupil.upn and rows[1][12].startswith("Parent has told the school in writing")
    assert rows[1][10].startswith("'=HYPERLINK")  # a formula in a name is written as text
    response = client.get(reverse("roll:notifications-csv") + "?cme=1")
    assert len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) == 1
    listing = client.get(reverse("roll:deletions")).content.decode()
    assert "Okafor, Nia" in listing and "Notified" in listing
