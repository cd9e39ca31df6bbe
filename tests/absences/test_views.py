"""The parent portal and the office pages, through the Django test client."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from absences.models import AbsenceReport, ContactAttempt, EmailDelivery, LeaveRequest
from absences.permissions import parent_pupils
from absences.services.leave import LeaveInput, submit_leave_request
from absences.services.reports import ReportInput, submit_absence_report
from registers.models import Contact, Mark
from tests.absences.conftest import key
from tests.factories import PupilFactory, write

D = dt.date
MON, TUE = D(2026, 11, 23), D(2026, 11, 24)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def report_post(children, **overrides):
    data = {
        "submission_key": str(key()),
        "children": [c.pk for c in children],
        "start_date": "2026-11-23",
        "start_session": "AM",
        "end_date": "2026-11-24",
        "end_session": "PM",
        "reason": "illness",
        "description": "Sickness bug",
        "expected_return": "2026-11-25",
    }
    data.update(overrides)
    return data


@pytest.fixture
def parent_client(client, family):
    client.force_login(family["parent"])
    return client


def test_parent_home_explains_attendance_plainly(parent_client, family, school):
    write(school, family["ada"], {(D(2026, 11, 20), "AM"): "/", (D(2026, 11, 20), "PM"): "I"})
    page = parent_client.get(reverse("absences:home")).content.decode()
    assert "Ada Jones" in page and "Ben Jones" in page
    assert "50.0 %" in page and "has missed <strong>1 of 2 sessions</strong>" in page
    assert "A session is a morning or an afternoon" in page
    assert f">{school.name}</a>" in page  # the header names their children's school
    child = parent_client.get(reverse("absences:child", args=[family["ada"].pk])).content.decode()
    assert "Ill (authorised absence)" in child and "In school" in child


def test_report_two_siblings_with_evidence_then_edit(parent_client, family, committed):
    data = report_post([family["ada"], family["ben"]])
    data["evidence"] = [SimpleUploadedFile("note.png", PNG, content_type="image/png")]
    with committed():
        response = parent_client.post(reverse("absences:report_new"), data)
    assert response.status_code == 302
    done = parent_client.get(response["Location"]).content.decode()
    assert "Thank you: your report has been sent" in done and "Ada" in done and "Ben" in done
    assert AbsenceReport.objects.count() == 2 and len(mail.outbox) == 1
    report = AbsenceReport.objects.get(pupil=family["ada"])
    assert report.evidence.count() == 1
    # A resend of the same form (double-click, back and submit again) creates nothing more.
    with committed():
        again = parent_client.post(reverse("absences:report_new"), {**data, "evidence": []})
    assert again.status_code == 302 and AbsenceReport.objects.count() == 2 and len(mail.outbox) == 1

    edit_url = reverse("absences:report_edit", args=[report.pk])
    assert parent_client.get(edit_url).status_code == 200
    changed = {k: v for k, v in report_post([]).items() if k != "children"}
    changed.update(end_date="2026-11-25", description="Still poorly")
    assert parent_client.post(edit_url, changed).status_code == 302
    report.refresh_from_db()
    assert report.end_date == D(2026, 11, 25) and report.description == "Still poorly"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"start_date": "2026-11-28", "end_date": "2026-11-28"}, "Saturday 28 November 2026 is not a school day"),
        ({"start_date": "2026-11-24", "end_date": "2026-11-23"}, "The last day is before the first day"),
        ({"start_date": "not a date"}, "Enter a valid date"),
        ({"reason": "other", "description": ""}, "Please tell us a little about the reason"),
        ({"children": []}, "This field is required"),
    ],
)
def test_bad_report_input_gets_a_plain_english_error(parent_client, family, overrides, message):
    data = report_post([family["ada"]])
    data.update(overrides)
    response = parent_client.post(reverse("absences:report_new"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AbsenceReport.objects.exists()


def test_a_text_file_named_pdf_is_refused(parent_client, family):
    data = report_post([family["ada"]])
    data["evidence"] = [SimpleUploadedFile("doctor.pdf", b"just some text, not a PDF", content_type="application/pdf")]
    page = parent_client.post(reverse("absences:report_new"), data).content.decode()
    assert "is not a PDF, JPEG, PNG or HEIC file" in page and not AbsenceReport.objects.exists()


def test_leave_request_in_the_past_is_refused_and_a_future_one_is_sent(parent_client, family):
    url = reverse("absences:leave_new")
    data = {
        "submission_key": str(key()),
        "children": [family["ada"].pk],
        "circumstance": "exceptional",
        "start_date": "2026-11-20",
        "start_session": "AM",
        "end_date": "2026-11-20",
        "end_session": "PM",
        "reason": "Funeral",
    }
    assert "only be agreed in advance" in parent_client.post(url, data).content.decode()
    data.update(start_date="2026-12-07", end_date="2026-12-08")
    response = parent_client.post(url, data)
    leave = LeaveRequest.objects.get()
    assert response["Location"] == reverse("absences:leave_detail", args=[leave.pk])
    assert "Waiting for the headteacher" in parent_client.get(response["Location"]).content.decode()


def test_a_school_user_sees_no_parent_portal(client, office):
    client.force_login(office.user)
    assert client.get(reverse("absences:home")).status_code == 404


def test_signed_out_visitors_are_sent_to_the_parent_sign_in(client, family):
    response = client.get(reverse("absences:report_new"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("absences:sign_in"))


# --- the office ---------------------------------------------------------------------------


def submitted(family, who=("ada",), data=None):
    reports, _ = submit_absence_report(
        user=family["parent"],
        pupils=[family[w] for w in who],
        data=data or ReportInput(MON, "AM", TUE, "PM", "illness", "Sickness bug"),
        submission_key=key(),
    )
    return reports


def test_office_inbox_accept_query_decline(client, family, office):
    ada, ben = submitted(family, ("ada", "ben"))
    client.force_login(office.user)
    page = client.get(reverse("absences:office_inbox")).content.decode()
    assert "Ada Jones" in page and "Sickness bug" in page
    accept = client.post(reverse("absences:office_report", args=[ada.pk]), {"action": "accept", f"r{ada.pk}-code": "I"})
    assert accept.status_code == 302
    assert sorted(Mark.objects.filter(pupil=family["ada"]).values_list("code__code", flat=True)) == ["I"] * 4
    client.post(reverse("absences:office_report", args=[ben.pk]), {"action": "query", "message": "Is Ben ill too?"})
    ben.refresh_from_db()
    assert ben.status == AbsenceReport.Status.QUERIED and ben.office_message == "Is Ben ill too?"
    response = client.post(reverse("absences:office_report", args=[ben.pk]), {"action": "decline", "message": ""})
    assert "Please give the reason" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("code", ["ZZ", "/", ""])
def test_office_accepting_with_a_code_that_is_not_offered_records_nothing(client, family, office, code):
    [ada] = submitted(family, ("ada",))
    client.force_login(office.user)
    response = client.post(
        reverse("absences:office_report", args=[ada.pk]), {"action": "accept", f"r{ada.pk}-code": code}
    )
    ada.refresh_from_db()
    assert ada.status == AbsenceReport.Status.SUBMITTED and not Mark.objects.filter(pupil=family["ada"]).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Ada Jones: nothing was recorded." in page


def test_head_sees_facts_and_grants_leave(client, family, head):
    [leave], _ = submit_leave_request(
        user=family["parent"],
        pupils=[family["ada"]],
        data=LeaveInput(D(2026, 12, 7), "AM", D(2026, 12, 8), "PM", "interview", "Secondary school interview"),
        submission_key=key(),
    )
    client.force_login(head.user)
    url = reverse("absences:office_leave", args=[leave.pk])
    page = client.get(url).content.decode()
    assert "the school&#x27;s policy asks for 42" in page and "The request covers 4 sessions" in page
    response = client.post(
        url,
        {
            "action": "grant",
            "start_date": "2026-12-07",
            "start_session": "AM",
            "end_date": "2026-12-07",
            "end_session": "PM",
            "reason": "Good luck!",
        },
    )
    assert response.status_code == 302
    leave.refresh_from_db()
    assert leave.status == LeaveRequest.Status.GRANTED and leave.code == "J1"
    assert Mark.objects.filter(pupil=family["ada"], code__code="J1").count() == 2


def test_office_cannot_grant_leave_unless_named(client, family, office):
    [leave], _ = submit_leave_request(
        user=family["parent"],
        pupils=[family["ada"]],
        data=LeaveInput(D(2026, 12, 7), "AM", D(2026, 12, 8), "PM", "exceptional", "Funeral"),
        submission_key=key(),
    )
    client.force_login(office.user)
    url = reverse("absences:office_leave", args=[leave.pk])
    assert "Grant leave" not in client.get(url).content.decode()
    client.post(url, {"action": "refuse", "reason": "No"})
    leave.refresh_from_db()
    assert leave.status == LeaveRequest.Status.SUBMITTED


def test_follow_up_page_logs_attempts_and_invites(client, family, office, school, committed):
    write(school, family["ada"], {(MON, "AM"): "N"})
    client.force_login(office.user)
    page = client.get(reverse("absences:office_follow_up")).content.decode()
    assert "Ada Jones" in page and "Day 1" in page and "Call contacts in priority order" in page
    contact = family["ada"].contacts.first()
    response = client.post(
        reverse("absences:office_pupil", args=[family["ada"].pk]),
        {
            "action": "call",
            "contact": contact.pk,
            "channel": "phone",
            "outcome": "reason_given",
            "notes": "Mum says a migraine",
            "absence_date": "2026-11-23",
        },
    )
    assert response.status_code == 302
    assert ContactAttempt.objects.get().notes == "Mum says a migraine"
    new = Contact.objects.create(
        pupil=family["ada"], forename="Sam", surname="Jones", relationship="Father", email="sam@example.org"
    )
    with committed():
        client.post(reverse("absences:office_invite", args=[new.pk]))
    assert EmailDelivery.objects.filter(to="sam@example.org").exists()
    link = re.search(r"http://testserver(/parents/invite/\S+/)", mail.outbox[-1].body).group(1)
    client.logout()
    assert "Choose a password" in client.get(link).content.decode()
    response = client.post(
        link, {"new_password1": "purple monkey dishwasher 9", "new_password2": "purple monkey dishwasher 9"}
    )
    assert response["Location"] == reverse("absences:home")
    assert "Ada Jones" in client.get(reverse("absences:home")).content.decode()
    assert client.get(link).status_code == 404  # the link works once


def test_overdue_n_page_resolves_with_a_reason(client, family, office, school):
    write(school, family["ada"], {(D(2026, 11, 12), "AM"): "N"})
    client.force_login(office.user)
    page = client.get(reverse("absences:office_overdue")).content.decode()
    assert "nobody has contacted the family yet" in page
    mark = Mark.objects.get()
    response = client.post(reverse("absences:office_overdue"), {"marks": [mark.pk], "code": "O", "reason": ""})
    assert "This field is required" in response.content.decode()
    client.post(reverse("absences:office_overdue"), {"marks": [mark.pk], "code": "O", "reason": "No reply to 3 calls"})
    mark.refresh_from_db()
    assert mark.code.code == "O" and mark.reason == "No reply to 3 calls"


def test_password_reset_sends_a_link(client, family):
    client.post(reverse("absences:password_reset"), {"email": family["parent"].email})
    assert "/parents/password-reset/" in mail.outbox[-1].body


def test_another_pupil_is_not_affected(family, school):
    PupilFactory(school=school)
    assert parent_pupils(family["parent"]).count() == 2
