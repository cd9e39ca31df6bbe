"""Imports from a school's MIS: the school and calendar (JSON), pupils, contacts and marks (CSV),
pupils and contacts from a Common Transfer File (XML).

An import with any bad row writes nothing and reports every bad row with its line number (or
the CTF pupil and element) and a message an administrator can act on. Re-running the same
import changes nothing. Each import returns an ImportReport: what it created, changed, recorded
as leaving or left as it was.

One module per kind of file: `school` (the calendar; `school_file` for the Imports page),
`pupils`, `contacts`, `marks`, `ctf`; `roll` keeps pupils in step with the MIS for all of them;
`runs` is the office's upload → preview → confirm; `base`, `headings` and `report` hold what
they share."""

from .base import (
    ImportProblem,
    ImportRejected,
    parse_bool,
    parse_date,
    parse_file_date,
    parse_time,
    save_if_changed,
)
from .contacts import CONTACT_HEADINGS, import_contacts
from .ctf import ctf_imported, import_ctf
from .marks import MARK_COLUMNS, import_marks
from .pupils import PUPIL_COLUMNS, PUPIL_HEADINGS, import_pupils
from .report import CHANGED, CREATED, LEAVING, OUTCOME_LABELS, UNCHANGED, Change, ImportReport
from .roll import REQUIRED_FOR_NEW, PupilRecord, update_roll
from .runs import (
    PREVIEW_LIFETIME,
    ImportKind,
    confirm_import,
    discard_import,
    expire_previews,
    import_file,
    leaving_title,
    max_bytes,
    preview_import,
    register_import_kind,
    registered_import_kinds,
    run_import,
    sha256,
    sync_pupils,
)
from .school import import_school
from .school_file import import_school_file
from .selectors import next_school_day, recent_import_runs

__all__ = [
    "CHANGED",
    "CONTACT_HEADINGS",
    "CREATED",
    "LEAVING",
    "MARK_COLUMNS",
    "OUTCOME_LABELS",
    "PREVIEW_LIFETIME",
    "PUPIL_COLUMNS",
    "PUPIL_HEADINGS",
    "UNCHANGED",
    "Change",
    "ImportKind",
    "ImportProblem",
    "ImportRejected",
    "ImportReport",
    "REQUIRED_FOR_NEW",
    "PupilRecord",
    "confirm_import",
    "discard_import",
    "ctf_imported",
    "expire_previews",
    "import_contacts",
    "import_ctf",
    "import_file",
    "import_marks",
    "import_pupils",
    "import_school",
    "import_school_file",
    "leaving_title",
    "max_bytes",
    "next_school_day",
    "parse_bool",
    "parse_date",
    "parse_file_date",
    "parse_time",
    "preview_import",
    "recent_import_runs",
    "register_import_kind",
    "registered_import_kinds",
    "run_import",
    "save_if_changed",
    "sha256",
    "sync_pupils",
    "update_roll",
]
