"""What every import shares: the problems it reports (with the line or element they are on),
the refusal that carries them, and strict readers for the values files hold."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class ImportProblem:
    line: int | None
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class ImportRejected(Exception):
    """Nothing was written. `problems` lists every bad row."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value, what: str) -> dt.date:
    # Strictly YYYY-MM-DD: fromisoformat alone would also take 20250903 (or a JSON number).
    text = value.strip() if isinstance(value, str) else ""
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} '{value}' is not a date in the form YYYY-MM-DD") from None


def parse_time(value, what: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value if value is not None else "").strip())
    except ValueError:
        raise ValueError(f"{what} '{value}' is not a time in the form HH:MM") from None


TRUE_WORDS, FALSE_WORDS = {"y", "yes", "true", "1", "t"}, {"n", "no", "false", "0", "f", ""}


def parse_bool(value: str, what: str) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{what} '{value}' should be Y or N")


def save_if_changed(instance, values: dict, *, reason: str) -> bool:
    """Apply values and save only when something changed, so re-imports add no history."""
    changed = instance.pk is None or any(getattr(instance, k) != v for k, v in values.items())
    if changed:
        for key, value in values.items():
            setattr(instance, key, value)
        instance._change_reason = reason
        try:
            instance.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            # Name the record and the field, so the administrator knows which value to fix.
            label = f"{instance._meta.verbose_name} {values.get('name') or getattr(instance, 'name', '')}".strip()
            raise ValidationError(f"{label}: {_message(exc)}") from None
        instance.save()
    return changed


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return " ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        return " ".join(exc.messages)
    return str(exc)
