"""Adversarial access tests: a parent can never see or change another family's data, through
the page, the URL, an id in a form, a file link; staff see only their own school."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from absences.models import AbsenceReport, ContactAttempt, EvidenceFile, LeaveRequest
from absences.services.errors import AbsenceError
from absences.services.follow_up import resolve_n_marks
from absences.services.leave import LeaveInput, submit_leave_request
from absences.services.reports import ReportInput, submit_absence_report
from registers.models import Contact, Mark, Staff
from tests.absences.conftest import key, make_parent
from tests.factories import PupilFactory, StaffFactory, UserFactory, make_school, write

D = dt.date
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture
def world(family, other_family, office, head, teacher, school):
    """The other family's report, leave request and evidence; staff of another school."""
    cy = other_family["cy"]
    [report], _ = submit_absence_report(
        user=other_family["parent"],
        pupils=[cy],
        data=ReportInput(D(2026, 11, 23), "AM", D(2026, 11, 23), "PM", "medical", "Hospital"),
        submission_key=key(),
        files=[SimpleUploadedFile("letter.png", PNG)],
    )
    [leave], _ = submit_leave_request(
        user=other_family["parent"],
        pupils=[cy],
        data=LeaveInput(D(2026, 12, 7), "AM", D(2026, 12, 7), "PM", "interview", "Interview"),
        submission_key=key(),
        files=[SimpleUploadedFile("invite.png", PNG)],
    )
    other_school = make_school(urn="100099", name="Birch Academy", establishment_number="2099")
    stranger_office = StaffFactory(
        user=UserFactory(username="birch-office"), school=other_school, position=Staff.Position.HEADTEACHER
    )
    return {
        "report": report,
        "leave": leave,
        "report_file": report.evidence.get(),
        "leave_file": leave.evidence.get(),
        "stranger_office": stranger_office,
    }


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def parent_urls(world, other_family):
    return [
        reverse("absences:child", args=[other_family["cy"].pk]),
        reverse("absences:report_detail", args=[world["report"].pk]),
        reverse("absences:report_edit", args=[world["report"].pk]),
        reverse("absences:report_done", args=[world["report"].submission_key]),
        reverse("absences:leave_detail", args=[world["leave"].pk]),
        reverse("absences:evidence", args=[world["report_file"].pk]),
        reverse("absences:evidence", args=[world["leave_file"].pk]),
    ]


def test_another_family_gets_404_for_every_id(world, family, other_family):
    parent = client_for(family["parent"])
    for url in parent_urls(world, other_family):
        assert parent.get(url).status_code == 404, url
    # and the owners can see them (so the 404s are not just broken pages)
    owner = client_for(other_family["parent"])
    for url in parent_urls(world, other_family):
        assert owner.get(url).status_code == 200, url


def test_another_family_cannot_change_a_report_by_posting_to_its_url(world, family):
    parent = client_for(family["parent"])
    report = world["report"]
    data = {
        "submission_key": str(report.submission_key),
        "start_date": "2026-11-23",
        "start_session": "AM",
        "end_date": "2026-11-27",
        "end_session": "PM",
        "reason": "illness",
        "description": "hijacked",
    }
    assert parent.post(reverse("absences:report_edit", args=[report.pk]), data).status_code == 404
    report.refresh_from_db()
    assert report.description == "Hospital" and report.end_date == D(2026, 11, 23)


def test_a_child_id_in_the_form_that_is_not_theirs_is_refused(world, family, other_family):
    parent = client_for(family["parent"])
    for url, extra in (
        (reverse("absences:report_new"), {"reason": "illness"}),
        (reverse("absences:leave_new"), {"circumstance": "exceptional", "reason": "x"}),
    ):
        before = (AbsenceReport.objects.count(), LeaveRequest.objects.count())
        data = {
            "submission_key": str(key()),
            "children": [family["ada"].pk, other_family["cy"].pk],
            "start_date": "2026-12-07",
            "start_session": "AM",
            "end_date": "2026-12-07",
            "end_session": "PM",
            **extra,
        }
        response = parent.post(url, data)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert (AbsenceReport.objects.count(), LeaveRequest.objects.count()) == before


def test_reusing_another_familys_submission_key_does_not_reveal_their_report(world, family):
    parent = client_for(family["parent"])
    data = {
        "submission_key": str(world["report"].submission_key),
        "children": [family["ada"].pk],
        "start_date": "2026-11-23",
        "start_session": "AM",
        "end_date": "2026-11-23",
        "end_session": "PM",
        "reason": "illness",
    }
    response = parent.post(reverse("absences:report_new"), data)
    # The key belongs to someone else's submission: the database refuses a second report with it
    # for the same child only, so this parent's own report is saved and theirs is untouched.
    assert response.status_code == 302
    mine = AbsenceReport.objects.get(pupil=family["ada"])
    assert response["Location"] == reverse("absences:report_done", args=[mine.submission_key])
    page = parent.get(response["Location"]).content.decode()
    assert "Cy Smith" not in page and ">Cy<" not in page  # not a bare "Cy": random tokens in the page contain it


def test_a_parent_query_string_cannot_preselect_another_child(world, family, other_family):
    page = client_for(family["parent"]).get(reverse("absences:report_new") + f"?child={other_family['cy'].pk}")
    assert "Cy Smith" not in page.content.decode()


