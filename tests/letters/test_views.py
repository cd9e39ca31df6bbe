"""The letters pages: who may reach them, the editor (errors named, nothing typed lost, the live
preview), producing one letter or a batch, the record and its PDF, the letterhead, and query
counts that do not grow with the number of templates or letters."""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interventions import services as iv
from letters.models import Batch, Letter, Letterhead, LetterTemplate
from letters.rendering import letter_pdf_bytes, preview_html
from letters.services.batches import start_batch
from letters.services.letterhead import save_letterhead
from letters.services.one_letter import produce_letter
from letters.services.templates import install_starter_templates, save_template
from registers.models import Contact, SchoolDay, Staff
from tests.factories import PupilFactory, StaffFactory, UserFactory, make_school, write

P = Staff.Position
D = dt.date


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def officer(school):
    return StaffFactory(
        school=school,
        position=P.ATTENDANCE_OFFICER,
        title="Mrs",
        user=UserFactory(username="officer", first_name="Priya", last_name="Shah"),
    )


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer.user)
    return client


@pytest.fixture
def library(school):
    install_starter_templates(school=school)
    save_letterhead(school=school, user=None, signatory_name="Mr James Brown", signatory_position="Headteacher")
    return {t.key: t for t in LetterTemplate.objects.filter(school=school)}


MARKED = (D(2026, 11, 2), D(2026, 11, 20))


def school_days(school):
    return list(SchoolDay.objects.filter(school=school, date__range=MARKED).values_list("date", flat=True))


def family(school, *, forename="Ben", surname="Okafor", year=4, email="mum@example.org", contact=True):
    """A pupil with three weeks of marks (two sessions of illness, one unauthorised) and, unless
    told otherwise, a mother at home with an address and e-mail."""
    pupil = PupilFactory(school=school, year=year, legal_forename=forename, legal_surname=surname)
    marks = {(d, s): "/" if s == "AM" else "\\" for d in school_days(school) for s in ("AM", "PM")}
    first = school_days(school)[0]
    marks.update({(first, "AM"): "I", (first, "PM"): "I", (school_days(school)[3], "AM"): "O"})
    write(school, pupil, marks)
    if not contact:
        return pupil
    Contact.objects.create(
        pupil=pupil,
        title="Ms",
        forename="Grace",
        surname=surname,
        relationship="Mother",
        email=email,
        address="1 Oak Road\nOakfield",
        postcode="OA1 1AA",
    )
    return pupil


def object_urls(template, letter, batch):
    return [
        reverse("letters:template-edit", args=[template.pk]),
        reverse("letters:template-preview", args=[template.pk]),
        reverse("letters:template-history", args=[template.pk]),
        reverse("letters:template-draft-pdf", args=[template.pk]) + f"?pupil={letter.pupil_id}",
        reverse("letters:batch", args=[batch.pk]),
        reverse("letters:batch-progress", args=[batch.pk]),
        reverse("letters:batch-pdf", args=[batch.pk]),
        reverse("letters:letter", args=[letter.pk]),
        reverse("letters:letter-view", args=[letter.pk]),
        reverse("letters:letter-pdf", args=[letter.pk]),
    ]


def page_urls(template, letter, batch):
    return [
        reverse("letters:templates"),
        reverse("letters:pupil-search") + "?q=Ben",
        reverse("letters:produce"),
        reverse("letters:batches"),
        reverse("letters:letters"),
        reverse("letters:letterhead"),
        reverse("letters:letterhead-logo"),
        *object_urls(template, letter, batch),
    ]


@pytest.fixture
def records(school, officer, library, committed):
    """One letter and one finished batch of the school, for the permission tests."""
    ben = family(school)
    amy = family(school, forename="Amy", surname="Adams")
    template = library["concern"]
    letter = produce_letter(template=template, pupil=ben, user=officer.user, on=D(2026, 11, 23))
    with committed():
        batch = start_batch(template=template, pupils=[ben, amy], user=officer.user, on=D(2026, 11, 23))
    batch.refresh_from_db()
    return template, letter, batch


