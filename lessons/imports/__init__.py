"""The timetable imported from the MIS's CSV exports (the contract: docs/timetable-csv.md), through
the Imports page's upload → preview → confirm (`registers.imports.runs`): registered there as the
"timetable" kind of file from this app's `apps.py`.

Five files, each told apart by its headings and imported in this order the first time: periods,
rooms, teaching groups, pupils in teaching groups, lessons. A file with any bad row writes nothing
and names every bad row; re-importing the same file changes nothing; a changed timetable is dated
(`dated`), never overwritten."""

from __future__ import annotations

from django.db import transaction

from registers.imports import ImportKind, ImportRejected, ImportReport, register_import_kind
from registers.models import ImportRun, School

from .groups import import_groups, import_rooms
from .lessons import import_lessons
from .memberships import import_memberships
from .periods import import_periods
from .reading import FILE_NAMES, read, which_file

IMPORTS = {
    "periods": ("period", import_periods),
    "rooms": ("room", import_rooms),
    "groups": ("teaching group", import_groups),
    "memberships": ("pupil in a group", import_memberships),
    "lessons": ("lesson", import_lessons),
}


def import_timetable(*, school: School, text: str, actor=None, source_name: str = "file") -> ImportReport:
    """Import one timetable file (whichever of the five it is). All or nothing: raises
    ImportRejected with every problem, having written nothing."""
    kind = which_file(text)
    csv_file = read(text, kind)
    main, importer = IMPORTS[kind]
    report = ImportReport(kind="timetable", main=main, columns=csv_file.columns, ignored=csv_file.ignored)
    report.note(f"Read as the {FILE_NAMES[kind]} file of the timetable.")
    if kind in ("periods", "lessons") and not csv_file.has("valid_from"):
        report.note("The file has no 'Valid from' column: its changes take effect from today.")
    with transaction.atomic():
        problems = importer(school=school, csv_file=csv_file, report=report, reason=f"timetable import ({source_name})")
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise ImportRejected(problems)
    return report


TIMETABLE = ImportKind(
    kind=ImportRun.Kind.TIMETABLE,
    choice="Timetable (CSV) — periods, rooms, teaching groups, pupils in groups or lessons: one file at a time, "
    "told apart by its headings",
    importer=import_timetable,
    leaving="Ending",
)


def register() -> None:
    """Called from `LessonsConfig.ready`: the Imports page offers the timetable."""
    register_import_kind(TIMETABLE)
