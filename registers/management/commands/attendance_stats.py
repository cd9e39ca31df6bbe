import csv
import json

from django.core.management.base import BaseCommand, CommandError

from registers.selectors import attendance_statistics

from ._base import get_school, parse_day

FIELDS = [
    "upn",
    "possible",
    "present",
    "approved_activity",
    "authorised",
    "unauthorised",
    "attendance_percent",
    "absence_percent",
    "persistent",
    "severe",
]


class Command(BaseCommand):
    help = "Per-pupil attendance statistics for a date range (DfE definitions)."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="URN")
        parser.add_argument("--from", dest="date_from", required=True)
        parser.add_argument("--to", dest="date_to", required=True)
        parser.add_argument("--format", choices=["json", "csv"], default="csv")

    def handle(self, *args, school, date_from, date_to, format, **options):
        school = get_school(school)
        start, end = parse_day(date_from, "--from"), parse_day(date_to, "--to")
        if end < start:
            raise CommandError(f"--to {end} is before --from {start}.")
        rows = [
            {
                "upn": r.pupil.upn,
                "possible": r.figures.possible,
                "present": r.figures.present,
                "approved_activity": r.figures.approved_activity,
                "authorised": r.figures.authorised,
                "unauthorised": r.figures.unauthorised,
                "attendance_percent": r.figures.attendance_percent,
                "absence_percent": r.figures.absence_percent,
                "persistent": r.figures.persistent,
                "severe": r.figures.severe,
            }
            for r in attendance_statistics(school=school, date_from=start, date_to=end)
        ]
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2))
        else:
            writer = csv.DictWriter(self.stdout, fieldnames=FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
