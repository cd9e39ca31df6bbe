"""Deleting a pupil's name from the admission register: the ground and date recorded, never
backdated, the enquiries for the children-missing-education grounds, the 20-school-day ground met on
the record, and what the local authority is told."""

import datetime as dt

import pytest

from registers.leaving import DeletionRefused, continuous_absence_days, csv_row, delete_from_register, notifications
from registers.models import Contact, Enrolment, Ground, SchoolDay
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

D = dt.date
TODAY = D(2026, 11, 23)


@pytest.fixture
def office(school):
    return StaffFactory(user=UserFactory(username="office"), school=school, position="office")


@pytest.fixture
def pupil(school):
    pupil = PupilFactory(school=school, legal_forename="Nia", legal_surname="Okafor", year=4)
    Contact.objects.create(
        pupil=pupil,
        priority=1,
        title="Ms",
        forename="Grace",
        surname="Okafor",
        relationship="Mother",
        telephone="07700 900123",
        email="grace@example.org",
        address="1 Elm Road\nBristol",
        postcode="BS1 4AA",
    )
    return pupil


def delete(pupil, office, **kwargs):
    args = {
        "pupil": pupil,
        "ground": Ground.OTHER_SCHOOL,
        "deleted_on": TODAY,
        "user": office.user,
        "recorded_by_name": "Mrs Priya Shah",
        "recorded_by_position": "Office",
        "destination": "Hillside Academy (URN 100009)",
        "today": TODAY,
    }
    return delete_from_register(**{**args, **kwargs})


def days_before(school, day, n):
    return sorted(
        SchoolDay.objects.filter(school=school, date__lte=day).order_by("-date").values_list("date", flat=True)[:n]
    )


def test_records_ground_date_and_ends_time_on_roll(pupil, office):
    deletion = delete(pupil, office)
    enrolment = Enrolment.objects.get(pupil=pupil)
    assert enrolment.leaving_date == TODAY and deletion.enrolment == enrolment
    assert (deletion.ground, deletion.deleted_on, deletion.recorded_by) == (Ground.OTHER_SCHOOL, TODAY, office.user)
    last = enrolment.history.latest()
    assert last.history_change_reason.startswith("Deleted from the admission register")
    assert last.history_user == office.user


def test_never_backdated(pupil, office):
    with pytest.raises(DeletionRefused, match="never backdated"):
        delete(pupil, office, deleted_on=TODAY - dt.timedelta(days=1))
    assert Enrolment.objects.get(pupil=pupil).leaving_date is None


def test_not_before_the_last_mark(pupil, office, school):
    write(school, pupil, {(D(2026, 11, 25), "AM"): "/"})
    with pytest.raises(DeletionRefused, match="marks up to 25 Nov 2026"):
        delete(pupil, office)


def test_a_pupil_not_on_roll_cannot_be_deleted_again(pupil, office):
    delete(pupil, office)
    with pytest.raises(DeletionRefused, match="not on roll"):
        delete(pupil, office, deleted_on=TODAY + dt.timedelta(days=1))


def test_another_school_needs_the_destination(pupil, office):
    with pytest.raises(DeletionRefused, match="Name the school"):
        delete(pupil, office, destination=" ")


@pytest.mark.parametrize("ground", [Ground.CONTINUOUS_ABSENCE, Ground.LEAVE_NOT_RETURNED])
def test_children_missing_education_grounds_need_the_enquiries(pupil, office, ground):
    with pytest.raises(DeletionRefused, match="enquiries"):
        delete(pupil, office, ground=ground, enquiries="")


def test_twenty_school_days_of_g_n_o(pupil, office, school):
    days = days_before(school, D(2026, 11, 20), 20)
    assert days[0] == D(2026, 10, 19)  # across the October half-term: 20 school days, 33 calendar days
    marks = {(d, s): "GNO"[i % 3] for i, d in enumerate(days) for s in ("AM", "PM")}
    marks[(days[0], "PM")] = "L"  # late counts as present: it breaks the run
    write(school, pupil, marks)
    assert continuous_absence_days(pupil, TODAY) == 19
    args = {"ground": Ground.CONTINUOUS_ABSENCE, "destination": "", "enquiries": "Joint enquiries with the LA CME team"}
    with pytest.raises(DeletionRefused, match="19 school days in a row"):
        delete(pupil, office, **args)
    write(school, pupil, {(days[0], "PM"): "O"}, reason="Arrived after the register closed? No: not seen at all")
    assert continuous_absence_days(pupil, TODAY) == 20
    deletion = delete(pupil, office, **args)
    assert deletion.is_cme and deletion.notification["children_missing_education"] is True


def test_the_notification_is_what_the_la_is_told(pupil, office, school):
    deletion = delete(pupil, office)
    n = deletion.notification
    assert (n["upn"], n["legal_surname"], n["date_of_birth"], n["ground"]) == (
        pupil.upn,
        "Okafor",
        pupil.date_of_birth.isoformat(),
        "other_school",
    )
    assert n["address"] == "1 Elm Road\nBristol\nBS1 4AA"
    assert n["parents"][0]["telephone"] == "07700 900123" and n["parents"][0]["name"] == "Ms Grace Okafor"
    assert n["destination"] == "Hillside Academy (URN 100009)"
    # Frozen: a later change to the contact does not rewrite what was sent.
    Contact.objects.filter(pupil=pupil).update(telephone="0000")
    deletion.refresh_from_db()
    assert deletion.notification["parents"][0]["telephone"] == "07700 900123"
    row = csv_row(deletion)
    assert (
        "Okafor" in row and "1 Elm Road, Bristol, BS1 4AA" in row and "Grace" in row[10] and "07700 900123" in row[11]
    )
    assert list(notifications(school)) == [deletion]
    assert list(notifications(school, cme_only=True)) == []


def test_a_standard_transition_is_not_notified(pupil, office, school):
    deletion = delete(pupil, office, ground=Ground.FINAL_YEAR, destination="")
    assert deletion.notify_la is False
    assert list(notifications(school)) == []


def test_an_unknown_ground_is_refused(pupil, office):
    with pytest.raises(DeletionRefused, match="grounds"):
        delete(pupil, office, ground="fell_out_with_the_head")
