"""Reading a CSV file as an MIS exports it: the column headings it uses (SIMS's "Legal Surname",
"DOB", "Reg Group"; Arbor's upper-snake names; our own `legal_surname`), a byte-order mark,
Windows line endings, Windows-1252 text, empty trailing rows.

A heading is normalised (case, `_`/`-`/`.`, spaces, camelCase) and looked up in the import's
table of headings. The canonical name and a "Legal …" heading win over a plain one (a file
with both "Surname" and "Legal Surname" uses the legal one: some MIS export the preferred
surname as "Surname"); two other headings that would fill the same field are refused, naming
both. The office sees how each heading was read before anything is written."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .base import ImportProblem, ImportRejected


def normalise(heading: str) -> str:
    text = (heading or "").replace("\ufeff", "")
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)  # DateOfBirth → Date Of Birth
    text = re.sub(r"[_\-.:/]+", " ", text).casefold()
    return " ".join(text.split())


@dataclass(frozen=True)
class Heading:
    """A field an import reads, the headings that fill it (in order of preference) and what it
    is called on the preview. `many` fields take every matching column (telephone numbers,
    address lines) in file order."""

    field: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    many: Callable[[str], bool] | None = None
    strong: tuple[str, ...] = ()  # aliases that win over the others, e.g. "contact surname"

    def tier(self, normalised: str) -> int | None:
        """0 for the canonical name, a "legal …" heading or a strong alias; 1 for another alias;
        None if the heading is not this field's."""
        if normalised == normalise(self.field) or normalised in self.strong:
            return 0
        if normalised in self.aliases:
            return 0 if normalised.startswith("legal ") else 1
        return None


def decode(data: bytes | str) -> tuple[str, str | None]:
    """The file's text, and a note when it was not UTF-8 (older MIS write Windows-1252)."""
    if isinstance(data, str):
        return data.lstrip("\ufeff"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "The file is not UTF-8; it was read as Windows-1252 text."


class CSVFile:
    """A CSV file's columns mapped to an import's fields, and its rows."""

    def __init__(self, text: str, headings: list[Heading], *, refused: dict[str, str] | None = None):
        self.reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        try:
            self.headings = next(self.reader)
        except (StopIteration, csv.Error):
            empty = "the file is empty: it should start with a row of headings"
            raise ImportRejected([ImportProblem(1, empty)]) from None
        self.fields: dict[str, int] = {}  # field → column index
        self.many: dict[str, list[int]] = {}
        self.columns: list[tuple[str, str]] = []  # (heading, label) as read
        self.ignored: list[str] = []
        self._map(headings, refused or {})

    def _map(self, headings: list[Heading], refused: dict[str, str]) -> None:
        problems = []
        best: dict[str, list[tuple[int, int]]] = {}  # field → [(tier, column)]
        for column, raw in enumerate(self.headings):
            name = normalise(raw)
            if not name:
                continue
            if name in refused:
                problems.append(ImportProblem(1, f"the column '{raw.strip()}' {refused[name]}"))
                continue
            for heading in headings:
                tier = heading.tier(name)
                if tier is not None:
                    best.setdefault(heading.field, []).append((tier, column))
                    break
            else:
                for heading in headings:
                    if heading.many and heading.many(name):
                        self.many.setdefault(heading.field, []).append(column)
                        break
        for heading in headings:
            found = sorted(best.get(heading.field, []))
            if found:
                top = [c for tier, c in found if tier == found[0][0]]
                if len(top) > 1:
                    both = " and ".join(f"'{self.headings[c].strip()}'" for c in top)
                    problems.append(
                        ImportProblem(1, f"the columns {both} would both be read as the {heading.label}: remove one")
                    )
                self.fields[heading.field] = top[0]
            elif heading.required and heading.field not in self.many:
                accepted = ", ".join(f"'{a}'" for a in (normalise(heading.field), *heading.aliases)[:6])
                problems.append(
                    ImportProblem(1, f"there is no column for the {heading.label} (headings read as it: {accepted})")
                )
        if problems:
            raise ImportRejected(problems)
        used = set(self.fields.values()) | {c for cols in self.many.values() for c in cols}
        labels = {h.field: h.label for h in headings}
        for column, raw in enumerate(self.headings):
            if column in used:
                field = next(
                    (f for f, c in self.fields.items() if c == column),
                    next((f for f, cs in self.many.items() if column in cs), ""),
                )
                self.columns.append((raw.strip(), labels[field]))
            elif raw.strip():
                self.ignored.append(raw.strip())

    def has(self, field: str) -> bool:
        return field in self.fields or field in self.many

    def rows(self) -> Iterator[tuple[int, dict, list[ImportProblem]]]:
        """(line, {field: value}, problems with the row's shape) for each row with any value.
        A `many` field's value is a list of (heading, value) with a value."""
        width = len(self.headings)
        while True:
            try:
                cells = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield self.reader.line_num, {}, [ImportProblem(self.reader.line_num, f"the row cannot be read: {exc}")]
                continue
            if not any(cell.strip() for cell in cells):
                continue  # a blank row, or the empty rows a spreadsheet leaves at the end
            problems = []
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                problems.append(
                    ImportProblem(
                        self.reader.line_num,
                        f"the row has {len(cells)} values but there are {width} headings: is there a comma in a "
                        "name or address that is not inside quotes?",
                    )
                )
            cells = cells + [""] * (width - len(cells))
            row = {field: cells[column].strip() for field, column in self.fields.items()}
            for field, columns in self.many.items():
                row[field] = [(self.headings[c].strip(), cells[c].strip()) for c in columns if cells[c].strip()]
            yield self.reader.line_num, row, problems

    def heading(self, field: str) -> str:
        """The file's own heading for a field, to name it in a message."""
        return self.headings[self.fields[field]].strip() if field in self.fields else field.replace("_", " ")
