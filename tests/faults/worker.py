"""A Celery worker in its own process for the fault tests, so a test can SIGKILL it.

The environment says how: FAULTS_QUEUE, FAULTS_POOL (solo: one process; prefork: a parent and
one child), FAULTS_MAIL (a directory for the e-mails sent), FAULTS_VISIBILITY (seconds before
the broker gives an unacknowledged task to another worker). FAULTS_PAUSE names a test-only
hook: the first time that work reaches its middle, the process writes its pid to FAULTS_MARKER
and waits there to be killed; once the marker exists the work goes on normally."""

from __future__ import annotations

import os
import time


def wait_here() -> None:
    marker = os.environ.get("FAULTS_MARKER")
    if not marker or os.path.exists(marker):
        return
    with open(marker + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(marker + ".tmp", marker)
    while True:  # until SIGKILL
        time.sleep(1)


def pause_on_call(owner, name: str, call: int) -> None:
    """Wait to be killed on the `call`-th call of owner.name (before it does anything)."""
    real = getattr(owner, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == call:
            wait_here()
        return real(*args, **kwargs)

    setattr(owner, name, wrapper)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_site.settings")
    import django

    django.setup()
    from django.conf import settings

    from attendance_site.celery import app

    if os.environ.get("FAULTS_MAIL"):  # each e-mail sent is written to a file there
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = os.environ["FAULTS_MAIL"]

    pause = os.environ.get("FAULTS_PAUSE", "")
    if pause == "letters":  # an e-mail batch: killed before the second household's e-mail
        from django.core.mail import EmailMessage

        pause_on_call(EmailMessage, "send", 2)
    elif pause == "checks":  # the checks: killed while the second rule's alerts are written
        from interventions.evaluation import run

        pause_on_call(run, "bulk_create_with_history", 2)
    if os.environ.get("FAULTS_VISIBILITY"):
        app.conf.broker_transport_options = {
            "visibility_timeout": int(os.environ["FAULTS_VISIBILITY"]),
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }
    app.worker_main(
        [
            "worker",
            "--queues",
            os.environ.get("FAULTS_QUEUE", "celery"),
            "--pool",
            os.environ.get("FAULTS_POOL", "solo"),
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
            "--hostname",
            f"faults-{os.getpid()}@%h",
        ]
    )


if __name__ == "__main__":
    main()
