"""A batch on a real Celery worker (see tests/celery_worker.py)."""

import datetime as dt
import time

import pytest

from letters.models import Batch, Letter, LetterTemplate
from letters.services.letterhead import save_letterhead
from letters.services.templates import install_starter_templates
from letters.tasks import render_batch
from tests.celery_worker import needs_real_worker, wait_for
from tests.factories import PupilFactory, StaffFactory, make_school
from tests.letters.conftest import add_contact, present_every_day

D = dt.date

pytestmark = needs_real_worker


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_a_batch_once_however_often_it_is_asked(worker_queue):
    school = make_school()
    install_starter_templates(school=school)
    save_letterhead(school=school, user=None, signatory_name="Mrs H Whitfield", signatory_position="Headteacher")
    officer = StaffFactory(school=school, position="attendance_officer")
    pupils = []
    for n in range(3):
        pupil = PupilFactory(school=school, legal_surname=f"Worker{n}")
        present_every_day(school, pupil, D(2026, 11, 2), D(2026, 11, 20), {(D(2026, 11, 4), "AM"): "O"})
        add_contact(pupil, address="" if n == 1 else f"{n} Mill Lane")
        pupils.append(pupil)
    template = LetterTemplate.objects.get(school=school, key="concern")
    batch = Batch.objects.create(
        school=school,
        template=template,
        template_version=template.version,
        letter_date=D(2026, 11, 23),
        pupil_ids=[p.pk for p in pupils],
        created_by=officer.user,
        total=3,
    )
    for _ in range(3):
        render_batch.apply_async((batch.pk,), queue=worker_queue)
    assert wait_for(lambda: Batch.objects.get(pk=batch.pk).status == Batch.Status.DONE)
    time.sleep(3)  # the other two deliveries must add nothing
    batch.refresh_from_db()
    assert (batch.done, batch.failed) == (2, 1) and batch.errors[0]["pupil_id"] == pupils[1].pk
    assert Letter.objects.filter(batch=batch).count() == 2
    with batch.pdf.open("rb") as f:
        assert f.read().startswith(b"%PDF-")


@pytest.mark.django_db(transaction=True)
def test_parts_on_a_real_worker_join_in_order_and_a_part_failing_once_is_retried_alone(worker_queue, monkeypatch):
    """Five letters in parts of two (three parts); the second part's layout fails once. The part
    is retried on its own, and the joined print has the same pages, in the same order, as the
    letters laid out together as one document by one worker."""
    import io

    from pypdf import PdfReader

    from letters import pdf
    from letters.services import batches

    school = make_school()
    install_starter_templates(school=school)
    save_letterhead(school=school, user=None, signatory_name="Mrs H Whitfield", signatory_position="Headteacher")
    officer = StaffFactory(school=school, position="attendance_officer")
    pupils = []
    for n, surname in enumerate(["Evans", "Ahmed", "Dunn", "Brown", "Cole"]):
        pupil = PupilFactory(school=school, legal_surname=surname)
        present_every_day(school, pupil, D(2026, 11, 2), D(2026, 11, 20), {(D(2026, 11, 4), "AM"): "O"})
        add_contact(pupil, address=f"{n + 1} Mill Lane")
        pupils.append(pupil)
    by_name = sorted(pupils, key=lambda p: (p.legal_surname, p.legal_forename, p.pk))
    cole = by_name[2]  # the second part is Cole and Dunn

    real_lay_out, failed = pdf.lay_out, []

    def lay_out_failing_once(html, anchors):
        if not failed and any(a.startswith(f"letter-{cole.pk}-") for a in anchors):
            failed.append(anchors)
            raise RuntimeError("the worker ran out of memory")
        return real_lay_out(html, anchors)

    monkeypatch.setattr(batches, "PART_SIZE", 2)
    monkeypatch.setattr(pdf, "lay_out", lay_out_failing_once)
    template = LetterTemplate.objects.get(school=school, key="concern")
    batch = Batch.objects.create(
        school=school,
        template=template,
        template_version=template.version,
        letter_date=D(2026, 11, 23),
        pupil_ids=[p.pk for p in pupils],
        created_by=officer.user,
        total=5,
    )
    render_batch.apply_async((batch.pk,), queue=worker_queue)
    assert wait_for(lambda: Batch.objects.get(pk=batch.pk).status == Batch.Status.DONE)
    batch.refresh_from_db()
    assert (batch.done, batch.failed, batch.errors) == (5, 0, [])
    parts = list(batch.parts.order_by("index"))
    assert [p.pupil_ids for p in parts] == [[p.pk for p in by_name[i : i + 2]] for i in (0, 2, 4)]
    assert [(p.status, p.attempts) for p in parts] == [("done", 1), ("done", 2), ("done", 1)]
    assert len(failed) == 1

    letters = list(Letter.objects.filter(batch=batch).order_by("batch_first_page"))
    assert [letter.pupil_id for letter in letters] == [p.pk for p in by_name]
    with batch.pdf.open("rb") as f:
        joined = PdfReader(io.BytesIO(f.read()))
    anchors = [f"letter-{letter.pupil_id}-{letter.household}" for letter in letters]
    one_document = real_lay_out(
        pdf.document_html([letter.html for letter in letters], title=template.title, font="DejaVu Sans"), anchors
    ).write()
    single = PdfReader(io.BytesIO(one_document))
    assert len(joined.pages) == len(single.pages) == 5
    assert [p.extract_text() for p in joined.pages] == [p.extract_text() for p in single.pages]
    assert [p.mediabox for p in joined.pages] == [p.mediabox for p in single.pages]
