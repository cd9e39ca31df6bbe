"""Domain tests on the real 2026/27 calendar (today is Monday 23 November 2026, 09:30)."""

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from absences import emails
from absences.follow_up_presets import apply_preset, policy_for
from absences.models import AbsenceReport, AssessmentPeriod, ContactAttempt, EmailDelivery, LeaveRequest
from absences.permissions import parent_pupils
from absences.selectors.follow_up import deletion_ground_prompts, illness_prompts, overdue_n, unexplained_absences
from absences.selectors.leave import leave_facts
from absences.selectors.school_days import school_days_before
from absences.services.decisions import REASON_MAX
from absences.services.errors import AbsenceError
from absences.services.follow_up import log_contact_attempt, resolve_n_marks
from absences.services.leave import (
    LeaveInput,
    grant_leave,
    record_refused_leave_taken,
    refuse_leave,
    submit_leave_request,
)
from absences.services.parent_accounts import accept_invite, invite_contact
from absences.services.reports import (
    ReportInput,
    accept_report,
    decline_report,
    edit_absence_report,
    query_report,
    submit_absence_report,
)
from absences.services.submissions import check_evidence
from registers.models import Mark
from tests.absences.conftest import key
from tests.factories import PupilFactory, write

D = dt.date
MON, TUE, WED = D(2026, 11, 23), D(2026, 11, 24), D(2026, 11, 25)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"


def illness(start=MON, end=TUE, **kw):
    return ReportInput(start_date=start, start_session="AM", end_date=end, end_session="PM", reason="illness", **kw)


def codes(pupil):
    return {(m.date, m.session): m.code.code for m in Mark.objects.filter(pupil=pupil).select_related("code")}


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


# --- reports ------------------------------------------------------------------------------


def test_two_siblings_one_submission_and_a_resend_creates_nothing(family, committed):
    k = key()
    with committed():
        reports, created = submit_absence_report(
            user=family["parent"], pupils=[family["ada"], family["ben"]], data=illness(), submission_key=k
        )
    assert created and len(reports) == 2
    assert {r.pupil for r in reports} == {family["ada"], family["ben"]}
    assert len(mail.outbox) == 1 and "Ada" in mail.outbox[0].body and "Ben" in mail.outbox[0].body
    with committed():
        again, created = submit_absence_report(
            user=family["parent"], pupils=[family["ada"], family["ben"]], data=illness(), submission_key=k
        )
    assert not created and {r.pk for r in again} == {r.pk for r in reports}
    assert AbsenceReport.objects.count() == 2 and len(mail.outbox) == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (illness(start=D(2026, 11, 28), end=D(2026, 11, 28)), "Saturday 28 November 2026 is not a school day"),
        (illness(start=TUE, end=MON), "The last day is before the first day"),
        (illness(start=D(2026, 10, 27), end=D(2026, 10, 27)), "half-term holiday"),
        (illness(start=D(2026, 9, 14), end=D(2026, 9, 14)), "more than 31 days ago"),
        (ReportInput(MON, "AM", MON, "PM", "other", ""), "tell us a little about the reason"),
    ],
)
def test_bad_reports_are_refused_in_plain_english(family, data, message):
    with pytest.raises(AbsenceError, match=message):
        submit_absence_report(user=family["parent"], pupils=[family["ada"]], data=data, submission_key=key())
    assert not AbsenceReport.objects.exists()


def test_a_parent_cannot_report_for_another_familys_child(family, other_family):
    with pytest.raises(AbsenceError, match="your own children"):
        submit_absence_report(user=family["parent"], pupils=[other_family["cy"]], data=illness(), submission_key=key())
    with pytest.raises(AbsenceError, match="your own children"):
        submit_absence_report(
            user=family["parent"],
            pupils=[family["ada"].pk, other_family["cy"].pk],
            data=illness(),
            submission_key=key(),
        )
    assert not AbsenceReport.objects.exists()


def test_contact_without_parental_responsibility_cannot_report(school):
    from tests.absences.conftest import make_parent

    child = PupilFactory(school=school)
    grandparent = make_parent(school, "gran", [child], responsibility=False)
    with pytest.raises(AbsenceError):
        submit_absence_report(user=grandparent, pupils=[child], data=illness(), submission_key=key())