def test_parents_and_teachers_cannot_open_office_pages(world, family, teacher):
    urls = [
        reverse("absences:office_inbox"),
        reverse("absences:office_leave_list"),
        reverse("absences:office_leave", args=[world["leave"].pk]),
        reverse("absences:office_follow_up"),
        reverse("absences:office_pupil", args=[world["report"].pupil_id]),
        reverse("absences:office_overdue"),
    ]
    for user in (family["parent"], teacher.user):
        c = client_for(user)
        for url in urls:
            assert c.get(url).status_code == 403, (user, url)
        assert (
            c.post(reverse("absences:office_report", args=[world["report"].pk]), {"action": "accept"}).status_code
            == 403
        )
    assert not Mark.objects.exists()
    # a teacher cannot download evidence either
    assert client_for(teacher.user).get(reverse("absences:evidence", args=[world["report_file"].pk])).status_code == 404


def test_staff_of_another_school_get_404_for_every_id(world, other_family):
    c = client_for(world["stranger_office"].user)
    contact = other_family["cy"].contacts.first()
    for url in (
        reverse("absences:office_leave", args=[world["leave"].pk]),
        reverse("absences:office_pupil", args=[other_family["cy"].pk]),
        reverse("absences:evidence", args=[world["report_file"].pk]),
    ):
        assert c.get(url).status_code == 404, url
    assert c.post(reverse("absences:office_report", args=[world["report"].pk]), {"action": "accept"}).status_code == 404
    assert c.post(reverse("absences:office_invite", args=[contact.pk])).status_code == 404
    assert (
        c.post(
            reverse("absences:office_leave", args=[world["leave"].pk]), {"action": "refuse", "reason": "x"}
        ).status_code
        == 404
    )
    assert world["report"].pupil.school.name not in c.get(reverse("absences:office_inbox")).content.decode()


def test_office_cannot_log_an_attempt_against_another_pupils_contact(world, family, other_family, office):
    c = client_for(office.user)
    response = c.post(
        reverse("absences:office_pupil", args=[family["ada"].pk]),
        {
            "action": "call",
            "contact": other_family["cy"].contacts.first().pk,
            "channel": "phone",
            "outcome": "no_answer",
            "absence_date": "2026-11-23",
        },
    )
    assert response.status_code == 200 and not ContactAttempt.objects.exists()


def test_resolving_n_ignores_marks_of_another_school(world, other_family, school, office):
    write(school, other_family["cy"], {(D(2026, 11, 12), "AM"): "N"})
    mark = Mark.objects.get()
    with pytest.raises(AbsenceError):
        resolve_n_marks(
            school=world["stranger_office"].school,
            user=world["stranger_office"].user,
            mark_ids=[mark.pk],
            code="O",
            reason="x",
        )
    mark.refresh_from_db()
    assert mark.code.code == "N"


def test_signed_out_visitors_see_nothing(world, client):
    for url in [*parent_urls(world, {"cy": world["report"].pupil}), reverse("absences:home")]:
        response = client.get(url)
        assert response.status_code == 302, url


def test_evidence_is_served_only_as_a_download_with_its_sniffed_type(world, other_family):
    response = client_for(other_family["parent"]).get(reverse("absences:evidence", args=[world["report_file"].pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PNG
    assert EvidenceFile.objects.count() == 2


def test_csrf_is_enforced_on_parent_forms(family):
    c = Client(enforce_csrf_checks=True)
    c.force_login(family["parent"])
    data = {
        "submission_key": str(key()),
        "children": [family["ada"].pk],
        "start_date": "2026-11-23",
        "start_session": "AM",
        "end_date": "2026-11-23",
        "end_session": "PM",
        "reason": "illness",
    }
    assert c.post(reverse("absences:report_new"), data).status_code == 403
    assert not AbsenceReport.objects.exists()


def test_parent_forms_are_rate_limited(family):
    c = client_for(family["parent"])
    codes = [c.post(reverse("absences:report_new"), {"reason": "illness"}).status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    assert "Please wait a few minutes" in c.post(reverse("absences:report_new"), {}).content.decode()
    assert c.get(reverse("absences:report_new")).status_code == 200  # reading is never limited


@pytest.mark.parametrize("child", ["\u00b2", "1" + "0" * 30, "abc"])
def test_a_child_query_that_is_not_an_id_is_ignored_not_a_server_error(family, child):
    response = client_for(family["parent"]).get(reverse("absences:report_new"), {"child": child})
    assert response.status_code == 200


def test_contact_without_parental_responsibility_sees_nothing(school):
    child = PupilFactory(school=school)
    neighbour = make_parent(school, "neighbour", [child], responsibility=False)
    c = client_for(neighbour)
    assert c.get(reverse("absences:home")).status_code == 404
    assert c.get(reverse("absences:child", args=[child.pk])).status_code == 404


def test_unlinking_a_contact_removes_access_at_once(world, family):
    Contact.objects.filter(user=family["parent"], pupil=family["ben"]).update(user=None)
    c = client_for(family["parent"])
    assert c.get(reverse("absences:child", args=[family["ben"].pk])).status_code == 404
    assert c.get(reverse("absences:child", args=[family["ada"].pk])).status_code == 200


def test_a_named_delegate_reaches_leave_pages_but_not_the_office_inbox(world, teacher, school):
    from absences.follow_up_presets import policy_for

    policy_for(school).leave_deciders.add(teacher)
    c = client_for(teacher.user)
    assert c.get(reverse("absences:office_leave", args=[world["leave"].pk])).status_code == 200
    assert c.get(reverse("absences:office_inbox")).status_code == 403
