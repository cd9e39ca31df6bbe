import json

from django.core.management.base import BaseCommand, CommandError

from registers.imports import ImportRejected, import_school

from ._base import rejected


class Command(BaseCommand):
    help = "Create or update a school, its register times, calendar and groups from a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8") as handle:
                data = json.load(handle)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{file} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
            ) from None
        if not isinstance(data, dict):
            raise CommandError(f"{file} should hold one JSON object describing the school.")
        try:
            school = import_school(data)
        except ImportRejected as exc:
            raise rejected(exc, file) from None
        days = school.school_days.count()
        self.stdout.write(f"{school.name} (URN {school.urn}): {school.terms.count()} terms, {days} school days.")
