"""The parent portal's child page: every session missed this year in plain words, the calendar,
the letters the school sent (only the family's own); withdrawing a report; the header's name."""

import datetime as dt

import pytest
from django.urls import reverse

from absences.models import AbsenceReport
from absences.services.reports import ReportInput, accept_report, submit_absence_report
from letters.models import LetterTemplate
from letters.services.letterhead import save_letterhead
from letters.services.one_letter import produce_letter
from letters.services.templates import install_starter_templates
from registers.models import Staff
from tests.absences.conftest import key
from tests.factories import StaffFactory, write

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def parent_client(client, family):
    client.force_login(family["parent"])
    return client


def test_the_child_page_lists_every_session_missed_this_year_in_plain_words(parent_client, family, school):
    ada = family["ada"]
    # September's absences are far older than the "last two weeks" the page used to show
    write(school, ada, {(D(2026, 9, 10), "AM"): "I", (D(2026, 9, 10), "PM"): "I", (D(2026, 10, 1), "AM"): "G"})
    write(school, ada, [(D(2026, 11, 20), "AM", "/"), (D(2026, 11, 20), "PM", "L", 5)])
    page = parent_client.get(reverse("absences:child", args=[ada.pk])).content.decode()
    missed = page[page.index('id="missed-heading"') : page.index('id="calendar-heading"')]
    assert missed.count("<tr><td>") == 3
    assert "Thu 10 Sep 2026" in missed and "Ill (authorised absence)" in missed
    assert "Holiday the school did not agree (unauthorised absence)" in missed
    assert "Arrived late" not in missed  # late before the register closed is not a missed session
    # the calendar and its key, in plain words
    assert "Autumn term" in page and 'title="Thu 10 Sep AM: Ill (authorised absence)"' in page
    assert "Arrived late, before the register closed (counts as in school)" in page


def test_the_child_page_shows_no_staff_notes(parent_client, family, school):
    from registers.services import MarkEntry, record_marks
    from tests.factories import SYSTEM

    entry = MarkEntry(family["ada"].pk, D(2026, 9, 10), "AM", "I", comment="Social worker says: sensitive")
    record_marks(school=school, entries=[entry], actor=SYSTEM, source="import", reason="")
    page = parent_client.get(reverse("absences:child", args=[family["ada"].pk])).content.decode()
    assert "Social worker" not in page


def test_letters_the_school_sent_are_in_the_portal_for_that_family_only(
    parent_client, family, other_family, school, settings, tmp_path
):
    settings.PRIVATE_ROOT = str(tmp_path)
    install_starter_templates(school=school)
    save_letterhead(
        school=school,
        user=None,
        address="Oakfield Road\nMiddleton\nMD1 4AB",
        telephone="01632 960 001",
        email="office@oakfield.example.sch.uk",
        signatory_name="Mrs H Whitfield",
        signatory_position="Headteacher",
        footer="Oakfield Primary School",
    )
    officer = StaffFactory(school=school, position=Staff.Position.ATTENDANCE_OFFICER, user__username="officer")
    template = LetterTemplate.objects.filter(school=school).order_by("pk").first()
    ours = produce_letter(template=template, pupil=family["ada"], user=officer.user, on=D(2026, 11, 23))
    theirs = produce_letter(template=template, pupil=other_family["cy"], user=officer.user, on=D(2026, 11, 23))
    page = parent_client.get(reverse("absences:child", args=[family["ada"].pk])).content.decode()
    assert reverse("absences:letter", args=[ours.pk]) in page and ours.subject in page
    assert reverse("absences:letter", args=[theirs.pk]) not in page
    response = parent_client.get(reverse("absences:letter", args=[ours.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # another family's letter, asked for by its id, is refused
    assert parent_client.get(reverse("absences:letter", args=[theirs.pk])).status_code == 404


def _report(family):
    reports, _ = submit_absence_report(
        user=family["parent"],
        pupils=[family["ada"]],
        data=ReportInput(
            start_date=D(2026, 11, 24),
            start_session="AM",
            end_date=D(2026, 11, 24),
            end_session="PM",
            reason="illness",
            description="a cold",
        ),
        submission_key=key(),
    )
    return reports[0]


def test_a_parent_withdraws_a_report_the_office_has_not_acted_on(parent_client, family):
    report = _report(family)
    detail = parent_client.get(reverse("absences:report_detail", args=[report.pk])).content.decode()
    assert "Withdraw this report" in detail
    parent_client.post(reverse("absences:report_withdraw", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == AbsenceReport.Status.WITHDRAWN
    assert (
        reverse("absences:report_detail", args=[report.pk])
        in parent_client.get(reverse("absences:home")).content.decode()
    )


def test_a_report_the_office_accepted_cannot_be_withdrawn(parent_client, family, office):
    report = _report(family)
    accept_report(report=report, user=office.user)
    assert (
        "Withdraw this report"
        not in parent_client.get(reverse("absences:report_detail", args=[report.pk])).content.decode()
    )
    response = parent_client.post(reverse("absences:report_withdraw", args=[report.pk]), follow=True)
    report.refresh_from_db()
    assert report.status == AbsenceReport.Status.ACCEPTED
    assert "can&#x27;t be withdrawn now" in response.content.decode()


def test_another_family_cannot_withdraw_a_report(client, family, other_family):
    report = _report(family)
    client.force_login(other_family["parent"])
    assert client.post(reverse("absences:report_withdraw", args=[report.pk])).status_code == 404
    report.refresh_from_db()
    assert report.status == AbsenceReport.Status.SUBMITTED


def test_the_header_shows_the_parents_name_not_their_username(parent_client, family):
    page = parent_client.get(reverse("absences:home")).content.decode()
    who = page[page.index('<div class="who">') : page.index("</div>", page.index('<div class="who">'))]
    assert "Jo Parent" in who and "parent" not in who.replace("Parent", "")
