"""Batches (tasks run in-process here): one document laid out once, progress, failures that name
the pupil and field without losing the rest, re-runs that add nothing, one PDF per household for
e-mail."""

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from interventions.models import Action
from letters import pdf
from letters.errors import LetterError
from letters.models import Batch, Letter, LetterTemplate
from letters.rendering import letter_pdf_bytes
from letters.services import batches
from letters.services.batches import start_batch
from letters.tasks import render_batch
from tests.factories import PupilFactory, make_school
from tests.letters.conftest import ON, add_contact, present_every_day

D = dt.date
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")


def pdf_text(content: bytes, first=None, last=None) -> str:
    command = ["pdftotext", "-layout"]
    if first:
        command += ["-f", str(first), "-l", str(last or first)]
    result = subprocess.run([*command, "-", "-"], input=content, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def concern(school):
    return LetterTemplate.objects.get(school=school, key="concern")


@pytest.fixture
def pupils(letters_school):
    """Three pupils with figures; the second has nobody recorded at an address."""
    out = []
    for n, (forename, address) in enumerate([("Amy", "1 Oak Road"), ("Ben", ""), ("Cal", "3 Elm Road")]):
        p = PupilFactory(school=letters_school, legal_forename=forename, legal_surname=f"Family{n}")
        present_every_day(letters_school, p, D(2026, 11, 2), D(2026, 11, 20), {(D(2026, 11, 4), "AM"): "O"})
        add_contact(
            p,
            title="Mrs",
            forename="Pat",
            address=address,
            postcode="MD1 1AA" if address else "",
            email=f"family{n}@example.com",
        )
        out.append(p)
    return out


def test_a_failure_names_the_pupil_and_field_and_the_rest_are_printed(
    pupils, letters_school, officer, monkeypatch, committed
):
    layouts = []
    real = pdf.lay_out
    monkeypatch.setattr(pdf, "lay_out", lambda html, anchors: layouts.append(len(anchors)) or real(html, anchors))
    with committed():
        batch = start_batch(template=concern(letters_school), pupils=pupils, user=officer.user, on=ON)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.finished_at is not None
    assert (batch.total, batch.done, batch.failed, batch.progress_percent) == (3, 2, 1, 100)
    [error] = batch.errors
    assert error["pupil_id"] == pupils[1].pk and error["pupil"] == "Ben Family1"
    assert error["field"] == "parent.address" and "Ben Family1" in error["message"]
    assert layouts == [2]  # ONE document with both letters, laid out once
    letters = list(batch.letters.order_by("batch_first_page"))
    assert [(letter.pupil, letter.batch_first_page, letter.pages) for letter in letters] == [
        (pupils[0], 1, 1),
        (pupils[2], 2, 1),
    ]
    assert all(letter.template_version == 1 and letter.produced_by == officer.user for letter in letters)
    assert all(letter.history.count() == 1 for letter in letters)  # audited, in bulk
    with batch.pdf.open("rb") as f:
        assert f.read().startswith(b"%PDF-")


@needs_pdftotext
def test_the_batch_pdf_holds_each_letter_on_its_pages(pupils, letters_school, officer, committed):
    with committed():
        batch = start_batch(template=concern(letters_school), pupils=[pupils[0], pupils[2]], user=officer.user, on=ON)
    batch.refresh_from_db()
    with batch.pdf.open("rb") as f:
        whole = f.read()
    for letter in Letter.objects.filter(batch=batch):
        on_its_pages = pdf_text(whole, letter.batch_first_page)
        assert f"Dear Mrs {letter.pupil.legal_surname}," in on_its_pages
        # the letter on its own is those very pages of the print, cut out of the stored PDF
        alone = letter_pdf_bytes(letter)
        assert pdf_text(alone) == on_its_pages
        assert len(PdfReader(io.BytesIO(alone)).pages) == letter.pages


def test_running_a_batch_again_adds_nothing(pupils, letters_school, officer, committed):
    with committed():
        batch = start_batch(template=concern(letters_school), pupils=pupils, user=officer.user, on=ON)
    before = list(Letter.objects.order_by("pk").values_list("pk", flat=True))
    render_batch.delay(batch.pk)
    render_batch(batch.pk)
    assert list(Letter.objects.order_by("pk").values_list("pk", flat=True)) == before
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.done == 2


def test_a_batch_interrupted_part_way_is_finished_without_duplicates(pupils, letters_school, officer, committed):
    with committed():
        batch = start_batch(template=concern(letters_school), pupils=pupils[:1], user=officer.user, on=ON)
    # the worker died after saving the first letter; the batch now also has Cal
    Batch.objects.filter(pk=batch.pk).update(
        status=Batch.Status.RUNNING,
        pupil_ids=[pupils[0].pk, pupils[2].pk],
        started_at=timezone.now() - dt.timedelta(hours=1),
    )
    with committed():
        render_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE
    assert sorted(Letter.objects.filter(batch=batch).values_list("pupil_id", flat=True)) == [pupils[0].pk, pupils[2].pk]


def test_a_batch_another_worker_is_running_is_left_to_it(pupils, letters_school, officer):
    template = concern(letters_school)
    batch = Batch.objects.create(
        school=letters_school,
        template=template,
        template_version=1,
        letter_date=ON,
        pupil_ids=[pupils[0].pk],
        status=Batch.Status.RUNNING,
        started_at=timezone.now(),
        total=1,
    )
    render_batch(batch.pk)
    assert not Letter.objects.exists()


def test_progress_is_written_as_each_part_finishes(pupils, letters_school, officer, monkeypatch, committed):
    seen = []
    real = batches.part_finished

    def spy(*, part, queue=None):
        real(part=part, queue=queue)
        fresh = Batch.objects.get(pk=part.batch_id)
        seen.append((fresh.phase, fresh.done, fresh.failed, fresh.progress_percent))

    real_join = batches.join_batch

    def join_spy(*, batch):
        fresh = Batch.objects.get(pk=batch.pk)
        seen.append((fresh.phase, fresh.done, fresh.failed, fresh.progress_percent))
        return real_join(batch=batch)

    monkeypatch.setattr(batches, "PART_SIZE", 2)
    monkeypatch.setattr("letters.services.batches.part_finished", spy)
    monkeypatch.setattr("letters.services.batches.join_batch", join_spy)
    with committed():
        batch = start_batch(template=concern(letters_school), pupils=pupils, user=officer.user, on=ON)
    # Amy and Ben in the first part (Ben has no address), Cal in the second; then the join
    # (the captured on-commit callbacks run in turn, so the join runs inside the last part's report)
    assert seen[0] == ("preparing", 1, 1, 60) and ("saving", 2, 1, 92) in seen
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.progress_percent == 100
    assert list(batch.parts.values_list("index", "pupil_ids")) == [(0, [p.pk for p in pupils[:2]]), (1, [pupils[2].pk])]
    # once joined, the parts' PDFs and articles (copies of the letters on record) are cleared
    assert list(batch.parts.values_list("pdf", "letters")) == [("", []), ("", [])]


def test_options_problems_fail_the_batch_with_a_message(pupils, letters_school, officer, committed):
    invitation = LetterTemplate.objects.get(school=letters_school, key="meeting_invitation")
    with committed():
        batch = start_batch(template=invitation, pupils=pupils[:1], user=officer.user, on=ON)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FAILED and batch.errors[0]["field"] == "meeting.date"
    with pytest.raises(LetterError):
        start_batch(template=invitation, pupils=pupils[:1], user=officer.user, on=ON, options={"meeting_date": "soon"})
    other = PupilFactory(school=make_school(urn="100002", name="Elsewhere"))
    with pytest.raises(LetterError) as caught:
        start_batch(template=invitation, pupils=[other], user=officer.user, on=ON)
    assert caught.value.field == "pupils"


def test_email_batches_send_one_pdf_per_household(letters_school, officer, committed):
    """Two siblings whose parents' contact rows share the e-mail address get one e-mail with
    both letters in one PDF; another family gets its own."""
    siblings = []
    for forename in ("Ola", "Tobi"):
        p = PupilFactory(school=letters_school, legal_forename=forename, legal_surname="Ade")
        present_every_day(letters_school, p, D(2026, 11, 2), D(2026, 11, 20))
        add_contact(p, title="Mrs", forename="Funmi", email="funmi@example.com")
        siblings.append(p)
    other = PupilFactory(school=letters_school, legal_forename="Zed", legal_surname="Other")
    present_every_day(letters_school, other, D(2026, 11, 2), D(2026, 11, 20))
    add_contact(other, title="Mr", forename="Lee", surname="Other", email="lee@example.com", address="9 Far Lane")
    with committed():
        batch = start_batch(
            template=concern(letters_school), pupils=[*siblings, other], user=officer.user, on=ON, delivery="email"
        )
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.errors == [] and not batch.pdf
    letters = {letter.pupil.legal_forename: letter for letter in batch.letters.all()}
    assert letters["Ola"].pdf.name == letters["Tobi"].pdf.name != letters["Zed"].pdf.name
    assert letters["Ola"].household == letters["Tobi"].household
    assert len(mail.outbox) == 2
    family = next(m for m in mail.outbox if m.to == ["funmi@example.com"])
    [(_name, content, mime)] = family.attachments
    assert mime == "application/pdf" and content == letter_pdf_bytes(letters["Ola"])
    assert "Ola and Tobi" in family.body
    assert all(letter.sent_at and letter.emailed_to for letter in letters.values())


@needs_pdftotext
def test_the_family_pdf_has_both_siblings_letters(letters_school, officer, committed):
    siblings = []
    for forename in ("Ola", "Tobi"):
        p = PupilFactory(school=letters_school, legal_forename=forename, legal_surname="Ade")
        present_every_day(letters_school, p, D(2026, 11, 2), D(2026, 11, 20))
        add_contact(p, title="Mrs", forename="Funmi", email="funmi@example.com")
        siblings.append(p)
    with committed():
        start_batch(template=concern(letters_school), pupils=siblings, user=officer.user, on=ON, delivery="email")
    [message] = mail.outbox
    text = pdf_text(message.attachments[0][1])
    assert "Ola’s attendance" in text and "Tobi’s attendance" in text


def test_batch_letters_complete_the_actions_they_answer(letters_school, officer, committed):
    from interventions.services import open_case, record_action

    pupil = PupilFactory(school=letters_school)
    present_every_day(letters_school, pupil, D(2026, 11, 2), D(2026, 11, 20))
    add_contact(pupil)
    action = record_action(
        case=open_case(pupil=pupil, on=ON), kind="letter", letter_template="concern", user=officer.user, on=ON
    )
    with committed():
        batch = start_batch(
            template=concern(letters_school),
            pupils=[pupil],
            user=officer.user,
            on=ON,
            options={"links": {str(pupil.pk): {"action": action.pk}}},
        )
    [letter] = batch.letters.all()
    assert letter.action == action
    assert Action.objects.get(pk=action.pk).done_on == ON


def test_a_part_that_keeps_failing_fails_the_batch_with_the_reason_after_its_retries(
    pupils, letters_school, officer, monkeypatch, committed
):
    from letters.tasks import PART_RETRIES

    def broken(html, anchors):
        raise RuntimeError("WeasyPrint ran out of memory")

    monkeypatch.setattr(pdf, "lay_out", broken)
    with committed():
        batch = start_batch(template=concern(letters_school), pupils=pupils, user=officer.user, on=ON)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FAILED and batch.finished_at is not None and not batch.pdf
    [part] = batch.parts.all()
    assert (part.status, part.attempts) == ("failed", 1 + PART_RETRIES)
    assert batch.errors[-1]["message"] == "The batch stopped: WeasyPrint ran out of memory"
    assert not Letter.objects.filter(batch=batch).exists()
