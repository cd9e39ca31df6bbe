"""An import as the office does it: upload a file, see what it would do, confirm. Each upload is
an ImportRun (who, when, which file and its SHA-256, what the preview showed, what was written).

The preview is the import itself, run inside a transaction that is rolled back, so it shows
exactly what confirming will do. The file waits in private storage, named by its SHA-256,
until it is confirmed (then run again, for real, and checked to do the same as the preview:
if the records changed meanwhile, the new preview is shown instead) or for a day at most.
The command line runs the same services through `import_file` and is recorded the same way."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ..ctf import MAX_CTF_BYTES
from ..models import ImportRun, School
from ..services import Actor
from .base import ImportProblem, ImportRejected, _message
from .contacts import import_contacts
from .ctf import import_ctf
from .headings import decode
from .marks import import_marks
from .pupils import import_pupils
from .report import ImportReport
from .roll import update_roll
from .school_file import import_school_file

Kind = ImportRun.Kind
Status = ImportRun.Status
MAX_CSV_BYTES = 10 * 1024 * 1024
PREVIEW_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class ImportKind:
    """A kind of CSV file an app above registers imports through the same upload → preview →
    confirm (the timetable, from lessons): registers cannot import those apps, so they register
    their import here from their `apps.py`. `importer(school=, text=, actor=, source_name=)`
    returns an ImportReport or raises ImportRejected, like the imports here."""

    kind: str
    choice: str  # the Imports page's radio label: what the file is and what it holds
    importer: Callable[..., ImportReport]
    leaving: str = "Leaving"  # the preview's heading for what the file ends ("Ending" for lessons)


REGISTERED: dict[str, ImportKind] = {}


def register_import_kind(kind: ImportKind) -> None:
    if kind.kind not in Kind.values:
        raise ValueError(f"{kind.kind!r} is not an ImportRun.Kind: add it there (and its migration) first")
    REGISTERED[kind.kind] = kind


def registered_import_kinds() -> list[ImportKind]:
    return list(REGISTERED.values())


def leaving_title(kind: str) -> str:
    """What the preview calls the records a file ends: pupils are "Leaving"."""
    return REGISTERED[kind].leaving if kind in REGISTERED else "Leaving"


def max_bytes(kind: str) -> int:
    return MAX_CTF_BYTES if kind == Kind.CTF else MAX_CSV_BYTES


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_import(
    *, school: School, kind: str, data: bytes, file_name: str, options: dict, actor: Actor, run_id: int | None = None
) -> ImportReport:
    """The import service for the kind of file; writes (the caller owns the transaction).
    `options`: full_roll, leaving_date, admission_date (dates as ISO strings or dates)."""
    source = f"{file_name} (import {run_id})" if run_id else file_name
    full_roll = bool(options.get("full_roll"))
    leaving = _date(options.get("leaving_date"))
    try:
        if kind == Kind.CTF:
            return import_ctf(
                school=school,
                data=data,
                admission_date=_date(options.get("admission_date")),
                full_roll=full_roll,
                leaving_date=leaving,
                user=actor.user,
                source_name=source,
            )
        if kind == Kind.CALENDAR:
            return import_school_file(school=school, data=data, actor=actor)
        text, note = decode(data)
        if kind == Kind.PUPILS:
            report = import_pupils(
                school=school, text=text, full_roll=full_roll, leaving_date=leaving, source_name=source
            )
        elif kind == Kind.CONTACTS:
            report = import_contacts(school=school, text=text, source_name=source)
        elif kind == Kind.MARKS:
            report = import_marks(school=school, text=text, actor=actor, source_name=source)
        elif kind in REGISTERED:
            report = REGISTERED[kind].importer(school=school, text=text, actor=actor, source_name=source)
        else:
            raise ValueError(f"unknown kind of import {kind!r}")
    except ValidationError as exc:
        # A value the checks let through but the database model refuses: report it like any other.
        raise ImportRejected([ImportProblem(None, _message(exc))]) from None
    if note:
        report.note(note)
    return report


def _date(value) -> dt.date | None:
    if not value:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def clean_options(options: dict) -> dict:
    """Options as kept on the run (JSON): only the ones given."""
    out = {}
    if options.get("full_roll"):
        out["full_roll"] = True
        if options.get("leaving_date"):
            out["leaving_date"] = _date(options["leaving_date"]).isoformat()
    if options.get("admission_date"):
        out["admission_date"] = _date(options["admission_date"]).isoformat()
    return out


def _refused(exc: ImportRejected) -> dict:
    return {
        "problems": [
            {"line": p.line, "where": p.where or (f"line {p.line}" if p.line is not None else ""), "message": p.message}
            for p in exc.problems
        ]
    }


def preview_import(
    *, school: School, kind: str, data: bytes, file_name: str, options: dict, user, actor: Actor | None = None
) -> ImportRun:
    """Run the import without keeping anything it writes, and record what it would do. A file
    with changes to make waits (privately) to be confirmed."""
    actor = actor or Actor.for_user(user)
    run = ImportRun(
        school=school,
        kind=kind,
        file_name=file_name[:255],
        sha256=sha256(data),
        size=len(data),
        options=clean_options(options),
        uploaded_by=user,
        uploaded_by_name=actor.name,
    )
    try:
        with transaction.atomic():
            report = run_import(
                school=school, kind=kind, data=data, file_name=file_name, options=run.options, actor=actor
            )
            transaction.set_rollback(True)
    except ImportRejected as exc:
        run.status, run.preview, run.problem_count = Status.REFUSED, _refused(exc), len(exc.problems)
    else:
        run.status = Status.PREVIEWED if report.changes_anything else Status.NO_CHANGES
        run.preview = {**report.to_json(), "fingerprint": report.fingerprint()}
        run.counts = report.to_json()["totals"]
        if run.status == Status.PREVIEWED:
            _keep(run, data)
    run.save()
    return run


def _keep(run: ImportRun, data: bytes) -> None:
    name = run.file.field.generate_filename(run, run.file_name)
    storage = run.file.storage
    if storage.exists(name):  # the same file uploaded again: its content is already kept
        run.file.name = name
    else:
        run.file.save(run.file_name, ContentFile(data), save=False)


def confirm_import(*, run: ImportRun, user, actor: Actor | None = None) -> ImportRun:
    """Import a previewed file for real, if it still does what the preview showed."""
    actor = actor or Actor.for_user(user)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status != Status.PREVIEWED:
            return run  # confirmed already (a second click), refused or expired: nothing to do
        if timezone.now() - run.uploaded_at > PREVIEW_LIFETIME:
            _finish(run, Status.EXPIRED)
            return run
        with run.file.open("rb") as handle:
            data = handle.read()
        if sha256(data) != run.sha256:
            raise ValueError(f"the stored file for import {run.pk} is not the file that was uploaded")
        try:
            with transaction.atomic():
                report = run_import(
                    school=run.school,
                    kind=run.kind,
                    data=data,
                    file_name=run.file_name,
                    options=run.options,
                    actor=actor,
                    run_id=run.pk,
                )
                if report.fingerprint() != run.preview.get("fingerprint"):
                    raise _Changed(report)
        except _Changed as changed:
            # Someone changed the records since the preview: show what the file would do now.
            run.preview = {**changed.report.to_json(), "fingerprint": changed.report.fingerprint(), "changed": True}
            run.counts = changed.report.to_json()["totals"]
            if not changed.report.changes_anything:
                _finish(run, Status.NO_CHANGES)
            else:
                run.save()
            return run
        except ImportRejected as exc:
            run.preview, run.problem_count = _refused(exc), len(exc.problems)
            _finish(run, Status.REFUSED)
            return run
        run.confirmed_by, run.confirmed_at = user, timezone.now()
        run.preview = {**run.preview, "changed": False}
        _finish(run, Status.IMPORTED)
    return run


class _Changed(Exception):
    def __init__(self, report: ImportReport):
        self.report = report


def _finish(run: ImportRun, status: str) -> None:
    """Record the outcome and let go of the file once nobody else is waiting on the same one."""
    run.status = status
    name = run.file.name
    run.file = ""
    run.save()
    if name and not ImportRun.objects.filter(school=run.school, file=name, status=Status.PREVIEWED).exists():
        storage = ImportRun._meta.get_field("file").storage
        transaction.on_commit(lambda: storage.delete(name))


def discard_import(*, run: ImportRun) -> ImportRun:
    """The office decided not to import a previewed file: let go of it, record that."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status == Status.PREVIEWED:
            _finish(run, Status.EXPIRED)
    return run


