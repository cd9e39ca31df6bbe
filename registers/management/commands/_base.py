"""Shared bits for the registers commands: finding the school, reporting rejected imports."""

import datetime as dt
import getpass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registers.imports import ImportRejected, import_file
from registers.imports.report import plural
from registers.models import School
from registers.services import Actor


def get_school(urn: str) -> School:
    try:
        return School.objects.get(urn=urn)
    except School.DoesNotExist:
        raise CommandError(f"No school with URN {urn}; import it first with import_school.") from None


def parse_day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} '{value}' is not a date in the form YYYY-MM-DD") from None


def command_actor(username: str | None) -> Actor:
    """Who an import is recorded against: a named user, or the person at the terminal."""
    if username:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user '{username}'.")
        return Actor.for_user(user)
    return Actor(None, f"{getpass.getuser()} (command line)", "Data import")


def rejected(exc: ImportRejected, filename: str) -> CommandError:
    lines = [f"{filename}: nothing was imported; fix these {len(exc.problems)} problem(s) and run it again:"]
    lines += [f"  {p}" for p in exc.problems]
    return CommandError("\n".join(lines))


def read_bytes(file: str) -> bytes:
    try:
        with open(file, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise CommandError(f"Cannot read {file}: {exc.strerror}") from None


class FileImportCommand(BaseCommand):
    """An import of one file from the MIS, through the same service and record (ImportRun) as
    the office's Imports page; `--dry-run` prints what it would do and writes nothing."""

    kind = ""
    main_words = {"created": "new", "changed": "changed", "leaving": "leaving", "unchanged": "unchanged"}

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="URN")
        parser.add_argument("--user", help="username the import is recorded against (default: you, at the terminal)")
        parser.add_argument("--dry-run", action="store_true", help="show what the file would do; write nothing")
        parser.add_argument("file")

    def options(self, options) -> dict:
        return {}

    def handle(self, *args, school, file, user=None, dry_run=False, verbosity=1, **options):
        school = get_school(school)
        actor = command_actor(user)
        data = read_bytes(file)
        try:
            _run, report = import_file(
                school=school,
                kind=self.kind,
                data=data,
                file_name=Path(file).name,
                options=self.options(options),
                actor=actor,
                dry_run=dry_run,
            )
        except ImportRejected as exc:
            raise rejected(exc, file) from None
        if dry_run:
            self.stdout.write(f"{file}: a dry run — nothing was written. Importing it would do this:")
        for thing, counts in report.summary():
            words = self.main_words if thing == report.main else FileImportCommand.main_words
            parts = [f"{counts[o]} {words[o]}" for o in ("created", "changed", "leaving", "unchanged") if o in words]
            self.stdout.write(f"{plural(thing).capitalize()}: {', '.join(parts)}.")
        for change in report.changes:
            if verbosity >= 2:  # -v 2: every record created, changed or leaving
                self.stdout.write(f"  {change.outcome}: {change.label}: {'; '.join(change.details)} ({change.where})")
        for note in report.notes:
            self.stdout.write(f"Note: {note}")


def parse_option_date(value: str | None, option: str) -> dt.date | None:
    return parse_day(value, option) if value else None
