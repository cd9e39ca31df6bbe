"""The transactional outbox (common.outbox) and the house task base (common.tasking), without a
worker: what is written, when it is sent, what a re-send does. The fault tests in tests/faults/
run the same with a real broker and worker."""

import datetime as dt
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from absences.emails import queue_email
from absences.models import EmailDelivery
from absences.tasks import send_email
from attendance_site.celery import app
from common import outbox
from common.models import OutboxMessage
from common.tasking import HouseTask
from tests.faults.support import free_port, publishing_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def broker_down():
    """Tasks go to a broker on a closed port (nothing is running there)."""
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0"):
        yield


@pytest.fixture
def published(monkeypatch):
    """The broker takes everything: what was published, without a broker."""
    calls = []

    def apply_async(self, args=None, kwargs=None, task_id=None, **options):
        calls.append((self.name, list(args or ()), task_id, options.get("queue")))

    app.conf.task_always_eager, before = False, app.conf.task_always_eager
    monkeypatch.setattr(HouseTask, "apply_async", apply_async)
    yield calls
    app.conf.task_always_eager = before


def _email():
    return queue_email(to="parent@example.com", template="absences/email/report_received.txt", context={}, subject="S")


def test_with_tasks_in_process_nothing_is_written_and_the_task_runs_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        delivery = _email()
        assert not mail.outbox  # not before the commit
    assert not OutboxMessage.objects.exists()
    assert EmailDelivery.objects.get(pk=delivery.pk).status == EmailDelivery.Status.SENT and len(mail.outbox) == 1


def test_the_row_is_written_with_the_data_and_waits_when_the_broker_is_down(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        delivery = _email()
    row = OutboxMessage.objects.get()
    assert (row.task, row.args, row.kwargs) == ("absences.send_email", [delivery.pk], {})
    assert row.sent_at is None and row.attempts == 1 and "OperationalError" in row.last_error
    assert outbox.waiting() == 1 and not mail.outbox


def test_a_rolled_back_transaction_leaves_neither_the_data_nor_the_task(broker_down):
    with pytest.raises(RuntimeError), transaction.atomic():
        _email()
        raise RuntimeError("the report was refused")
    assert not EmailDelivery.objects.exists() and not OutboxMessage.objects.exists()


def test_a_resend_stops_at_the_first_refusal_while_the_broker_is_still_down(broker_down):
    first = send_email.apply_async_on_commit((1,))
    second = send_email.apply_async_on_commit((2,))
    OutboxMessage.objects.update(attempts=0, last_error="")
    assert outbox.resend_unsent(older_than=dt.timedelta(0)) == 0
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 0)


def test_a_resend_sends_each_waiting_row_once_with_its_id_as_the_task_id(published):
    rows = [OutboxMessage.objects.create(task="absences.send_email", args=[n], options={"queue": "q"}) for n in (1, 2)]
    OutboxMessage.objects.filter(pk=rows[1].pk).update(created_at=timezone.now())  # too new: its request sends it
    assert outbox.resend_unsent(older_than=dt.timedelta(0)) == 2
    assert outbox.resend_unsent(older_than=dt.timedelta(0)) == 0  # sent rows are not sent again
    assert published == [
        ("absences.send_email", [1], str(rows[0].pk), "q"),
        ("absences.send_email", [2], str(rows[1].pk), "q"),
    ]
    assert all(r.sent_at and r.attempts == 1 for r in OutboxMessage.objects.all())


def test_a_young_row_is_left_to_the_request_that_wrote_it(published):
    OutboxMessage.objects.create(task="absences.send_email", args=[1])
    assert outbox.resend_unsent() == 0 and outbox.waiting() == 1


def test_a_row_naming_no_task_is_marked_and_does_not_hold_up_the_others(published):
    OutboxMessage.objects.create(task="absences.renamed_long_ago", args=[1])
    OutboxMessage.objects.create(task="absences.send_email", args=[2])
    assert outbox.resend_unsent(older_than=dt.timedelta(0)) == 1
    assert OutboxMessage.objects.get(task="absences.renamed_long_ago").last_error.startswith("No task called")


def test_sent_rows_are_deleted_after_a_week(published):
    old = OutboxMessage.objects.create(task="absences.send_email", args=[1], sent_at=timezone.now() - dt.timedelta(8))
    recent = OutboxMessage.objects.create(task="absences.send_email", args=[2], sent_at=timezone.now())
    outbox.resend_unsent()
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk} and old.pk != recent.pk


def test_the_command_says_what_it_sent(published, capsys):
    OutboxMessage.objects.create(task="absences.send_email", args=[1])
    call_command("resend_outbox")
    assert capsys.readouterr().out.strip() == "1 sent, 0 still waiting"


def _run_as_delivered(task, task_id, *args):
    task.push_request(id=task_id, is_eager=False)
    try:
        return task(*args)
    finally:
        task.pop_request()


def test_a_task_whose_row_a_worker_finished_is_not_run_again():
    delivery = _email()
    row = OutboxMessage.objects.create(task="absences.send_email", args=[delivery.pk], sent_at=timezone.now())
    _run_as_delivered(send_email, str(row.pk), delivery.pk)
    row.refresh_from_db()
    assert row.done_at is not None and len(mail.outbox) == 1
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=EmailDelivery.Status.PENDING)  # would send again
    _run_as_delivered(send_email, str(row.pk), delivery.pk)
    assert len(mail.outbox) == 1
    _run_as_delivered(send_email, str(uuid.uuid4()), delivery.pk)  # not from the outbox: runs
    assert len(mail.outbox) == 2


def test_every_task_is_acknowledged_late_and_given_back_if_its_worker_dies():
    tasks = [t for name, t in app.tasks.items() if not name.startswith("celery.")]
    assert tasks and all(t.acks_late and t.reject_on_worker_lost for t in tasks)
