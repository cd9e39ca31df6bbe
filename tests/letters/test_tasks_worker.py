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