def test_accept_writes_codes_audited_with_the_report_and_pre_enters_future_sessions(family, office):
    ada = family["ada"]
    write(office.school, ada, {(MON, "AM"): "N"})
    [report], _ = submit_absence_report(
        user=family["parent"], pupils=[ada], data=illness(description="Temperature"), submission_key=key()
    )
    accept_report(report=report, user=office.user)
    assert codes(ada) == {(MON, "AM"): "I", (MON, "PM"): "I", (TUE, "AM"): "I", (TUE, "PM"): "I"}
    amended = Mark.objects.get(pupil=ada, date=MON, session="AM")
    assert amended.version == 2 and amended.source == Mark.Source.PARENT_REPORT
    assert amended.reason.startswith(f"Absence report #{report.pk} accepted: Illness")
    assert amended.recorded_by_name == "Mrs Priya Shah" and amended.recorded_by_position == "Office"
    # The clock is frozen (conftest), so both history rows have the same history_date: order by
    # history_id too, or the database may return them in either order.
    history = list(
        Mark.history.filter(id=amended.pk).order_by("history_date", "history_id").values_list("code__code", flat=True)
    )
    assert history == ["N", "I"]
    report.refresh_from_db()
    assert report.status == AbsenceReport.Status.ACCEPTED and report.code == "I"
    assert report.history.first().history_change_reason == "accepted with code I"


def test_accept_leaves_sessions_where_the_pupil_was_present(family, office):
    ada = family["ada"]
    write(office.school, ada, {(MON, "AM"): "/"})
    [report], _ = submit_absence_report(
        user=family["parent"], pupils=[ada], data=illness(end=MON), submission_key=key()
    )
    accept_report(report=report, user=office.user)
    assert codes(ada) == {(MON, "AM"): "/", (MON, "PM"): "I"}


def test_medical_appointment_and_religious_observance_codes(family, office):
    ada, ben = family["ada"], family["ben"]
    [m], _ = submit_absence_report(
        user=family["parent"],
        pupils=[ada],
        data=ReportInput(WED, "AM", WED, "AM", "medical", "Dentist"),
        submission_key=key(),
    )
    [r], _ = submit_absence_report(
        user=family["parent"],
        pupils=[ben],
        data=ReportInput(WED, "AM", WED, "PM", "religious", ""),
        submission_key=key(),
    )
    accept_report(report=m, user=office.user)
    accept_report(report=r, user=office.user)
    assert codes(ada) == {(WED, "AM"): "M"}
    assert codes(ben) == {(WED, "AM"): "R", (WED, "PM"): "R"}


def test_other_reason_needs_the_office_to_choose_a_code(family, office):
    [report], _ = submit_absence_report(
        user=family["parent"],
        pupils=[family["ada"]],
        data=ReportInput(MON, "AM", MON, "PM", "other", "Funeral"),
        submission_key=key(),
    )
    with pytest.raises(AbsenceError, match="choose the code"):
        accept_report(report=report, user=office.user)
    accept_report(report=report, user=office.user, code="C")
    assert set(codes(family["ada"]).values()) == {"C"}


def test_only_the_office_of_the_school_can_decide(family, teacher):
    [report], _ = submit_absence_report(
        user=family["parent"], pupils=[family["ada"]], data=illness(), submission_key=key()
    )
    for user in (teacher.user, family["parent"]):
        with pytest.raises(PermissionDenied):
            accept_report(report=report, user=user)
    assert not Mark.objects.exists()


def test_edit_until_acted_on_and_query_returns_to_the_office(family, office, committed):
    [report], _ = submit_absence_report(
        user=family["parent"], pupils=[family["ada"]], data=illness(), submission_key=key()
    )
    with committed():
        query_report(report=report, user=office.user, message="Is Ada back on Wednesday?")
    report.refresh_from_db()
    assert report.status == AbsenceReport.Status.QUERIED
    assert "Is Ada back on Wednesday?" in mail.outbox[-1].body
    edit_absence_report(report=report, user=family["parent"], data=illness(end=WED))
    report.refresh_from_db()
    assert report.status == AbsenceReport.Status.SUBMITTED and report.end_date == WED
    with committed():
        decline_report(report=report, user=office.user, reason="Ada was seen in school on Monday.")
    with pytest.raises(AbsenceError, match="already dealt with"):
        edit_absence_report(report=report, user=family["parent"], data=illness())
    with pytest.raises(AbsenceError, match="already"):
        accept_report(report=report, user=office.user)
    assert "Ada was seen in school" in mail.outbox[-1].body
    assert [h.history_change_reason for h in report.history.order_by("history_date", "history_id")] == [
        "reported by parent",
        "queried by the office",
        "changed by parent",
        "declined by the office",
    ]


