"""Producing letters: the record (version, data, HTML, private PDF, who, when, links), regeneration
that gives the same letter, e-mail delivery, letterheads and logos, previews, and the link to the
case work (actions that ask for a letter; leave decisions)."""

import datetime as dt
import io
import shutil
import subprocess
import uuid

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from absences.models import LeaveRequest
from absences.services import grant_leave, refuse_leave
from interventions.models import Action, Alert, CaseStep
from interventions.services import accept_alert, load_policy_preset
from letters import pdf
from letters.errors import LetterError
from letters.models import Letter, Letterhead, LetterTemplate, LetterTemplateVersion
from letters.rendering import anchor_for, draft_pdf, letter_pdf_bytes, preview_html, render_letter_again
from letters.selectors import letter_data_rows, pending_letters
from letters.services.delivery import email_letter
from letters.services.letterhead import save_letterhead
from letters.services.one_letter import produce_leave_decision_letter, produce_letter
from letters.services.templates import save_template
from registers.models import Staff
from tests.factories import PupilFactory, StaffFactory, write
from tests.letters.conftest import ON, add_contact, present_every_day, school_days

D = dt.date


def template(school, key):
    return LetterTemplate.objects.get(school=school, key=key)


def pdf_text(content: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return result.stdout.decode()


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")


def png_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (29, 79, 145)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def absent_pupil(pupil, letters_school):
    present_every_day(
        letters_school,
        pupil,
        D(2026, 9, 3),
        D(2026, 11, 20),
        {(D(2026, 11, 16), "AM"): "I", (D(2026, 11, 16), "PM"): "I", (D(2026, 11, 17), "AM"): "O"},
    )
    return pupil


# --- templates ----------------------------------------------------------------------------


def test_version_goes_up_only_when_the_text_changes_and_every_version_is_kept(letters_school, officer):
    t = save_template(
        school=letters_school,
        user=officer.user,
        key="trip",
        title="Trip",
        subject="Trip for {{ pupil.first_name }}",
        body="<p>Dear {{ parent.salutation }},</p>",
    )
    assert t.version == 1 and t.versions.count() == 1
    t = save_template(
        school=letters_school,
        user=officer.user,
        key="trip",
        title="School trip",
        purpose="Renamed",
        template=t,
        subject=t.subject,
        body=t.body,
    )
    assert t.version == 1 and t.versions.count() == 1  # title and purpose are not the letter's text
    t = save_template(
        school=letters_school,
        user=officer.user,
        key="trip",
        title="School trip",
        template=t,
        subject=t.subject,
        body="<p>Dear {{ parent.salutation }},</p><p>New</p>",
    )
    assert t.version == 2
    assert t.body_at_version(1) == "<p>Dear {{ parent.salutation }},</p>"
    assert t.body_at_version(2).endswith("<p>New</p>")
    assert [v.version for v in t.versions.all()] == [2, 1]
    # every save is in the audited history, with who made it
    assert t.history.count() == 3 and {h.history_user for h in t.history.all()} == {officer.user}


def test_template_versions_cannot_be_changed_or_deleted(letters_school):
    version = template(letters_school, "concern").version_row(1)
    version.body = "changed"
    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        version.delete()


def test_keys_are_unique_per_school(letters_school):
    with pytest.raises(LetterError) as caught:
        save_template(school=letters_school, user=None, key="concern", title="Again", subject="S", body="<p>x</p>")
    assert caught.value.field == "key"


# --- producing a letter -------------------------------------------------------------------


def test_a_produced_letter_is_a_complete_private_record(absent_pupil, letters_school, officer, private_files):
    letter = produce_letter(template=template(letters_school, "concern"), pupil=absent_pupil, user=officer.user, on=ON)
    assert letter.template_version == 1 and letter.subject == "Sam’s attendance"
    assert letter.produced_by == officer.user
    assert (letter.produced_by_name, letter.produced_by_position) == ("Mrs Jan Patel", "Attendance officer")
    assert letter.delivery == "print" and letter.letter_date == ON and letter.pages == 1
    assert letter.addressee.forename == "Grace" and letter.addressee_name == "Mrs Grace Okafor and Mr David Okafor"
    assert letter.data["attendance"]["year"]["missed"] == 3
    assert "3 of" in letter.html and "Dear Mrs and Mr Okafor" in letter.html
    # the PDF is stored privately: under PRIVATE_ROOT, not MEDIA_ROOT or the static files
    path = (private_files / letter.pdf.name).resolve()
    assert path.is_file() and path.read_bytes()[:5] == b"%PDF-"
    for public in (settings.MEDIA_ROOT, settings.STATIC_ROOT, *settings.STATICFILES_DIRS):
        assert not path.is_relative_to(public)
    assert letter.pdf.storage.base_url is None  # never served by URL
    import hashlib

    assert hashlib.sha256(letter_pdf_bytes(letter)).hexdigest() == letter.pdf_sha256
    assert [r["name"] for r in letter_data_rows(letter)][:3] == ["school.name", "school.address", "school.telephone"]


@needs_pdftotext
def test_the_pdf_says_what_the_letter_says(absent_pupil, letters_school, officer):
    letter = produce_letter(template=template(letters_school, "concern"), pupil=absent_pupil, user=officer.user, on=ON)
    text = " ".join(pdf_text(letter_pdf_bytes(letter)).split())
    for expected in (
        "Oakfield Primary School",
        "Mrs G Okafor and Mr D Okafor 14 Mill Lane Middleton MD1 2QT",
        "23 November 2026",
        "Dear Mrs and Mr Okafor,",
        "Sam has missed 3 of",
        "1½ days of learning",
        "Mrs H Whitfield Headteacher",
        "Oakfield Primary School · Headteacher: Mrs H Whitfield",  # the footer
    ):
        assert expected in text, expected


@needs_pdftotext
def test_regenerating_gives_the_same_letter_even_after_the_template_and_data_change(
    absent_pupil, letters_school, officer
):
    t = template(letters_school, "concern")
    letter = produce_letter(template=t, pupil=absent_pupil, user=officer.user, on=ON)
    original_pdf_text = pdf_text(letter_pdf_bytes(letter))
    # the template is edited, the pupil misses more school, the letterhead changes
    save_template(
        school=letters_school,
        user=officer.user,
        key="concern",
        title=t.title,
        template=t,
        subject="Changed",
        body="<p>Something else entirely for {{ pupil.first_name }}</p>",
    )
    write(
        letters_school, absent_pupil, {(D(2026, 11, 19), "AM"): "O", (D(2026, 11, 19), "PM"): "O"}, reason="late news"
    )
    save_letterhead(school=letters_school, user=None, signatory_name="Mr New Head")
    letter.refresh_from_db()
    assert render_letter_again(letter, document=False) == letter.html  # byte for byte
    again = pdf.lay_out(
        pdf.document_html([render_letter_again(letter, document=False)], title="x", font="DejaVu Sans"),
        [anchor_for(letter.pupil_id, letter.household)],
    ).write()
    assert pdf_text(again) == original_pdf_text
    browser = render_letter_again(letter)
    assert browser.startswith("<!DOCTYPE html>") and "<style>" in browser and "Sam has missed 3 of" in browser
    assert "Mr New Head" not in browser and "Something else" not in browser


ATTACK = (
    "<p>Dear {{ parent.salutation }},</p>\n"
    "{{ \"<a href='https://pay.example/'>FINAL DEMAND: pay £2000 today</a>\" }}\n"
    "{{ \"<a rel='attachment' href='data:text/plain;base64,SGVsbG8=' download='invoice.exe'>x</a>\" }}\n"
    '{% firstof "<style>.letterhead{display:none}</style>" %}'
)


def _saved_before_the_checks(school, user, pupil):
    """A letter produced from a template whose text was saved before the text in quotes was
    checked: the version row is written as it would have been then."""
    t = template(school, "concern")
    letter = produce_letter(template=t, pupil=pupil, user=user, on=ON)
    LetterTemplateVersion.objects.filter(template=t, version=letter.template_version).update(body=ATTACK)
    LetterTemplate.objects.filter(pk=t.pk).update(body=ATTACK)
    letter.refresh_from_db()
    return letter


def test_a_template_saved_before_the_checks_cannot_produce_letters(absent_pupil, letters_school, officer):
    letter = _saved_before_the_checks(letters_school, officer.user, absent_pupil)
    with pytest.raises(LetterError) as caught:
        produce_letter(template=letter.template, pupil=absent_pupil, user=officer.user, on=ON)
    assert caught.value.line == 2 and "contains HTML" in caught.value.message


@needs_pdftotext
def test_a_letter_shown_again_from_such_a_template_has_no_link_attachment_or_style(
    absent_pupil, letters_school, officer
):
    from pypdf import PdfReader

    letter = _saved_before_the_checks(letters_school, officer.user, absent_pupil)
    article = render_letter_again(letter, document=False)
    assert "<a " not in article and "<style" not in article and "data:" not in article
    assert "FINAL DEMAND: pay £2000 today" in article  # as plain text, without the link
    content = pdf.lay_out(
        pdf.document_html([article], title="x", font="DejaVu Sans"), [anchor_for(letter.pupil_id, letter.household)]
    ).write()
    reader = PdfReader(io.BytesIO(content))
    assert not reader.attachments  # no embedded files
    assert all("/Annots" not in page for page in reader.pages)  # no links
    text = " ".join(pdf_text(content).split())
    assert "Oakfield Primary School Oakfield Primary School · Headteacher" in text  # the letterhead and footer
    assert "14 Mill Lane" in text and "FINAL DEMAND" in text


def test_a_letter_on_record_is_never_changed_or_deleted(absent_pupil, letters_school, officer):
    letter = produce_letter(template=template(letters_school, "concern"), pupil=absent_pupil, user=officer.user, on=ON)
    letter.subject = "Rewritten"
    with pytest.raises(ValidationError):
        letter.save()
    with pytest.raises(ValidationError):
        Letter.objects.filter(pk=letter.pk).update(subject="Rewritten")
    with pytest.raises(ValidationError):
        letter.delete()
    with pytest.raises(ValidationError):
        Letter.objects.filter(pk=letter.pk).delete()
    letter.refresh_from_db()
    assert letter.subject == "Sam’s attendance"


def test_a_letter_without_data_for_a_field_names_the_pupil_and_field(absent_pupil, letters_school, officer):
    with pytest.raises(LetterError) as caught:
        produce_letter(
            template=template(letters_school, "meeting_invitation"), pupil=absent_pupil, user=officer.user, on=ON
        )
    assert caught.value.field == "meeting.date" and caught.value.pupil == absent_pupil
    assert "Meeting date" in caught.value.message and "Sam Okafor" in caught.value.message
    assert not Letter.objects.exists()


def test_email_sends_the_pdf_and_records_delivery(absent_pupil, letters_school, officer):
    letter = produce_letter(
        template=template(letters_school, "concern"), pupil=absent_pupil, user=officer.user, on=ON, delivery="email"
    )
    assert letter.sent_at is None and not mail.outbox
    letter = email_letter(letter=letter, user=officer.user)
    [message] = mail.outbox
    assert message.to == ["grace@example.com", "david@example.com"]
    assert message.subject == "Sam’s attendance"
    [(name, content, mime)] = message.attachments
    assert mime == "application/pdf" and content == letter_pdf_bytes(letter) and name.endswith("2026-11-23.pdf")
    assert letter.sent_at is not None and letter.emailed_to == "grace@example.com, david@example.com"
    assert letter.history.count() == 2  # produced, then delivered


def test_email_without_an_address_is_refused(letters_school, officer):
    pupil = PupilFactory(school=letters_school)
    present_every_day(letters_school, pupil, D(2026, 11, 2), D(2026, 11, 20))
    add_contact(pupil, email="")
    letter = produce_letter(template=template(letters_school, "concern"), pupil=pupil, user=officer.user, on=ON)
    with pytest.raises(LetterError) as caught:
        email_letter(letter=letter, user=officer.user)
    assert caught.value.field == "parent.email" and not mail.outbox


def test_a_named_contact_gets_the_letter(absent_pupil, letters_school, officer):
    father = absent_pupil.contacts.get(forename="David")
    letter = produce_letter(
        template=template(letters_school, "concern"), pupil=absent_pupil, user=officer.user, on=ON, contact=father
    )
    assert letter.addressee == father and "Dear Mr Okafor," in letter.html


def test_certificates_need_no_address(letters_school, officer):
    pupil = PupilFactory(school=letters_school, legal_forename="Ada", legal_surname="Lovelace")
    present_every_day(letters_school, pupil, D(2026, 9, 3), D(2026, 11, 20))
    add_contact(pupil, address="", postcode="")
    letter = produce_letter(template=template(letters_school, "certificate_100"), pupil=pupil, user=officer.user, on=ON)
    assert 'class="certificate' in letter.html and "Ada Lovelace" in letter.html
    with pytest.raises(LetterError) as caught:
        produce_letter(template=template(letters_school, "concern"), pupil=pupil, user=officer.user, on=ON)
    assert caught.value.field == "parent.address"


def test_draft_pdf_records_nothing(absent_pupil, letters_school):
    content = draft_pdf(template=template(letters_school, "concern"), pupil=absent_pupil, on=ON)
    assert content.startswith(b"%PDF-") and not Letter.objects.exists()


# --- previews -----------------------------------------------------------------------------


def test_preview_with_sample_data_and_with_a_pupil(absent_pupil, letters_school):
    t = template(letters_school, "concern")
    sample = preview_html(school=letters_school, subject=t.subject, body=t.body, on=ON)
    # the sample data are the catalogue's examples (a pupil with 15 sessions missed)
    assert "Dear Mr and Mrs Okafor," in sample and "missed 15 of 234 sessions" in sample and "<style>" in sample
    real = preview_html(school=letters_school, subject=t.subject, body=t.body, pupil=absent_pupil, on=ON)
    assert "Dear Mrs and Mr Okafor," in real and "Sam has missed 3 of" in real
    with pytest.raises(LetterError) as caught:
        preview_html(school=letters_school, subject="S", body="{{ pupil.shoe_size }}", on=ON)
    assert caught.value.field == "pupil.shoe_size"


# --- letterhead ---------------------------------------------------------------------------


def test_logo_is_checked_by_content_and_shown_from_private_storage(absent_pupil, letters_school, private_files):
    with pytest.raises(LetterError) as caught:
        save_letterhead(
            school=letters_school, user=None, logo=SimpleUploadedFile("logo.png", b"<html>not an image</html>")
        )
    assert caught.value.field == "logo"
    evil = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(LetterError):
        save_letterhead(school=letters_school, user=None, logo=SimpleUploadedFile("logo.svg", evil))
    head = save_letterhead(school=letters_school, user=None, logo=SimpleUploadedFile("x.gif", png_bytes()))
    assert head.logo_content_type == "image/png" and head.logo.name.endswith(".png")
    assert (private_files / head.logo.name).is_file()
    t = template(letters_school, "concern")
    preview = preview_html(school=letters_school, subject=t.subject, body=t.body, pupil=absent_pupil, on=ON)
    assert 'src="data:image/png;base64,' in preview  # the browser cannot read PRIVATE_ROOT
    letter = produce_letter(template=t, pupil=absent_pupil, user=None, on=ON)
    assert f'src="/private-logo/{head.logo.name}"' in letter.html  # the PDF fetcher reads it


def test_the_fetcher_reads_only_static_files_and_logos(letters_school, private_files):
    from letters.pdf import LetterFetcher

    fetcher = LetterFetcher()
    assert b"@page" in fetcher.fetch("https://letters.invalid/static/letters/letter.css").read()
    (private_files / "letters" / "1" / "letters").mkdir(parents=True)
    (private_files / "letters" / "1" / "letters" / "x.pdf").write_bytes(b"%PDF")
    secret = private_files / "evidence.pdf"
    secret.write_bytes(b"%PDF secret")
    for url in (
        "https://example.com/tracker.png",
        "file:///etc/passwd",
        "https://letters.invalid/private-logo/../evidence.pdf",
        "https://letters.invalid/private-logo/letters/1/letters/x.pdf",
        "https://letters.invalid/private-logo/letters/1/logo/../../../evidence.pdf",
        "https://letters.invalid/static/../../attendance_site/settings.py",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_letterhead_defaults_come_from_the_school_and_its_headteacher(school):
    StaffFactory(
        school=school, position=Staff.Position.HEADTEACHER, title="Dr", user__first_name="Ruth", user__last_name="Ng"
    )
    school.address = "Oakfield Primary School\nOak Lane\nMD9 9ZZ"
    school.save()
    head = Letterhead.for_school(school)
    assert (head.signatory_name, head.signatory_position) == ("Dr Ruth Ng", "Headteacher")
    assert head.address == "Oak Lane\nMD9 9ZZ"  # the letterhead prints the name itself
    assert Letterhead.for_school(school).pk == head.pk


# --- case work ----------------------------------------------------------------------------


@pytest.fixture
def accepted_alert(letters_school, officer):
    """Preset B: more than 3 days' absence proposes the medical evidence letter."""
    from interventions.evaluation import run_checks

    load_policy_preset(school=letters_school, preset="B")
    pupil = PupilFactory(school=letters_school, legal_forename="Ola", legal_surname="Ade")
    add_contact(pupil)
    days = school_days(letters_school, D(2026, 11, 9), D(2026, 11, 13))
    write(letters_school, pupil, {(d, s): "I" for d in days for s in ("AM", "PM")})
    run_checks(school=letters_school, on=D(2026, 11, 13))
    alert = Alert.objects.get(pupil=pupil, rule__letter_template="medical_evidence_request")
    accept_alert(alert=alert, user=officer.user, on=D(2026, 11, 16))
    return Alert.objects.get(pk=alert.pk)


def test_an_accepted_alert_leaves_a_letter_pending_until_it_is_produced(accepted_alert, letters_school, officer):
    [pending] = pending_letters(letters_school)
    action = Action.objects.get(alert=accepted_alert, kind="letter")
    assert (pending.key, pending.action, pending.pupil) == ("medical_evidence_request", action, accepted_alert.pupil)
    assert pending.template == template(letters_school, "medical_evidence_request")
    assert pending.produce_query == f"action={action.pk}"
    letter = produce_letter(template=pending.template, pupil=pending.pupil, user=officer.user, on=ON, action=action)
    # the letter answers the action, the alert and its case step; the action is done
    assert (letter.action, letter.alert) == (action, accepted_alert)
    assert letter.case_step == CaseStep.objects.get(alert=accepted_alert, kind="alert")
    action.refresh_from_db()
    assert action.done_on == ON and action.outcome.startswith("Letter produced (printed)")
    assert pending_letters(letters_school) == []


def test_a_pending_letter_without_a_template_is_still_listed(accepted_alert, letters_school):
    Action.objects.filter(alert=accepted_alert).update(letter_template="not_a_template")
    [pending] = pending_letters(letters_school)
    assert pending.template is None and "not_a_template" in pending.title


def test_an_action_on_another_pupils_case_is_refused(accepted_alert, absent_pupil, letters_school, officer):
    action = Action.objects.get(alert=accepted_alert, kind="letter")
    with pytest.raises(LetterError) as caught:
        produce_letter(
            template=template(letters_school, "concern"), pupil=absent_pupil, user=officer.user, on=ON, action=action
        )
    assert caught.value.field == "action"


@pytest.fixture
def head(letters_school):
    return StaffFactory(school=letters_school, position=Staff.Position.HEADTEACHER, user__username="head")


def leave_request(pupil, parent_user):
    return LeaveRequest.objects.create(
        school=pupil.school,
        pupil=pupil,
        contact=pupil.contacts.order_by("priority").first(),
        submitted_by=parent_user,
        submission_key=uuid.uuid4(),
        circumstance=LeaveRequest.Circumstance.EXCEPTIONAL,
        reason="A family funeral abroad",
        start_date=D(2027, 1, 11),
        end_date=D(2027, 1, 15),
    )


def test_a_leave_decision_produces_its_letter_once(pupil, letters_school, head, officer, committed):
    request = leave_request(pupil, officer.user)
    with committed():
        refuse_leave(leave_request=request, user=head.user, reason="Holidays are not exceptional circumstances.")
    [letter] = Letter.objects.filter(leave_request=request)
    assert letter.template.key == "leave_refused" and letter.produced_by == head.user
    assert "not able to grant" in letter.html and "Holidays are not exceptional circumstances." in letter.html
    # asking again (a redelivered task) gives the same letter, never a second
    assert produce_leave_decision_letter(leave_request=request) == letter
    assert Letter.objects.filter(leave_request=request).count() == 1
    assert pending_letters(letters_school) == []


def test_a_granted_leave_letter_shows_the_granted_period(pupil, letters_school, head, officer, committed):
    request = leave_request(pupil, officer.user)
    with committed():
        grant_leave(leave_request=request, user=head.user)
    [letter] = Letter.objects.filter(leave_request=request)
    assert letter.template.key == "leave_granted" and "Mon 11 Jan 2027 to Fri 15 Jan 2027" in letter.html


def test_a_leave_letter_that_cannot_be_made_stays_pending_and_the_decision_stands(
    letters_school, head, officer, committed
):
    pupil = PupilFactory(school=letters_school)
    add_contact(pupil, address="", postcode="")  # nowhere to send it
    request = leave_request(pupil, officer.user)
    with committed():  # the letter is attempted after the decision commits, and fails
        refuse_leave(leave_request=request, user=head.user, reason="Not exceptional.")
    request.refresh_from_db()
    assert request.status == LeaveRequest.Status.REFUSED and not Letter.objects.exists()
    [pending] = pending_letters(letters_school, today=ON)
    assert pending.leave_request == request and pending.key == "leave_refused"
    assert pending.produce_query == f"leave={request.pk}"