def expire_previews(*, school: School) -> int:
    """Previews nobody confirmed within a day: their files are deleted."""
    stale = ImportRun.objects.filter(
        school=school, status=Status.PREVIEWED, uploaded_at__lt=timezone.now() - PREVIEW_LIFETIME
    )
    n = 0
    for run in stale:
        with transaction.atomic():
            _finish(run, Status.EXPIRED)
        n += 1
    return n


def import_file(
    *, school: School, kind: str, data: bytes, file_name: str, options: dict, actor: Actor, dry_run: bool = False
) -> tuple[ImportRun, ImportReport | None]:
    """The command line's import: straight through, recorded as an ImportRun like the Imports
    page's (with dry_run, a preview: nothing written or recorded). Raises ImportRejected."""
    run = ImportRun(
        school=school,
        kind=kind,
        file_name=file_name[:255],
        sha256=sha256(data),
        size=len(data),
        options=clean_options(options),
        via=ImportRun.Via.COMMAND_LINE,
        uploaded_by=actor.user,
        uploaded_by_name=actor.name,
    )
    try:
        with transaction.atomic():
            report = run_import(
                school=school, kind=kind, data=data, file_name=file_name, options=run.options, actor=actor
            )
            if dry_run:
                transaction.set_rollback(True)
    except ImportRejected as exc:
        if not dry_run:
            run.status, run.preview, run.problem_count = Status.REFUSED, _refused(exc), len(exc.problems)
            run.save()
        raise
    if dry_run:
        return run, report  # a preview at the terminal: nothing written, nothing to record
    run.preview = report.to_json()
    run.counts = report.to_json()["totals"]
    run.status = Status.IMPORTED if report.changes_anything else Status.NO_CHANGES
    run.confirmed_by, run.confirmed_at = actor.user, timezone.now()
    run.save()
    return run, report