# --- e-mail ---------------------------------------------------------------------------------


def test_a_failing_mail_server_delays_the_email_not_the_report(family, settings, committed):
    settings.EMAIL_BACKEND = "tests.absences.test_services.FailingBackend"
    with committed():
        reports, created = submit_absence_report(
            user=family["parent"], pupils=[family["ada"]], data=illness(), submission_key=key()
        )
    assert created and AbsenceReport.objects.count() == 1
    delivery = EmailDelivery.objects.get()
    assert delivery.status == EmailDelivery.Status.FAILED and "mail server down" in delivery.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert emails.retry_failed() == 1
    delivery.refresh_from_db()
    assert delivery.status == EmailDelivery.Status.SENT and delivery.attempts == 2
    assert emails.retry_failed() == 0 and len(mail.outbox) == 1


# --- evidence -------------------------------------------------------------------------------


def test_evidence_is_checked_by_content_and_stored_privately(family, settings):
    png = SimpleUploadedFile("note.png", PNG, content_type="image/png")
    pdf = SimpleUploadedFile("letter.PDF", PDF, content_type="application/pdf")
    [a, b], _ = submit_absence_report(
        user=family["parent"],
        pupils=[family["ada"], family["ben"]],
        data=illness(),
        submission_key=key(),
        files=[png, pdf],
    )
    assert [e.content_type for e in a.evidence.all()] == ["image/png", "application/pdf"]
    stored = a.evidence.first()
    assert stored.file.name.startswith("evidence/") and "note" not in stored.file.name
    assert (settings.PRIVATE_ROOT / stored.file.name).read_bytes() == PNG
    assert b.evidence.first().file.name == stored.file.name


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("sick.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf"), "not a PDF"),
        (SimpleUploadedFile("x.png", b"<html><script>alert(1)</script>", content_type="image/png"), "not a PDF"),
        (SimpleUploadedFile("big.png", PNG + b"\x00" * (2 * 1024 * 1024), content_type="image/png"), "up to 1 MB"),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_saved(family, upload, message):
    policy = policy_for(family["ada"].school)
    policy.max_evidence_mb = 1
    policy.save()
    with pytest.raises(AbsenceError, match=message):
        submit_absence_report(
            user=family["parent"], pupils=[family["ada"]], data=illness(), submission_key=key(), files=[upload]
        )
    assert not AbsenceReport.objects.exists()


def test_heic_is_accepted():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    upload = SimpleUploadedFile("photo.heic", heic)
    assert check_evidence(upload, max_mb=10) == "image/heic"
    assert upload.read() == heic  # the file is rewound after sniffing
    assert isinstance(io.BytesIO(heic), io.BytesIO)


# --- leave of absence ---------------------------------------------------------------------


def leave(start, end, circumstance="exceptional", ss="AM", es="PM"):
    return LeaveInput(start, ss, end, es, circumstance, "Grandmother's funeral in Lagos")


DEC7, DEC8 = D(2026, 12, 7), D(2026, 12, 8)


def submit_leave(family, start=DEC7, end=DEC8, circumstance="exceptional", who="ada"):
    [request], _ = submit_leave_request(
        user=family["parent"], pupils=[family[who]], data=leave(start, end, circumstance), submission_key=key()
    )
    return request


@pytest.mark.parametrize(
    "start, end, message",
    [
        (D(2026, 11, 20), D(2026, 11, 20), "only be agreed in advance"),
        (MON, MON, "only be agreed in advance"),
        (D(2026, 12, 8), D(2026, 12, 7), "before the first day"),
        (D(2026, 12, 19), D(2026, 12, 21), "not a school day"),
    ],
)
def test_leave_request_dates_are_checked(family, start, end, message):
    with pytest.raises(AbsenceError, match=message):
        submit_leave(family, start, end)