@pytest.mark.parametrize("position", [P.CLASS_TEACHER, P.GOVERNOR, P.TRUST_LEADER, None])
def test_teachers_governors_and_parents_reach_no_letters_page(client, school, records, position):
    if position is None:  # a parent/carer: a user linked to a contact, no staff record
        user = UserFactory(username="parent")
        Contact.objects.create(
            pupil=records[1].pupil, forename="Pat", surname="Okafor", relationship="Father", user=user
        )
    else:
        user = StaffFactory(school=school, position=position).user
    client.force_login(user)
    for url in page_urls(*records):
        assert client.get(url).status_code == 403, url
    for name, pk in (("letter-email", records[1].pk), ("install-starters", None)):
        url = reverse(f"letters:{name}", args=[pk] if pk else [])
        assert client.post(url).status_code == 403, url
    client.logout()
    for url in page_urls(*records):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_another_schools_templates_letters_and_batches_are_not_found(client, records):
    template, letter, batch = records
    other = make_school(urn="100002", name="Elmwood Primary School", establishment_number="2001")
    elsewhere = StaffFactory(school=other, position=P.ATTENDANCE_OFFICER)
    client.force_login(elsewhere.user)
    for url in object_urls(template, letter, batch):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("letters:letter-email", args=[letter.pk])).status_code == 404
    post = {"template": template.pk, "pupils": letter.pupil_id, "shown": letter.pupil_id}
    assert client.post(reverse("letters:produce"), post).status_code == 404
    # and the lists show nothing of the first school
    library = client.get(reverse("letters:templates"))
    assert (
        library.context["rows"] == []
        and reverse("letters:template-edit", args=[template.pk]) not in library.content.decode()
    )
    assert client.get(reverse("letters:letters")).context["page"].paginator.count == 0
    assert client.get(reverse("letters:batches")).context["page"].paginator.count == 0


def test_the_dsl_reads_letters_but_does_not_edit_or_produce(client, school, records):
    dsl = StaffFactory(school=school, position=P.DSL)
    client.force_login(dsl.user)
    template, letter, batch = records
    assert client.get(reverse("letters:letter", args=[letter.pk])).status_code == 200
    assert client.get(reverse("letters:letter-pdf", args=[letter.pk])).status_code == 200
    assert client.get(reverse("letters:template-edit", args=[template.pk])).status_code == 403
    assert client.get(reverse("letters:produce")).status_code == 403
    assert client.post(reverse("letters:letter-email", args=[letter.pk])).status_code == 403


def no_inline_script_or_style(html):
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html and ' style="' not in html, "inline style"


def test_library_lists_every_template_and_offers_the_starters(officer_client, school):
    url = reverse("letters:templates")
    html = officer_client.get(url).content.decode()
    assert "Install starter templates" in html
    response = officer_client.post(reverse("letters:install-starters"))
    assert response.status_code == 302
    templates = LetterTemplate.objects.filter(school=school)
    assert templates.count() >= 15
    html = officer_client.get(url).content.decode()
    no_inline_script_or_style(html)
    assert "Install starter templates" not in html
    for t in templates:
        assert t.title in html
        assert reverse("letters:template-edit", args=[t.pk]) in html
    assert "Attendance officer" not in html or "Letters" in html
    # installing again is harmless
    officer_client.post(reverse("letters:install-starters"))
    assert LetterTemplate.objects.filter(school=school).count() == templates.count()


