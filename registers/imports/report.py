"""What an import did or, in a preview, would do: every record it creates, changes or records
as leaving, with what changed, and a count of what it left as it was.

The same report is the preview the office confirms and the result they read afterwards, so
it is built by the import itself (run once inside a transaction that is rolled back, then
again for real), never by a second piece of code that could disagree with it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field

CREATED, CHANGED, LEAVING, UNCHANGED = "created", "changed", "leaving", "unchanged"
OUTCOMES = (CREATED, CHANGED, LEAVING, UNCHANGED)
OUTCOME_LABELS = {CREATED: "New", CHANGED: "Changed", LEAVING: "Leaving", UNCHANGED: "No change"}


@dataclass
class Change:
    """One record the import creates, changes or records as leaving."""

    thing: str  # "pupil", "contact", "registration group", "mark", "term" …
    outcome: str
    label: str  # e.g. "Okafor, Amara (V330215021003)"
    details: list[str] = field(default_factory=list)  # e.g. "Year: Reception → Year 1"
    where: str = ""  # "line 4", "pupil 3"


@dataclass
class ImportReport:
    kind: str
    main: str  # the thing the import is about ("pupil"), counted first
    changes: list[Change] = field(default_factory=list)  # listed, in file order
    totals: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(OUTCOMES, 0)))
    notes: list[str] = field(default_factory=list)  # what the office should know (defaults used, warnings)
    columns: list[tuple[str, str]] = field(default_factory=list)  # (heading in the file, what it was read as)
    ignored: list[str] = field(default_factory=list)  # headings or blocks not read

    def add(self, thing: str, outcome: str, label: str, details=(), where: str = "") -> None:
        """A record the import touches; unchanged ones are counted, not listed."""
        self.tally(thing, outcome)
        if outcome != UNCHANGED:
            self.changes.append(Change(thing, outcome, label, list(details), where))

    def tally(self, thing: str, outcome: str, n: int = 1) -> None:
        """Count without listing (a term's worth of new marks is a number, not a list)."""
        self.totals[thing][outcome] += n

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def counts(self, thing: str | None = None) -> dict[str, int]:
        return dict(self.totals.get(thing or self.main) or dict.fromkeys(OUTCOMES, 0))

    @property
    def changes_anything(self) -> bool:
        return any(n for counts in self.totals.values() for outcome, n in counts.items() if outcome != UNCHANGED)

    def summary(self) -> list[tuple[str, dict[str, int]]]:
        """(thing, counts) for each kind of record, the main one first."""
        things = sorted(self.totals, key=lambda t: (t != self.main, list(self.totals).index(t)))
        return [(thing, dict(self.totals[thing])) for thing in things]

    def listed(self, outcome: str) -> list[Change]:
        return [c for c in self.changes if c.outcome == outcome]

    # --- kept with the import run, so the preview can be shown again and checked at confirm ---

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "main": self.main,
            "changes": [asdict(c) for c in self.changes],
            "totals": {thing: dict(counts) for thing, counts in self.totals.items()},
            "notes": self.notes,
            "columns": [list(c) for c in self.columns],
            "ignored": self.ignored,
        }

    @classmethod
    def from_json(cls, data: dict) -> ImportReport:
        report = cls(kind=data.get("kind", ""), main=data.get("main", ""))
        report.changes = [Change(**c) for c in data.get("changes", [])]
        for thing, counts in data.get("totals", {}).items():
            report.totals[thing].update(counts)
        report.notes = list(data.get("notes", []))
        report.columns = [tuple(c) for c in data.get("columns", [])]
        report.ignored = list(data.get("ignored", []))
        return report

    def fingerprint(self) -> str:
        """Changes what the records would become: equal fingerprints mean the import does the
        same thing it did when it was previewed."""
        data = {"changes": [asdict(c) for c in self.changes], "totals": self.to_json()["totals"]}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


PLURALS = {
    "year of previous-school attendance": "years of previous-school attendance",
    "planned-closure mark (#)": "planned-closure marks (#)",
}


def plural(thing: str) -> str:
    """ "pupil" → "pupils", for the preview's summary."""
    return PLURALS.get(thing, thing if thing.endswith("s") else f"{thing}s")


def counts_text(totals: dict) -> str:
    """ "Pupils: 10 new, 2 changed · Contacts: 3 new", or "no changes"."""
    parts = []
    for thing, counts in totals.items():
        bits = [f"{counts[o]} {OUTCOME_LABELS[o].lower()}" for o in (CREATED, CHANGED, LEAVING) if counts.get(o)]
        if bits:
            parts.append(f"{plural(thing).capitalize()}: {', '.join(bits)}")
    return " · ".join(parts) or "no changes"


def shown(value) -> str:
    """A value as the office reads it in a preview."""
    if value is None or value == "":
        return "blank"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value)
