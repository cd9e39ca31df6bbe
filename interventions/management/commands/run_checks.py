import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from interventions.evaluation.run import run_checks
from registers.models import School


class Command(BaseCommand):
    help = "Run the attendance policy checks for a school (or every school) on a date (default today)."

    def add_arguments(self, parser):
        parser.add_argument("--school", help="URN; every school if omitted")
        parser.add_argument("--on", help="YYYY-MM-DD, default today")

    def handle(self, *args, school=None, on=None, **options):
        day = dt.date.fromisoformat(on) if on else timezone.localdate()
        schools = School.objects.filter(urn=school) if school else School.objects.all()
        if school and not schools.exists():
            raise CommandError(f"No school with URN {school}.")
        for s in schools:
            result = run_checks(school=s, on=day)
            self.stdout.write(f"{s.name} {day}: {result.found} findings, {result.created} new alerts")