def sync_pupils(
    *,
    school: School,
    records: list,
    actor: Actor,
    source_name: str,
    body: bytes,
    full_roll: bool = False,
    leaving_date: dt.date | None = None,
    dry_run: bool = False,
) -> tuple[ImportRun | None, ImportReport]:
    """The MIS sync's pupils (from the API): the pupil file's upsert by UPN, all or nothing,
    idempotent, recorded as an ImportRun like a file (with the request body's SHA-256). A dry
    run shows what it would do and writes nothing. Raises ImportRejected."""
    report = ImportReport(kind="pupils", main="pupil")
    with transaction.atomic():
        update_roll(
            school=school,
            records=records,
            reason=f"synchronised from the MIS ({source_name})",
            report=report,
            full_roll=full_roll,
            leaving_date=leaving_date,
            history_user=actor.user,  # none for an integration's token
        )
        if dry_run:
            transaction.set_rollback(True)
    if dry_run:
        return None, report
    options = clean_options({"full_roll": full_roll, "leaving_date": leaving_date})
    run = ImportRun.objects.create(
        school=school,
        kind=Kind.PUPILS,
        file_name=f"MIS sync: {source_name}"[:255],
        sha256=sha256(body),
        size=len(body),
        options=options,
        via=ImportRun.Via.API,
        uploaded_by=actor.user,
        uploaded_by_name=actor.name,
        status=Status.IMPORTED if report.changes_anything else Status.NO_CHANGES,
        preview=report.to_json(),
        counts=report.to_json()["totals"],
        confirmed_by=actor.user,
        confirmed_at=timezone.now(),
    )
    return run, report
