"""The national code set, loaded from `registers/data/attendance-codes.csv` (a copy of the
reference table). Schools cannot edit these rows; they add sub-reasons instead."""

import csv
import datetime as dt
from functools import cache
from pathlib import Path

CODES_CSV = Path(__file__).resolve().parent / "data" / "attendance-codes.csv"


def read_code_table(path: Path = CODES_CSV) -> list[dict]:
    def day(value: str):
        return dt.date.fromisoformat(value) if value else None

    with open(path, newline="", encoding="utf-8") as handle:
        return [
            {
                "code": row["code"],
                "meaning": row["meaning"],
                "category": row["statistical_category"],
                "possible": row["counts_as_possible_session"] == "yes",
                "penalty_threshold": row["counts_unauthorised_for_penalty_threshold"] == "yes",
                "deletion_ground": row["counts_for_20_day_deletion_ground"] == "yes",
                "valid_from": day(row["valid_from"]),
                "valid_to": day(row["valid_to"]),
                "replaced_by": row["replaced_by"],
            }
            for row in csv.DictReader(handle)
        ]


@cache
def _shipped_codes() -> tuple[tuple[str, dt.date | None, dt.date | None], ...]:
    return tuple((row["code"], row["valid_from"], row["valid_to"]) for row in read_code_table())


def codes_valid_on(day: dt.date) -> list[str]:
    """The national codes a register on `day` may use, for the register pages' script: the file
    shipped with the code, read once per process (every register page asks)."""
    return [
        code
        for code, valid_from, valid_to in _shipped_codes()
        if (valid_from is None or valid_from <= day) and (valid_to is None or day <= valid_to)
    ]


def load_codes(code_model) -> int:
    """Insert or refresh every code row; idempotent. Takes the model so migrations can pass
    their historical version."""
    for row in read_code_table():
        code_model.objects.update_or_create(code=row["code"], valid_from=row["valid_from"], defaults=row)
    return code_model.objects.count()