@pytest.mark.parametrize(
    "circumstance, code",
    [("exceptional", "C"), ("performance", "C1"), ("interview", "J1"), ("study", "S"), ("part_time", "C2")],
)
def test_granting_leave_writes_the_2024_code(family, head, circumstance, code, committed):
    request = submit_leave(family, circumstance=circumstance)
    with committed():
        marks = grant_leave(leave_request=request, user=head.user, reason="Granted: bereavement.")
    assert len(marks) == 4
    assert set(codes(family["ada"]).values()) == {code}
    mark = marks[0]
    assert mark.source == Mark.Source.LEAVE_DECISION and f"#{request.pk} granted" in mark.reason
    request.refresh_from_db()
    assert request.status == LeaveRequest.Status.GRANTED and request.decided_by_position == "Headteacher"
    assert "granted" in mail.outbox[-1].body


def test_the_head_may_grant_a_shorter_period(family, head):
    request = submit_leave(family, D(2026, 12, 7), D(2026, 12, 9))
    grant_leave(
        leave_request=request,
        user=head.user,
        start_date=D(2026, 12, 7),
        start_session="AM",
        end_date=D(2026, 12, 7),
        end_session="PM",
    )
    assert sorted(codes(family["ada"])) == [(D(2026, 12, 7), "AM"), (D(2026, 12, 7), "PM")]
    with pytest.raises(AbsenceError):
        grant_leave(leave_request=request, user=head.user)  # already decided


def test_leave_is_never_granted_retrospectively(family, head):
    request = submit_leave(family, TUE, WED)
    later = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    with pytest.raises(AbsenceError, match="retrospectively"):
        grant_leave(leave_request=request, user=head.user, now=later)
    # The afternoon is still to come at 10:00: granting from then is allowed.
    grant_leave(leave_request=request, user=head.user, start_date=TUE, start_session="PM", now=later)
    assert sorted(codes(family["ada"])) == [(TUE, "PM"), (WED, "AM"), (WED, "PM")]


def test_only_the_head_or_a_named_delegate_decides_leave(family, head, office):
    request = submit_leave(family)
    with pytest.raises(PermissionDenied):
        refuse_leave(leave_request=request, user=office.user, reason="No")
    policy = policy_for(head.school)
    policy.leave_deciders.add(office)
    refuse_leave(leave_request=request, user=office.user, reason="Term-time holidays are not exceptional.")
    request.refresh_from_db()
    assert request.status == LeaveRequest.Status.REFUSED and request.decided_by_position == "Office"


def test_refused_leave_taken_is_coded_g_by_the_office(family, head, office):
    request = submit_leave(family)
    refuse_leave(leave_request=request, user=head.user, reason="Not exceptional.")
    # after the sessions have happened: attendance can't be recorded for sessions still to come
    with time_machine.travel(dt.datetime(2026, 12, 9, 16, 0, tzinfo=dt.UTC), tick=False):
        write(head.school, family["ada"], {(D(2026, 12, 7), "AM"): "N", (D(2026, 12, 8), "PM"): "/"})
        with pytest.raises(AbsenceError, match="G .holiday not granted"):
            record_refused_leave_taken(leave_request=request, user=office.user, code="I", today=D(2026, 12, 9))
        record_refused_leave_taken(leave_request=request, user=office.user, code="G", today=D(2026, 12, 9))
    assert codes(family["ada"]) == {
        (D(2026, 12, 7), "AM"): "G",
        (D(2026, 12, 7), "PM"): "G",
        (D(2026, 12, 8), "AM"): "G",
        (D(2026, 12, 8), "PM"): "\\",
    }


def test_leave_facts_show_the_schools_rules_without_deciding(family, head):
    apply_preset(head.school, "A")
    AssessmentPeriod.objects.create(
        school=head.school, name="Mock tests", start_date=D(2026, 12, 7), end_date=D(2026, 12, 11)
    )
    days = [D(2026, 11, d) for d in (16, 17, 18, 19, 20)]
    write(head.school, family["ada"], {(d, s): ("I" if d.day < 18 else "/") for d in days for s in ("AM", "PM")})
    write(head.school, family["ada"], {(MON, "AM"): "O"})
    request = submit_leave(family)
    facts = leave_facts(request)
    text = " ".join(f.text for f in facts)
    assert "Requested 14 days before the first day; the school's policy asks for 14." in text
    assert "overlaps Mock tests" in text and "refuses leave during assessment periods" in text
    assert "Authorised absence is above the policy's 10.0 % limit" in text
    assert "1 session of unauthorised absence" in text
    assert request.status == LeaveRequest.Status.SUBMITTED  # facts never decide


