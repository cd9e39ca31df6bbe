from django.core.management.base import BaseCommand, CommandError

from registers.imports import ImportRejected, import_pupils

from ._base import get_school, rejected


class Command(BaseCommand):
    help = "Create or update pupils and their enrolments from a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="URN")
        parser.add_argument("file")

    def handle(self, *args, school, file, **options):
        school = get_school(school)
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                text = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            counts = import_pupils(school=school, text=text)
        except ImportRejected as exc:
            raise rejected(exc, file) from None
        self.stdout.write("Pupils: {created} created, {updated} updated, {unchanged} unchanged.".format(**counts))
