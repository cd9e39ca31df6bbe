"""Issue 16, faults: the broker (Redis) is down while teachers take the morning registers.

Every mark is saved and the pages answer as usual; the work that would have gone to the
workers (an e-mail to a parent, the decision letter of a leave request, the officer's "run the
checks now") is kept in the outbox with the data, and a real worker does each piece exactly
once when the broker is back and the outbox is re-sent, however often it is re-sent."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from absences.emails import queue_email
from absences.models import EmailDelivery, LeaveRequest
from absences.services.leave import refuse_leave
from common.models import OutboxMessage
from common.outbox import waiting
from interventions.models import Alert, CheckRun
from interventions.services import load_policy_preset
from interventions.tasks import run_checks_for_school
from letters.models import Letter
from letters.services.letterhead import save_letterhead
from letters.services.templates import install_starter_templates
from registers.models import Mark, SchoolDay, Staff
from tests.celery_worker import wait_for
from tests.factories import StaffFactory, make_school, write
from tests.faults.support import broker, needs_broker_and_workers, workers  # noqa: F401 (fixtures)
from tests.letters.conftest import add_contact
from tests.registers.register_helpers import (
    MONDAY,
    PASSWORD,
    clock,
    full_post,
    login,
    make_pupils,
    make_teacher,
    register_for,
    year3,
)

pytestmark = needs_broker_and_workers

TASKS = {"absences.send_email", "interventions.run_checks_for_school", "letters.produce_leave_letter"}


def _school_with_work(tmp_path, settings):
    settings.PRIVATE_ROOT = tmp_path / "private"
    school = make_school()
    install_starter_templates(school=school)
    save_letterhead(school=school, user=None, signatory_name="Mrs H Whitfield", signatory_position="Headteacher")
    load_policy_preset(school=school, preset="B")
    make_teacher(school)
    StaffFactory(school=school, position=Staff.Position.ATTENDANCE_OFFICER, user__username="officer")
    head = StaffFactory(school=school, position=Staff.Position.HEADTEACHER, user__username="head")
    pupils = make_pupils(school, 4)
    for pupil in pupils:
        add_contact(pupil, email=f"parent{pupil.pk}@example.com")
    last_week = SchoolDay.objects.filter(school=school, date__range=(MONDAY - dt.timedelta(days=7), MONDAY)).exclude(
        date=MONDAY
    )
    write(school, pupils[0], {(d.date, s): "O" for d in last_week for s in ("AM", "PM")})
    return school, head, pupils


@pytest.mark.django_db(transaction=True)
def test_registers_are_saved_while_the_broker_is_down_and_the_kept_work_is_done_once_when_it_is_back(
    broker,  # noqa: F811
    workers,  # noqa: F811
    tmp_path,
    settings,
):
    school, head, pupils = _school_with_work(tmp_path, settings)
    workers.start()
    broker.stop()

    # the teacher takes the register: saved, and the page answers as usual
    teacher = login(Client(), "teacher")
    register = register_for(school, year3(school))
    with clock(9, 6):
        response = teacher.post(
            reverse("registers:register", args=[register.pk]), full_post(register, pupils, {pupils[0].pk: "N"})
        )
        assert response.status_code == 302
        assert teacher.get(response["Location"]).status_code == 200
    register.refresh_from_db()
    assert register.state == "taken"
    assert Mark.objects.filter(register=register).count() == 4

    # the officer asks for today's checks; the head refuses a leave request; a parent is e-mailed
    with clock(9, 10):
        officer = login(Client(), "officer")
        assert officer.post(reverse("interventions:run-checks")).status_code == 302
    leave = LeaveRequest.objects.create(
        school=school,
        pupil=pupils[1],
        contact=pupils[1].contacts.first(),
        submitted_by=head.user,
        submission_key=uuid.uuid4(),
        circumstance=LeaveRequest.Circumstance.EXCEPTIONAL,
        reason="A family wedding",
        start_date=dt.date(2027, 1, 11),
        end_date=dt.date(2027, 1, 15),
    )
    refuse_leave(leave_request=leave, user=head.user, reason="Not exceptional circumstances.")
    with transaction.atomic():
        delivery = queue_email(
            to="parent@example.com", template="absences/email/report_received.txt", context={}, subject="Received"
        )

    # nothing lost, nothing done: the decision and the e-mail's record are saved, the work waits
    leave.refresh_from_db()
    assert leave.status == LeaveRequest.Status.REFUSED
    rows = list(OutboxMessage.objects.all())
    assert {r.task for r in rows} == TASKS and len(rows) == 3
    assert all(r.sent_at is None and r.attempts == 1 and "OperationalError" in r.last_error for r in rows)
    call_command("resend_outbox")  # still down: still waiting
    assert waiting() == 3
    assert not Alert.objects.exists() and not Letter.objects.exists()
    assert EmailDelivery.objects.get(pk=delivery.pk).status == EmailDelivery.Status.PENDING

    # the broker is back: the re-send hands each piece to the worker, which does it
    broker.start()
    call_command("resend_outbox")
    assert waiting() == 0

    def all_done():
        return OutboxMessage.objects.filter(done_at__isnull=True).count() == 0

    assert wait_for(all_done, timeout=120), workers.logs()[-3000:]
    assert EmailDelivery.objects.get(pk=delivery.pk).status == EmailDelivery.Status.SENT
    assert Letter.objects.filter(leave_request=leave).count() == 1
    alerts = Alert.objects.filter(school=school)
    assert alerts.exists() and set(alerts.values_list("pupil_id", flat=True)) == {pupils[0].pk}
    first_run = CheckRun.objects.get(school=school, date=MONDAY).computed_at

    # the same rows sent again (as when "sent" was not recorded): the worker runs none of them twice
    alerts_before = alerts.count()
    OutboxMessage.objects.update(sent_at=None)
    call_command("resend_outbox")
    other = make_school(urn="100999", name="Other School")
    # a last task after them: the worker takes tasks in order, one at a time
    marker = run_checks_for_school.apply_async_on_commit((other.pk, MONDAY.isoformat()))
    assert wait_for(lambda: OutboxMessage.objects.filter(pk=marker.pk, done_at__isnull=False).exists())
    assert workers.messages_to("parent@example.com") == 1
    assert EmailDelivery.objects.get(pk=delivery.pk).attempts == 1
    assert Letter.objects.filter(leave_request=leave).count() == 1
    assert alerts.count() == alerts_before
    assert CheckRun.objects.get(school=school, date=MONDAY).computed_at == first_run
    assert workers.logs().count("was done already: not run again") == 3


@pytest.mark.django_db(transaction=True)
def test_with_the_cache_and_sessions_on_the_same_redis_a_teacher_still_takes_the_register_when_it_is_down(
    broker,  # noqa: F811
    settings,
):
    """Production keeps the cache and the sessions (`cached_db`) on the broker's Redis too: a
    signed-in teacher's pages must not depend on it (with Django's own `cached_db` every page
    was a server error; common.sessions carries on from the database)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": broker.url[:-1] + "1"}
    }
    settings.SESSION_ENGINE = "common.sessions"
    school = make_school()
    make_teacher(school)
    pupils = make_pupils(school, 3)
    register = register_for(school, year3(school))
    teacher = login(Client(), "teacher")
    with clock(9, 1):
        assert teacher.get(reverse("registers:today")).status_code == 200
    broker.stop()
    with clock(9, 6):
        assert teacher.get(reverse("registers:register", args=[register.pk])).status_code == 200
        response = teacher.post(reverse("registers:register", args=[register.pk]), full_post(register, pupils))
        assert response.status_code == 302
        assert teacher.get(response["Location"]).status_code == 200
    register.refresh_from_db()
    assert register.state == "taken" and Mark.objects.filter(register=register).count() == 3
    # signing in while it is down works too (a new session key is checked against the database)
    assert Client().post(reverse("login"), {"username": "teacher", "password": PASSWORD}).status_code == 302
