"""What every import shares: the problems it reports (with the line or element they are on),
the refusal that carries them, and strict readers for the values files hold."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with a file: its line (CSV), or `where` it is (a CTF pupil and element,
    e.g. "pupil 3 (Singh, Arjun — J330215020003): CTFpupilData/Pupil[3]/DOB"), and what to do."""

    line: int | None
    message: str
    where: str = ""

    def __str__(self):
        if self.where:
            return f"{self.where}: {self.message}"
        return f"line {self.line}: {self.message}" if self.line is not None else self.message

    @property
    def sort_key(self) -> tuple:
        return (self.line or 0, self.where)


class ImportRejected(Exception):
    """Nothing was written. `problems` lists every bad row."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = sorted(problems, key=lambda p: p.sort_key)
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


# What MIS exports write: DD/MM/YYYY (never US order: 03/04/2019 is 3 April), sometimes with a
# midnight time a spreadsheet added; or ISO YYYY-MM-DD.
UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+0?0:00(?::00)?)?")
ISO_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00)?)?")


def parse_file_date(value, what: str) -> dt.date:
    """A date as a school's MIS writes it in a CSV: DD/MM/YYYY or YYYY-MM-DD."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise ValueError(f"{what} is empty")
    try:
        if uk := UK_DATE.fullmatch(text):
            return dt.date(int(uk[3]), int(uk[2]), int(uk[1]))
        if iso := ISO_DATE_TIME.fullmatch(text):
            return dt.date.fromisoformat(iso[1])
        raise ValueError
    except ValueError:
        example = "write it as DD/MM/YYYY (e.g. 03/09/2025) or YYYY-MM-DD"
        raise ValueError(f"{what} '{value}' is not a date: {example}") from None


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
    raise ValueError(f"{what} '{value}' should be Yes or No (Y/N, True/False or 1/0)")


FROM_REQUEST = object()  # the history row's user: the signed-in user (simple-history's middleware)


def save_if_changed(instance, values: dict, *, reason: str, history_user=FROM_REQUEST) -> bool:
    """Apply values and save only when something changed, so re-imports add no history.
    `history_user` names who the history row records when it is not the signed-in user
    (None for an integration's token)."""
    changed = instance.pk is None or any(getattr(instance, k) != v for k, v in values.items())
    if changed:
        for key, value in values.items():
            setattr(instance, key, value)
        instance._change_reason = reason
        if history_user is not FROM_REQUEST:
            instance._history_user = history_user
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
