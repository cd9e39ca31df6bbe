"""Retention: what the school may no longer keep goes, once its retention period is over.

RULES.md keeps every register entry for at least 6 years from the date it was made, and nothing may
be deleted inside that period (the database refuses, registers/audit_triggers.py). After it, the
nightly task (`registers.apply_retention`) removes each record type whose period is over and keeps
a RetentionRun saying how many of each went, their ids and the oldest and newest dates, and the
cut-off it used; the run itself is audited.

Each record type has its own period (settings.RETENTION_YEARS), since the law and the school's
policy differ: register entries, letters, evidence files, parents' absence reports. Each app that
owns a record type registers its sweeper here from its AppConfig.ready (absences, letters), so this
app never imports them. An entry dated D is kept through D + N years and goes the day after.

Removed, not rewritten: a sweeper deletes rows by id with plain SQL, so no new history copy of the
data is made. Earlier history rows of audited tables stay: they are append-only in the database
(the triggers allow no exception yet), which the report says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Mark, Notification, Register, RetentionRun

DEFAULT_YEARS = 6
LISTED_IDS = 500  # ids kept in the report per record type (the count is always complete)


@dataclass
class Swept:
    """What one sweeper removed."""

    ids: list[int] = field(default_factory=list)
    oldest: dt.date | None = None
    newest: dt.date | None = None
    files: int = 0
    note: str = ""

    stored: list = field(default_factory=list)  # (storage, name) of files to remove once the run commits

    def remove_file(self, field_file) -> None:
        """A stored file goes only after the run's transaction commits: a run that fails part-way
        leaves every record and every file as it was."""
        if field_file and field_file.name:
            self.stored.append((field_file.storage, field_file.name))
            self.files += 1

    def add(self, pk: int, day: dt.date) -> None:
        self.ids.append(pk)
        self.oldest = day if self.oldest is None else min(self.oldest, day)
        self.newest = day if self.newest is None else max(self.newest, day)


@dataclass
class Sweeper:
    record_type: str
    label: str
    order: int
    sweep: Callable[[dt.date], Swept]  # cutoff → what went (entries dated before the cutoff)


SWEEPERS: dict[str, Sweeper] = {}


def register_sweeper(record_type: str, label: str, sweep: Callable[[dt.date], Swept], *, order: int = 50) -> None:
    SWEEPERS[record_type] = Sweeper(record_type, label, order, sweep)


def retention_years(record_type: str) -> int:
    """The period for a record type: settings.RETENTION_YEARS, 6 years by default; never shorter than
    the register's legal minimum for register entries."""
    years = getattr(settings, "RETENTION_YEARS", {}).get(record_type, DEFAULT_YEARS)
    legal = settings.REGISTER_RETENTION_YEARS
    if record_type == "register_entries" and years < legal:
        raise ImproperlyConfigured(
            f"RETENTION_YEARS['register_entries'] is {years}: register entries are kept for at least {legal} years"
        )
    if not isinstance(years, int) or years < 1:
        raise ImproperlyConfigured(f"RETENTION_YEARS[{record_type!r}] should be a whole number of years, not {years!r}")
    return years


def cutoff_for(record_type: str, today: dt.date) -> dt.date:
    """Entries dated before this day have been kept for their full period."""
    return today - relativedelta(years=retention_years(record_type))


def delete_rows(model, ids: list[int]) -> None:
    """Delete rows by id in plain SQL: no model guard, no signal, no new history row (the database's
    own triggers still refuse anything inside the retention period)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)


def sweep_register_entries(cutoff: dt.date) -> Swept:
    """Marks whose session, recording and creation (`created_at`, which the database's own guard
    counts from) are all before the cutoff (RULES.md: 6 years from the date the entry was made),
    except those a penalty notice relies on; then registers left empty."""
    start = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    swept = Swept()
    old = Q(date__lt=cutoff, recorded_at__lt=start, created_at__lt=start)
    marks = Mark.objects.filter(old, penalty_link__isnull=True)
    for pk, day in marks.values_list("pk", "date").order_by("date", "pk"):
        swept.add(pk, day)
    delete_rows(Mark, swept.ids)
    empty = (
        Register.objects.filter(date__lt=cutoff, created_at__lt=start)
        .filter(Q(taken_at__lt=start) | Q(taken_at__isnull=True))
        .exclude(Exists(Mark.objects.filter(register=OuterRef("pk"))))
        .exclude(Exists(Notification.objects.filter(register=OuterRef("pk"))))
    )
    registers = list(empty.values_list("pk", flat=True))
    delete_rows(Register, registers)
    kept = Mark.objects.filter(old, penalty_link__isnull=False).count()
    swept.note = f"{len(registers)} empty register{'s' if len(registers) != 1 else ''} removed" + (
        f"; {kept} mark{'s' if kept != 1 else ''} kept because a penalty notice relies on them" if kept else ""
    )
    return swept


register_sweeper("register_entries", "Register entries (marks)", sweep_register_entries, order=10)


class RetentionRefused(Exception):
    """The run would count back from a date the database has not reached (a clock set forward)."""


def database_today() -> dt.date:
    """Today by the database's clock, the one its retention guard on register entries counts from."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_TIMESTAMP")
        return timezone.localdate(cursor.fetchone()[0])


def run_retention(*, today: dt.date | None = None) -> RetentionRun:
    """Run every sweeper whose period is over, in one transaction, and record what went. Refused when
    `today` (or this server's clock) is later than the database's date: a clock set forward would
    otherwise remove letters, evidence and reports still inside their period, which only the
    register entries have a database guard against. Stored files go once the run has committed."""
    today = today or timezone.localdate()
    if today > (known := database_today()):
        raise RetentionRefused(
            f"Retention not run: it would count back from {today:%d %b %Y}, but the database's date is "
            f"{known:%d %b %Y}. Check the server's clock (or the --today given)."
        )
    cutoffs = {s.record_type: cutoff_for(s.record_type, today) for s in SWEEPERS.values()}  # refuse bad settings first
    run = RetentionRun(today=today)
    stored = []
    with transaction.atomic():
        for sweeper in sorted(SWEEPERS.values(), key=lambda s: (s.order, s.record_type)):
            swept = sweeper.sweep(cutoffs[sweeper.record_type])
            run.cutoffs[sweeper.record_type] = cutoffs[sweeper.record_type].isoformat()
            run.counts[sweeper.record_type] = len(swept.ids)
            run.details[sweeper.record_type] = {
                "label": sweeper.label,
                "years": retention_years(sweeper.record_type),
                "ids": swept.ids[:LISTED_IDS],
                "oldest": swept.oldest.isoformat() if swept.oldest else None,
                "newest": swept.newest.isoformat() if swept.newest else None,
                "files": swept.files,
                "note": swept.note,
            }
            stored += swept.stored
        run.save()
    for storage, name in stored:
        if storage.exists(name):
            storage.delete(name)
    return run