# --- the office: overdue N, follow-up, prompts ------------------------------------------------


def test_overdue_n_lists_ns_older_than_five_school_days_with_whose_action(family, other_family, office):
    write(office.school, family["ada"], {(D(2026, 11, 13), "AM"): "N", (D(2026, 11, 16), "AM"): "N"})
    write(office.school, other_family["cy"], {(D(2026, 11, 12), "PM"): "N"})
    log_contact_attempt(
        pupil=other_family["cy"], user=office.user, absence_date=D(2026, 11, 12), action="call", outcome="no_answer"
    )
    rows = overdue_n(office.school)
    assert [(r.mark.pupil.forename, r.mark.date) for r in rows] == [("Cy", D(2026, 11, 12)), ("Ada", D(2026, 11, 13))]
    assert rows[0].waiting_on.startswith("The family: 1 contact attempt")
    assert rows[1].waiting_on == "The office: nobody has contacted the family yet"
    assert rows[1].school_days_old == 6

    resolve_n_marks(
        school=office.school,
        user=office.user,
        mark_ids=[rows[1].mark.pk],
        code="O",
        reason="No reason given after calls",
    )
    assert [r.mark.pupil.forename for r in overdue_n(office.school)] == ["Cy"]
    mark = Mark.objects.get(pupil=family["ada"], date=D(2026, 11, 13))
    assert mark.code.code == "O" and mark.reason == "No reason given after calls" and mark.version == 2


def test_overdue_n_waiting_on_the_parent_after_a_query(family, office):
    write(office.school, family["ada"], {(D(2026, 11, 13), "AM"): "N"})
    [report], _ = submit_absence_report(
        user=family["parent"],
        pupils=[family["ada"]],
        data=illness(D(2026, 11, 13), D(2026, 11, 13)),
        submission_key=key(),
    )
    query_report(report=report, user=office.user, message="Which doctor?")
    [row] = overdue_n(office.school)
    assert row.waiting_on.startswith("The parent")


def test_follow_up_steps_come_from_the_policy_and_attempts_are_logged(family, office):
    apply_preset(office.school, "E")
    ada = family["ada"]
    ada.child_in_need = True
    ada.save()
    write(office.school, ada, {(D(2026, 11, 20), "AM"): "N", (D(2026, 11, 20), "PM"): "N", (MON, "AM"): "N"})
    [case] = unexplained_absences(office.school)
    assert case.day_number == 2 and case.first_day == D(2026, 11, 20)
    assert [s.action for s in case.due] == ["call", "follow_up_call"]
    assert case.needs_social_worker and [c.forename for c in case.contacts] == ["Jo"]
    contact = ada.contacts.first()
    log_contact_attempt(
        pupil=ada,
        user=office.user,
        absence_date=case.first_day,
        action="call",
        contact=contact,
        outcome="voicemail",
        notes="Left a message on mobile",
    )
    log_contact_attempt(
        pupil=ada,
        user=office.user,
        absence_date=case.first_day,
        action="social_worker",
        channel="email",
        outcome="sent",
    )
    with pytest.raises(AbsenceError, match="decision and the rationale"):
        log_contact_attempt(
            pupil=ada, user=office.user, absence_date=case.first_day, action="home_visit", outcome="decided"
        )
    [case] = unexplained_absences(office.school)
    assert [s.action for s in case.due] == ["follow_up_call"] and not case.needs_social_worker
    attempt = ContactAttempt.objects.filter(action="call").get()
    assert attempt.made_by_name == "Mrs Priya Shah" and attempt.contact == contact


