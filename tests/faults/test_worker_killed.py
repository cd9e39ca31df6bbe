"""Issue 16, faults: a Celery worker killed (SIGKILL, as the out-of-memory killer or a careless
deploy would) in the middle of a letters batch or a checks run. The task was acknowledged late,
so the broker gives it back; the run completes on the retry with no duplicate letter, e-mail or
alert. A test-only hook in tests/faults/worker.py holds the worker at the chosen point."""

import datetime as dt

import pytest

from common.models import OutboxMessage
from interventions.models import Alert, CheckRun
from interventions.services import load_policy_preset
from interventions.tasks import run_checks_for_school
from letters.models import Batch, Letter, LetterTemplate
from letters.services.batches import start_batch
from letters.services.letterhead import save_letterhead
from letters.services.templates import install_starter_templates
from registers.models import SchoolDay
from tests.celery_worker import wait_for
from tests.factories import PupilFactory, StaffFactory, make_school, write
from tests.faults.support import broker, needs_broker_and_workers, sigkill, wait_for_marker, workers  # noqa: F401
from tests.letters.conftest import add_contact, present_every_day

D = dt.date
pytestmark = needs_broker_and_workers


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_one_letter_and_one_email_per_household_after_the_retry(
    broker,  # noqa: F811
    workers,  # noqa: F811
    tmp_path,
    settings,
):
    """The whole worker dies after the letters are recorded and the first household's e-mail
    has gone. A new worker gets the batch back (the broker's visibility timeout), takes over
    the dead worker's claim on it and sends only the e-mails not yet sent."""
    settings.PRIVATE_ROOT = tmp_path / "private"
    school = make_school()
    install_starter_templates(school=school)
    save_letterhead(school=school, user=None, signatory_name="Mrs H Whitfield", signatory_position="Headteacher")
    officer = StaffFactory(school=school, position="attendance_officer")
    pupils = []
    for n in range(3):
        pupil = PupilFactory(school=school, legal_surname=f"Killed{n}")
        present_every_day(school, pupil, D(2026, 11, 2), D(2026, 11, 20), {(D(2026, 11, 4), "AM"): "O"})
        add_contact(pupil, address=f"{n} Mill Lane", email=f"family{n}@example.com")
        pupils.append(pupil)
    template = LetterTemplate.objects.get(school=school, key="concern")

    marker = tmp_path / "paused"
    first = workers.start(pause="letters", marker=marker)
    batch = start_batch(template=template, pupils=pupils, user=officer.user, on=D(2026, 11, 23), delivery="email")
    assert wait_for_marker(marker, workers) == first.pid
    # held before the second household's e-mail: every letter recorded, one e-mail sent
    assert Letter.objects.filter(batch=batch).count() == 3
    assert sum(workers.messages_to(f"family{n}@example.com") for n in range(3)) == 1
    sigkill(first.pid)
    first.wait()
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.RUNNING

    workers.start(visibility=2)
    assert wait_for(lambda: Batch.objects.get(pk=batch.pk).status == Batch.Status.DONE, timeout=120), workers.logs()
    batch.refresh_from_db()
    assert (batch.done, batch.failed) == (3, 0)
    letters = Letter.objects.filter(batch=batch)
    assert sorted(letters.values_list("pupil_id", flat=True)) == sorted(p.pk for p in pupils)
    assert all(letter.sent_at for letter in letters)
    assert [workers.messages_to(f"family{n}@example.com") for n in range(3)] == [1, 1, 1]
    assert OutboxMessage.objects.get(task="letters.render_batch").done_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_mid_checks_is_given_back_and_the_run_completes_with_one_alert_per_rule(
    broker,  # noqa: F811
    workers,  # noqa: F811
):
    """The pool process running the checks dies after the first rule's alerts are written. The
    worker gives the task back at once (reject_on_worker_lost) and a fresh process runs the
    checks again: the first rule's alerts are not repeated and the other rules' are made."""
    school = make_school()
    load_policy_preset(school=school, preset="B")
    dates = SchoolDay.objects.filter(school=school, date__range=(D(2026, 3, 9), D(2026, 3, 13))).values_list(
        "date", flat=True
    )
    pupils = [PupilFactory(school=school) for _ in range(3)]
    for pupil in pupils:
        write(school, pupil, {(d, s): "O" for d in dates for s in ("AM", "PM")})

    marker = workers.tmp / "paused"
    worker = workers.start(pause="checks", marker=marker, pool="prefork")
    run_checks_for_school.apply_async_on_commit((school.pk, "2026-03-13"))
    child = wait_for_marker(marker, workers)
    assert child != worker.pid  # the pool process, not the worker
    assert Alert.objects.filter(school=school).count() == 3  # the first rule's, one per pupil
    sigkill(child)

    assert wait_for(lambda: CheckRun.objects.filter(school=school, date=D(2026, 3, 13)).exists(), timeout=120), (
        workers.logs()
    )
    assert worker.poll() is None  # the same worker, a new pool process
    alerts = Alert.objects.filter(school=school)
    assert alerts.count() == 12
    assert set(alerts.values_list("pupil_id", "rule_id").distinct()) == {
        (p.pk, r) for p in pupils for r in set(alerts.values_list("rule_id", flat=True))
    }
    assert len(set(alerts.values_list("rule__trigger", flat=True))) == 4
    assert "WorkerLostError" in workers.logs()
    assert OutboxMessage.objects.get().done_at is not None
