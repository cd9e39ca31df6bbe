"""Thin Celery tasks: sending one e-mail, and retrying the ones a mail server refused.

Each imports what it wraps (`absences.emails`) inside the function: `emails` imports this module
at load time to enqueue, so the import only ever runs one way."""

from celery import shared_task


@shared_task(name="absences.send_email", ignore_result=True)
def send_email(delivery_id: int) -> None:
    from .emails import deliver

    deliver(delivery_id)


@shared_task(name="absences.retry_failed_emails", ignore_result=True)
def retry_failed_emails() -> int:
    from .emails import retry_failed

    return retry_failed()
