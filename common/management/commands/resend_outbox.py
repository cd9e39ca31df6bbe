"""Send the work the broker could not take (after an outage, or from a deploy script)."""

import datetime as dt

from django.core.management.base import BaseCommand

from common.outbox import resend_unsent, waiting


class Command(BaseCommand):
    help = "Send the outbox rows still waiting for the broker (Celery), oldest first."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, default=0, help="only rows at least this many seconds old (default: all)"
        )

    def handle(self, *args, older_than, **options):
        sent = resend_unsent(older_than=dt.timedelta(seconds=older_than))
        self.stdout.write(f"{sent} sent, {waiting()} still waiting")
