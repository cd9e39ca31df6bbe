from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registers.imports import ImportRejected, import_marks

from ._base import command_actor, get_school, rejected


class Command(BaseCommand):
    help = "Import marks (upn,date,session,code,minutes_late) through the register service."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="URN")
        parser.add_argument("--user", help="username the import is recorded against (default: you, at the terminal)")
        parser.add_argument("file")

    def handle(self, *args, school, file, user=None, **options):
        school = get_school(school)
        actor = command_actor(user)
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                text = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            counts = import_marks(school=school, text=text, actor=actor, source_name=Path(file).name)
        except ImportRejected as exc:
            raise rejected(exc, file) from None
        self.stdout.write("Marks: {created} new, {amended} amended, {unchanged} unchanged.".format(**counts))
