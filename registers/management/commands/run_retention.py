from django.core.management.base import BaseCommand, CommandError

from registers.retention import RetentionRefused, run_retention

from ._base import parse_day


class Command(BaseCommand):
    help = "Remove what is past its retention period (as the nightly task does) and print the report."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="count the periods back from this date, YYYY-MM-DD (default: today)")

    def handle(self, *args, today=None, **options):
        try:
            run = run_retention(today=parse_day(today, "--today") if today else None)
        except RetentionRefused as exc:
            raise CommandError(str(exc)) from None
        for record_type, details in run.details.items():
            self.stdout.write(
                f"{details['label']}: {run.counts[record_type]} removed (kept {details['years']} years, "
                f"cut-off {run.cutoffs[record_type]})" + (f" — {details['note']}" if details["note"] else "")
            )
        self.stdout.write(f"Recorded as retention run {run.pk}.")
