"""The outbox's periodic re-send (beat, every minute): work the broker could not take when it
was written is sent once the broker is back."""

from celery import shared_task


@shared_task(name="common.resend_outbox", ignore_result=True)
def resend_outbox() -> int:
    from .outbox import resend_unsent

    return resend_unsent()
