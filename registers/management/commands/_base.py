"""Shared bits for the registers commands: finding the school, reporting rejected imports."""

import datetime as dt
import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from registers.imports import ImportRejected
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