def test_library_and_records_list_take_the_same_queries_however_many(
    officer_client, school, officer, library, django_assert_max_num_queries
):
    pupils = [family(school, forename=f"Child{i}", surname=f"Family{i}") for i in range(6)]
    counts = {}
    for n in (1, 5):
        for pupil in pupils[:n]:
            produce_letter(template=library["concern"], pupil=pupil, user=officer.user, on=D(2026, 11, 23))
        for key in list(library)[: 3 * n]:
            t = library[key]
            save_template(
                school=school,
                user=officer.user,
                key=t.key,
                title=t.title,
                subject=t.subject,
                body=t.body + f"\n<p>Edit {n}</p>",
                kind=t.kind,
                template=t,
            )
        for name in ("templates", "letters"):
            with CaptureQueriesContext(connection) as ctx:
                assert officer_client.get(reverse(f"letters:{name}")).status_code == 200
            counts.setdefault(name, []).append(len(ctx.captured_queries))
    print("letters pages queries", counts)
    assert counts["templates"][0] == counts["templates"][1], counts
    assert counts["letters"][0] == counts["letters"][1], counts
    with django_assert_max_num_queries(8):
        officer_client.get(reverse("letters:templates"))
    with django_assert_max_num_queries(8):
        officer_client.get(reverse("letters:letters"), {"q": "Family", "delivery": "print"})


def edit_post(template, **changes):
    data = {
        "title": template.title,
        "purpose": template.purpose,
        "subject": template.subject,
        "body": template.body,
        "action": "save",
    }
    data.update(changes)
    return data


def test_an_unknown_merge_field_is_named_with_its_line_and_nothing_typed_is_lost(officer_client, library):
    template = library["concern"]
    body = "<p>Dear {{ parent.salutation }},</p>\n<p>Thank you.</p>\n<p>Shoe size: {{ pupil.shoe_size }}</p>"
    url = reverse("letters:template-edit", args=[template.pk])
    response = officer_client.post(url, edit_post(template, title="My new title", body=body))
    assert response.status_code == 400
    html = response.content.decode()
    no_inline_script_or_style(html)
    assert "pupil.shoe_size" in html and "line 3" in html
    assert "The template was not saved" in html
    # what was typed is still there, escaped, in the boxes
    assert "Shoe size: {{ pupil.shoe_size }}" in response.context["form"]["body"].value()
    assert 'value="My new title"' in html
    assert "&lt;p&gt;Shoe size: {{ pupil.shoe_size }}&lt;/p&gt;" in html
    template.refresh_from_db()
    assert template.title != "My new title" and "shoe_size" not in template.body


def test_a_forbidden_tag_is_refused_by_name(officer_client, library):
    template = library["concern"]
    url = reverse("letters:template-edit", args=[template.pk])
    response = officer_client.post(url, edit_post(template, body='{% include "base.html" %}'))
    assert response.status_code == 400
    assert "include" in response.content.decode()


def test_a_link_in_quoted_text_is_refused_on_the_editor_naming_the_line(officer_client, library):
    template = library["concern"]
    url = reverse("letters:template-edit", args=[template.pk])
    body = "<p>Dear {{ parent.salutation }},</p>\n{{ \"<a href='https://pay.example/'>Pay now</a>\" }}"
    response = officer_client.post(url, edit_post(template, body=body))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The text in quotes on line 2 contains HTML" in html
    template.refresh_from_db()
    assert "pay.example" not in template.body
    too_long = officer_client.post(url, edit_post(template, body="<p>" + "x" * 1_000_000 + "</p>"))
    assert too_long.status_code == 400 and "a letter may have at most 20,000" in too_long.content.decode()


def test_saving_makes_a_new_version_and_the_history_shows_both(officer_client, library, officer):
    template = library["concern"]
    before = template.version
    url = reverse("letters:template-edit", args=[template.pk])
    new_body = template.body + "\n<p>We are here to help.</p>"
    response = officer_client.post(url, edit_post(template, body=new_body))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.version == before + 1 and template.body == new_body
    history = officer_client.get(reverse("letters:template-history", args=[template.pk]))
    html = history.content.decode()
    no_inline_script_or_style(html)
    assert f"Version {before + 1}" in html and f"Version {before}" in html
    assert '<ins><span class="visually-hidden">added: </span>&lt;p&gt;We are here to help.&lt;/p&gt;</ins>' in html
    assert "Mrs Priya Shah" in html
    # saving the same text again is not a new version
    officer_client.post(url, edit_post(template, body=new_body))
    template.refresh_from_db()
    assert template.version == before + 1


