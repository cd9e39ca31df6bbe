"""The one table `make bench` prints, and its JSON twin (test-artifacts/bench.json)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

COLUMNS = ("figure", "size", "result", "floor", "ratio", "target", "met")


@dataclass
class Row:
    figure: str
    size: str
    result: str
    floor: str = "–"
    ratio: str = "–"
    target: str = "–"
    met: bool | None = None
    data: dict = field(default_factory=dict)  # the raw numbers, for the JSON

    def cells(self) -> list[str]:
        met = {True: "yes", False: "NO", None: "–"}[self.met]
        return [self.figure, self.size, self.result, self.floor, self.ratio, self.target, met]


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}×" if floor else "–"


def render(rows: list[Row]) -> str:
    table = [list(COLUMNS)] + [row.cells() for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def write_json(path: Path, rows: list[Row], meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "columns": list(COLUMNS), "rows": [asdict(row) for row in rows]}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