def test_ten_days_prompts_cme_and_twenty_days_of_g_n_o_prompts_the_deletion_ground(family, office):
    days = school_days_before(office.school, MON, 20)
    with time_machine.travel(dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC), tick=False):  # after MON's PM began
        write(office.school, family["ada"], {(d, s): "O" for d in days for s in ("AM", "PM")})
        write(
            office.school, family["ben"], {(d, s): ("O" if d != days[-1] else "I") for d in days for s in ("AM", "PM")}
        )
    [ada_case, ben_case] = unexplained_absences(office.school)
    assert ada_case.day_number == 20 and ada_case.cme_prompt
    assert ben_case.day_number == 19 and ben_case.cme_prompt
    prompts = deletion_ground_prompts(office.school)
    assert [p.pupil for p in prompts] == [family["ada"]]  # Ben's I breaks the run
    assert "Nothing is deleted automatically" in prompts[0].text
    log_contact_attempt(
        pupil=family["ada"],
        user=office.user,
        absence_date=days[-1],
        action="deletion_review",
        outcome="decided",
        decision="Enquiries with the LA started",
        rationale="Family not reached in 20 days",
    )
    assert deletion_ground_prompts(office.school) == []


def test_illness_expected_to_reach_fifteen_days_prompts_the_la(family, office):
    [report], _ = submit_absence_report(
        user=family["parent"],
        pupils=[family["ada"]],
        data=illness(MON, D(2026, 12, 4), expected_return=D(2026, 12, 14)),
        submission_key=key(),
    )
    assert [p.pupil for p in illness_prompts(office.school)] == [family["ada"]]
    accept_report(report=report, user=office.user)
    [prompt] = illness_prompts(office.school)
    assert "15" in prompt.text


# --- parent accounts ----------------------------------------------------------------------


def test_invite_link_works_once(school, office, committed):
    child = PupilFactory(school=school)
    from registers.models import Contact

    contact = Contact.objects.create(
        pupil=child, forename="Kim", surname="Lo", relationship="Father", email="Kim@Example.org"
    )
    with committed():
        invite, token = invite_contact(contact=contact, user=office.user)
    contact.refresh_from_db()
    assert contact.user.username == "kim@example.org" and not contact.user.has_usable_password()
    assert token in mail.outbox[-1].body and invite.token_hash != token
    user = accept_invite(token=token, password="a long pass phrase 42")
    assert user.check_password("a long pass phrase 42")
    with pytest.raises(AbsenceError, match="expired or has already been used"):
        accept_invite(token=token, password="another pass phrase 42")
    assert list(parent_pupils(user)) == [child]


def test_only_contacts_with_parental_responsibility_are_invited(school, office):
    from registers.models import Contact

    child = PupilFactory(school=school)
    contact = Contact.objects.create(
        pupil=child,
        forename="Al",
        surname="Lo",
        relationship="Uncle",
        email="al@example.org",
        parental_responsibility=False,
    )
    with pytest.raises(AbsenceError, match="parental responsibility"):
        invite_contact(contact=contact, user=office.user)


def test_the_email_is_sent_only_after_the_report_is_committed(family, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submit_absence_report(user=family["parent"], pupils=[family["ada"]], data=illness(), submission_key=key())
        assert AbsenceReport.objects.count() == 1
        assert EmailDelivery.objects.get().status == EmailDelivery.Status.PENDING and mail.outbox == []
    assert len(callbacks) == 1
    assert EmailDelivery.objects.get().status == EmailDelivery.Status.SENT and len(mail.outbox) == 1


@pytest.mark.parametrize("preset, notice, first_steps", [("A", 14, ["call"]), ("E", 42, ["call", "follow_up_call"])])
def test_reference_policies_are_rows_the_school_can_edit(school, preset, notice, first_steps):
    from django.core.management import call_command

    call_command("follow_up_policy", school.urn, preset, stdout=io.StringIO())
    policy = policy_for(school)
    assert policy.preset == preset and policy.leave_notice_days == notice
    assert [s.action for s in policy.steps.all()][: len(first_steps)] == first_steps
    step = policy.steps.first()
    step.day = 2
    step.save()  # the school edits its own step: audited
    assert step.history.count() == 2


def test_long_descriptions_keep_the_audit_reason_within_the_history_limit(family, office):
    [report], _ = submit_absence_report(
        user=family["parent"],
        pupils=[family["ada"]],
        data=illness(description="Very poorly " * 40),
        submission_key=key(),
    )
    accept_report(report=report, user=office.user)
    reasons = set(Mark.objects.filter(pupil=family["ada"]).values_list("reason", flat=True))
    assert len(reasons) == 1 and len(reasons.pop()) <= REASON_MAX