def test_the_preview_shows_the_draft_for_a_chosen_pupil_in_a_locked_down_frame(officer_client, school, library):
    template = library["concern"]
    ben = family(school)
    url = reverse("letters:template-preview", args=[template.pk])
    draft = "<p>Hello {{ pupil.preferred_name }}, a draft nobody has saved.</p>"
    response = officer_client.post(url, {"subject": template.subject, "body": draft, "preview_pupil": ben.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "a draft nobody has saved" in html and "Ben" in html
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "script-src 'none'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # the saved text (GET) for the iframe's first load
    saved = officer_client.get(url, {"pupil": ben.pk})
    assert saved.status_code == 200 and "a draft nobody has saved" not in saved.content.decode()
    # an invalid draft: the frame shows what is wrong, for the script to read
    bad = officer_client.post(url, {"subject": template.subject, "body": "<p>\n{{ pupil.shoe_size }}</p>"})
    assert bad.status_code == 400
    assert 'data-preview-error="' in bad.content.decode() and 'data-preview-line="2"' in bad.content.decode()
    # the editor page frames it, and is not itself frameable; without JavaScript its Preview
    # button posts the draft into the frame
    page = officer_client.get(reverse("letters:template-edit", args=[template.pk]))
    assert page["X-Frame-Options"] == "DENY"
    html = page.content.decode()
    assert f'src="{url}"' in html and 'name="letter-preview"' in html and 'sandbox="allow-same-origin"' in html
    assert f'formaction="{url}" formtarget="letter-preview"' in html


def test_a_test_pdf_of_the_saved_text_records_nothing(officer_client, school, library):
    template = library["concern"]
    ben = family(school)
    url = reverse("letters:template-draft-pdf", args=[template.pk])
    edit = officer_client.get(reverse("letters:template-edit", args=[template.pk]), {"pupil": ben.pk})
    assert f"{url}?pupil={ben.pk}" in edit.content.decode()
    response = officer_client.get(url, {"pupil": ben.pk})
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert not Letter.objects.exists()
    assert officer_client.get(url).status_code == 404


def test_a_pupil_of_another_school_is_never_previewed(officer_client, library):
    other = make_school(urn="100003", name="Ashgrove", establishment_number="2002")
    stranger = family(other, forename="Zed", surname="Stranger")
    template = library["concern"]
    url = reverse("letters:template-preview", args=[template.pk])
    body = "<p>{{ pupil.preferred_name }} {{ pupil.legal_surname }}</p>"
    html = officer_client.post(url, {"subject": "x", "body": body, "preview_pupil": stranger.pk}).content.decode()
    assert "Stranger" not in html
    assert officer_client.get(reverse("letters:pupil-search"), {"q": "Stranger"}).json() == {"pupils": []}


def test_finding_a_preview_pupil_without_javascript_keeps_the_draft(officer_client, school, library):
    template = library["concern"]
    ben = family(school)
    url = reverse("letters:template-edit", args=[template.pk])
    draft = template.body + "\n<p>Unsaved words</p>"
    response = officer_client.post(url, edit_post(template, body=draft, action="find", find_pupil="Okafor"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="preview_pupil" value="{ben.pk}"' in html
    assert "Unsaved words" in html
    template.refresh_from_db()
    assert "Unsaved words" not in template.body
    found = officer_client.get(reverse("letters:pupil-search"), {"q": "okaf"}).json()["pupils"]
    assert [p["id"] for p in found] == [ben.pk] and found[0]["group"] == "Year 4"


def test_the_merge_fields_are_listed_beside_the_editor(officer_client, library):
    from letters.selectors import merge_field_catalogue

    html = officer_client.get(reverse("letters:template-edit", args=[library["concern"].pk])).content.decode()
    no_inline_script_or_style(html)
    for field in merge_field_catalogue():
        assert f'data-merge-field="{field["name"]}"' in html
        assert "{{ " + field["name"] + " }}" in html


def test_produce_one_letter_records_it_and_the_pdf_downloads(officer_client, school, officer, library):
    ben = family(school)
    template = library["concern"]
    url = reverse("letters:produce")
    page = officer_client.get(url, {"pupil": ben.pk, "template": template.pk})
    assert page.status_code == 200
    html = page.content.decode()
    no_inline_script_or_style(html)
    assert "Produce the letter" in html and "Okafor, Ben" in html
    response = officer_client.post(
        url,
        {
            "template": template.pk,
            "pupil": ben.pk,
            "shown": ben.pk,
            "pupils": ben.pk,
            "letter_date": "2026-11-23",
            "delivery": "print",
        },
    )
    letter = Letter.objects.get(pupil=ben)
    assert response.status_code == 302 and response["Location"] == letter.get_absolute_url()
    assert letter.produced_by == officer.user and letter.template_version == template.version
    detail = officer_client.get(letter.get_absolute_url())
    html = detail.content.decode()
    no_inline_script_or_style(html)
    assert "Mrs Priya Shah" in html and f"version {template.version}" in html
    assert "E-mail to parent/carer" in html and "mum@example.org" in html
    assert reverse("letters:letter-view", args=[letter.pk]) in html
    pdf = officer_client.get(reverse("letters:letter-pdf", args=[letter.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf["Content-Disposition"]
    assert pdf.content == letter_pdf_bytes(letter)
    again = officer_client.get(reverse("letters:letter-view", args=[letter.pk]))
    assert again.status_code == 200 and "Ben" in again.content.decode()
    assert "script-src 'none'" in again["Content-Security-Policy"]


def test_email_a_letter_from_its_record(officer_client, school, officer, library):
    ben = family(school)
    letter = produce_letter(template=library["concern"], pupil=ben, user=officer.user, on=D(2026, 11, 23))
    response = officer_client.post(reverse("letters:letter-email", args=[letter.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mum@example.org"]
    assert mail.outbox[0].attachments and mail.outbox[0].attachments[0][2] == "application/pdf"
    letter.refresh_from_db()
    assert letter.sent_at and "mum@example.org" in letter.emailed_to
    html = officer_client.get(letter.get_absolute_url()).content.decode()
    assert "E-mailed to mum@example.org" in html


def test_options_appear_only_when_the_template_uses_them(officer_client, school, library):
    ben = family(school)
    url = reverse("letters:produce")
    meeting = officer_client.get(url, {"pupil": ben.pk, "template": library["meeting_invitation"].pk})
    assert "Meeting date" in meeting.content.decode() and "Meeting place" in meeting.content.decode()
    thanks = officer_client.get(url, {"pupil": ben.pk, "template": library["congratulations"].pk})
    assert "Meeting date" not in thanks.content.decode()
    response = officer_client.post(
        url,
        {
            "template": library["meeting_invitation"].pk,
            "pupil": ben.pk,
            "shown": ben.pk,
            "pupils": ben.pk,
            "letter_date": "2026-11-23",
            "delivery": "print",
            "meeting_date": "2026-12-02",
            "meeting_time": "09:15",
            "meeting_place": "the school office",
        },
    )
    assert response.status_code == 302
    letter = Letter.objects.get(pupil=ben)
    assert "the school office" in letter.html and "2 December 2026" in letter.html


def test_every_letter_asks_who_signs_it(officer_client, school, library):
    ben = family(school)
    url = reverse("letters:produce")
    template = library["congratulations"]
    page = officer_client.get(url, {"pupil": ben.pk, "template": template.pk}).content.decode()
    assert 'value="Mr James Brown"' in page and "Their position" in page
    save_letterhead(school=school, user=None, signatory_name="", signatory_position="")
    post = {
        "template": template.pk,
        "shown": ben.pk,
        "pupils": ben.pk,
        "letter_date": "2026-11-23",
        "delivery": "print",
    }
    response = officer_client.post(url, post)
    assert response.status_code == 400 and "set the usual signatory on the Letterhead page" in response.content.decode()
    response = officer_client.post(url, {**post, "signatory_name": "Ms Ada Reid", "signatory_position": "Deputy head"})
    assert response.status_code == 302
    assert "Ms Ada Reid" in Letter.objects.get(pupil=ben).html


def test_a_letter_the_case_asks_for_is_produced_from_the_case(officer_client, school, officer, library):
    ben = family(school)
    case = iv.open_case(pupil=ben, on=D(2026, 11, 20))
    action = iv.record_action(
        case=case, kind="letter", letter_template="concern", description="Letter: concern", due_on=D(2026, 11, 23)
    )
    request = RequestFactory().get("/")
    request.user = officer.user
    panel = render_to_string("letters/_case_letters.html", {"case": case}, request=request)
    produce_link = reverse("letters:produce") + f"?action={action.pk}"
    assert produce_link in panel.replace("&amp;", "&")
    page = officer_client.get(produce_link)
    assert page.status_code == 200 and page.context["template"] == library["concern"]
    assert "From Ben Okafor&#x27;s case" in page.content.decode()
    response = officer_client.post(
        reverse("letters:produce"),
        {
            "action": action.pk,
            "template": library["concern"].pk,
            "shown": ben.pk,
            "pupils": ben.pk,
            "letter_date": "2026-11-23",
            "delivery": "print",
        },
    )
    assert response.status_code == 302
    letter = Letter.objects.get(pupil=ben)
    assert letter.action == action
    panel = render_to_string("letters/_case_letters.html", {"case": case}, request=request)
    assert produce_link not in panel.replace("&amp;", "&")
    assert letter.get_absolute_url() in panel
    pupil_panel = render_to_string("letters/_pupil_letters.html", {"pupil": ben}, request=request)
    assert letter.get_absolute_url() in pupil_panel
    detail = officer_client.get(letter.get_absolute_url()).content.decode()
    assert reverse("interventions:case", args=[case.pk]) in detail


def test_a_refused_leave_request_gets_its_letter_from_the_produce_page(officer_client, school, officer, library):
    import uuid

    from absences.models import LeaveRequest

    ben = family(school)
    mother = ben.contacts.get()
    leave = LeaveRequest.objects.create(
        school=school,
        pupil=ben,
        contact=mother,
        submitted_by=UserFactory(username="grace"),
        submission_key=uuid.uuid4(),
        circumstance="exceptional",
        reason="A family holiday",
        status="refused",
        start_date=D(2027, 1, 11),
        end_date=D(2027, 1, 15),
        decision_reason="A holiday is not an exceptional circumstance.",
        decided_by=officer.user,
    )
    url = reverse("letters:produce")
    page = officer_client.get(url, {"leave": leave.pk})
    assert page.context["template"] == library["leave_refused"]
    assert page.context["form"]["contact"].value() == mother.pk
    post = {
        "leave": leave.pk,
        "template": library["leave_refused"].pk,
        "shown": ben.pk,
        "pupils": ben.pk,
        "contact": mother.pk,
        "letter_date": "2026-11-23",
        "delivery": "print",
        "signatory_name": "Mr James Brown",
    }
    assert officer_client.post(url, post).status_code == 302
    letter = Letter.objects.get(pupil=ben)
    assert letter.leave_request == leave and letter.addressee == mother
    assert "not an exceptional circumstance" in letter.html
    assert "Leave request" in officer_client.get(letter.get_absolute_url()).content.decode()


def test_the_panels_are_empty_for_a_teacher(school, library):
    ben = family(school)
    request = RequestFactory().get("/")
    request.user = StaffFactory(school=school, position=P.CLASS_TEACHER).user
    assert render_to_string("letters/_pupil_letters.html", {"pupil": ben}, request=request).strip() == ""


def test_a_batch_for_a_year_group_runs_and_its_progress_and_pdf_are_shown(officer_client, school, library, committed):
    pupils = [family(school, forename=n, surname="Year5", year=5) for n in ("Ava", "Ben", "Cal")]
    family(school, forename="Dan", surname="Year6", year=6)
    url = reverse("letters:produce")
    page = officer_client.get(url, {"template": library["concern"].pk, "year": 5})
    assert page.status_code == 200 and len(page.context["candidates"]) == 3
    with committed():
        response = officer_client.post(
            url,
            {
                "template": library["concern"].pk,
                "shown": [p.pk for p in pupils],
                "pupils": [p.pk for p in pupils],
                "letter_date": "2026-11-23",
                "delivery": "print",
            },
        )
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    progress = officer_client.get(reverse("letters:batch-progress", args=[batch.pk])).json()
    assert progress["finished"] and progress["percent"] == 100 and progress["done"] == 3
    assert progress["pdf_url"] == reverse("letters:batch-pdf", args=[batch.pk])
    html = officer_client.get(batch.get_absolute_url()).content.decode()
    no_inline_script_or_style(html)
    assert "Download the PDF to print" in html and "http-equiv" not in html
    for p in pupils:
        assert p.name in html
    pdf = officer_client.get(progress["pdf_url"])
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # each letter of the printed batch can still be downloaded on its own from its record
    letter = Letter.objects.get(batch=batch, pupil=pupils[1])
    assert letter.batch_first_page == 2
    one = officer_client.get(reverse("letters:letter-pdf", args=[letter.pk]))
    assert one["Content-Type"] == "application/pdf" and one.content.startswith(b"%PDF")
    assert "page 2" in officer_client.get(letter.get_absolute_url()).content.decode()


def test_an_emailed_batch_lists_each_family_and_who_still_needs_a_printed_letter(
    officer_client, school, library, committed
):
    ben = family(school)
    sister = family(school, forename="Ada", surname="Okafor", year=2)
    no_email = family(school, forename="Cal", surname="Jones", email="")
    with committed():
        response = officer_client.post(
            reverse("letters:produce"),
            {
                "template": library["concern"].pk,
                "shown": [ben.pk, sister.pk, no_email.pk],
                "pupils": [ben.pk, sister.pk, no_email.pk],
                "letter_date": "2026-11-23",
                "delivery": "email",
                "signatory_name": "Mr James Brown",
            },
        )
    batch = Batch.objects.get()
    assert response["Location"] == batch.get_absolute_url() and batch.delivery == "email"
    html = officer_client.get(batch.get_absolute_url()).content.decode()
    assert "Letters and their e-mails" in html
    sent = Letter.objects.filter(batch=batch, sent_at__isnull=False)
    assert {le.pupil for le in sent} == {ben, sister}
    assert html.count('<span class="badge good">Sent</span>') == 2
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mum@example.org"]  # one e-mail for the family
    assert "Cal Jones" in html and "parent.email" in html


def test_a_running_batch_refreshes_itself_and_lists_the_letters_that_failed(officer_client, school, officer, library):
    ben = family(school)
    batch = Batch.objects.create(
        school=school,
        template=library["concern"],
        template_version=library["concern"].version,
        letter_date=D(2026, 11, 23),
        created_by=officer.user,
        status=Batch.Status.RUNNING,
        phase=Batch.Phase.PREPARING,
        total=4,
        done=2,
        failed=1,
        errors=[{"pupil_id": ben.pk, "pupil": "Ben Okafor", "field": "meeting.date", "message": "No meeting date"}],
    )
    html = officer_client.get(batch.get_absolute_url()).content.decode()
    assert '<progress max="100" value="68"' in html and "Producing letters · preparing the letters in parts" in html
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert "Ben Okafor" in html and "meeting.date" in html and "No meeting date" in html
    assert "letters-batch.js" in html and "Download the PDF" in html  # hidden until there is one
    data = officer_client.get(reverse("letters:batch-progress", args=[batch.pk])).json()
    assert data["status"] == "running" and not data["finished"] and data["pdf_url"] is None
    assert data["errors"] == [{"pupil": "Ben Okafor", "field": "meeting.date", "message": "No meeting date"}]
    assert officer_client.get(reverse("letters:batch-pdf", args=[batch.pk])).status_code == 404


def test_records_list_filters(officer_client, school, officer, library):
    ben, amy = family(school), family(school, forename="Amy", surname="Adams")
    produce_letter(template=library["concern"], pupil=ben, user=officer.user, on=D(2026, 11, 23))
    produce_letter(template=library["congratulations"], pupil=amy, user=officer.user, on=D(2026, 11, 23))
    url = reverse("letters:letters")

    def names(**params):
        return sorted(le.pupil.name for le in officer_client.get(url, params).context["page"].object_list)

    assert names() == ["Amy Adams", "Ben Okafor"]
    assert names(q="okafor") == ["Ben Okafor"]
    assert names(template=library["congratulations"].pk) == ["Amy Adams"]
    assert names(delivery="email") == []
    assert names(date_from="2026-11-24") == []
    assert names(date_from="2026-11-01", date_to="2026-11-30") == ["Amy Adams", "Ben Okafor"]
    bad = officer_client.get(url, {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert "The end date is before the start date." in bad.content.decode()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def letterhead_post(**changes):
    data = {
        "address": "Oakfield Primary School\nOak Lane\nOakfield OA1 2BB",
        "telephone": "01632 960000",
        "email": "office@oakfield.example",
        "website": "oakfield.example",
        "font": "Liberation Serif",
        "accent_colour": "#225588",
        "signatory_name": "Mr J. Brown",
        "signatory_position": "Headteacher",
        "footer": "Oakfield Primary School is part of the Oak Trust.",
        "school_day_minutes": "390",
    }
    data.update(changes)
    return data


def test_the_letterhead_takes_a_real_image_and_refuses_anything_else(officer_client, school):
    url = reverse("letters:letterhead")
    html = officer_client.get(url).content.decode()
    no_inline_script_or_style(html)
    fake = SimpleUploadedFile("logo.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    response = officer_client.post(url, letterhead_post(logo_upload=fake))
    assert response.status_code == 400
    assert "not a PNG, JPEG or SVG image" in response.content.decode()
    assert not Letterhead.for_school(school).logo
    real = SimpleUploadedFile("anything.bin", PNG, content_type="application/octet-stream")
    response = officer_client.post(url, letterhead_post(logo_upload=real))
    assert response.status_code == 302
    letterhead = Letterhead.for_school(school)
    assert letterhead.logo and letterhead.logo_content_type == "image/png"
    assert letterhead.font == "Liberation Serif" and letterhead.signatory_name == "Mr J. Brown"
    logo = officer_client.get(reverse("letters:letterhead-logo"))
    assert logo["Content-Type"] == "image/png" and "sandbox" in logo["Content-Security-Policy"]
    assert b"".join(logo.streaming_content) == PNG
    # the next letter carries it
    assert "Mr J. Brown" in preview_html(school=school, subject="Hello", body="<p>Hi</p>")


def test_an_svg_logo_is_accepted_by_its_content(officer_client, school):
    svg = io.BytesIO(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    upload = SimpleUploadedFile("crest.svg", svg.getvalue(), content_type="image/svg+xml")
    response = officer_client.post(reverse("letters:letterhead"), letterhead_post(logo_upload=upload))
    assert response.status_code == 302
    assert Letterhead.for_school(school).logo_content_type == "image/svg+xml"


def test_the_staff_menu_has_letters_for_the_officer_only(client, school, officer):
    client.force_login(officer.user)
    html = client.get(reverse("letters:letters")).content.decode()
    assert f'<a href="{reverse("letters:templates")}" aria-current="page">Letters</a>' in html
    office = StaffFactory(school=school, position=P.OFFICE)
    client.force_login(office.user)
    assert f'href="{reverse("letters:templates")}"' in client.get(reverse("pupil-list")).content.decode()
    data_manager = StaffFactory(school=school, position=P.DATA_MANAGER)
    client.force_login(data_manager.user)
    assert f'href="{reverse("letters:templates")}"' not in client.get(reverse("pupil-list")).content.decode()
