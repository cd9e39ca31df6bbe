"""Imports from a school's MIS: the school and calendar (JSON), pupils and marks (CSV).

An import with any bad row writes nothing and reports every bad row with its line number and
a message an administrator can act on. Re-running the same import changes nothing.

One module per kind of file: `school` (the calendar), `pupils`, `marks`; `base` holds what
they share."""

from .base import ImportProblem, ImportRejected, parse_bool, parse_date, parse_time, save_if_changed
from .marks import MARK_COLUMNS, import_marks
from .pupils import PUPIL_COLUMNS, import_pupils
from .school import import_school

__all__ = [
    "MARK_COLUMNS",
    "PUPIL_COLUMNS",
    "ImportProblem",
    "ImportRejected",
    "import_marks",
    "import_pupils",
    "import_school",
    "parse_bool",
    "parse_date",
    "parse_time",
    "save_if_changed",
]
