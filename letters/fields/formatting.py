"""Formatting merge-field values: dates (kept tagged so they come back as dates), percentages,
halves of days and hours, times, pronouns, money and register marks, as letters print them.

Rules worth stating (tests hold them):
- Learning lost: a session is half a school day, so days = sessions ÷ 2 (shown with ½); hours =
  sessions × half the school's day (Letterhead.school_day_minutes, default 390 = 6 h 30 min, the
  32.5-hour week the DfE expects of mainstream schools), rounded to the nearest half hour.
  Minutes late (L and U marks, as the register records them) are shown on their own: a `U` is
  already a session missed, so they are not added to the hours.
- Pronouns from Pupil.pronoun: she/her/her, he/him/his, they/them/their (also when blank);
  "xe/xem/xyr" as written; a two-part pronoun we do not know uses the name for the possessive;
  "name" (or "use name") uses the pupil's name throughout."""

from __future__ import annotations

import datetime as dt
import re

from ..sandbox import DateText

LONG_DATE = "j F Y"
WEEKDAY_DATE = "l j F Y"
SHORT_DAY = "D j M"


def date_value(day: dt.date | None, fmt: str = LONG_DATE):
    return None if day is None else {"$date": day.isoformat(), "fmt": fmt}


def to_plain(value):
    """Make `value` JSON-serialisable with dates tagged, so they come back as dates."""
    if isinstance(value, DateText):
        return {"$date": value.date.isoformat(), "fmt": value.fmt}
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return {"$date": value.isoformat(), "fmt": LONG_DATE}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


def from_plain(value):
    if isinstance(value, dict):
        if "$date" in value:
            return DateText(dt.date.fromisoformat(value["$date"]), value.get("fmt", LONG_DATE))
        return {k: from_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    return value


def percent_text(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.1f}"
    return f"{text[:-2] if text.endswith('.0') else text}%"


def halves(n: int, unit: str) -> str:
    """7 half-units → '3½ days'; 2 → '1 day'."""
    whole, half = divmod(n, 2)
    number = f"{whole}½" if half and whole else ("½" if half else str(whole))
    plural = "" if (whole == 1 and not half) or (whole == 0 and half) else "s"
    return f"{number} {unit}{plural}"


def learning_lost(sessions: int, minutes_late: int, school_day_minutes: int) -> dict:
    """Sessions missed as days and hours (see the module docstring for the rule)."""
    # minutes lost = sessions × day / 2; in half hours, rounding a quarter hour up
    half_hours = (sessions * school_day_minutes + 30) // 60
    return {
        "sessions": sessions,
        "days": halves(sessions, "day"),
        "hours": halves(half_hours, "hour"),
        "minutes_late": f"{minutes_late} minute{'' if minutes_late == 1 else 's'}",
    }


def time_text(value: dt.time | None) -> str:
    """09:00 → '9:00am', 15:30 → '3:30pm', 12:00 → '12 noon'."""
    if value is None:
        return ""
    if value.hour == 12 and value.minute == 0:
        return "12 noon"
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d}{'am' if value.hour < 12 else 'pm'}"


def pronouns(pupil) -> dict:
    forename = pupil.preferred_forename or pupil.legal_forename
    raw = (pupil.pronoun or "").strip().lower()
    parts = [p.strip() for p in re.split(r"[/,\s]+", raw) if p.strip()]
    possessive_name = f"{forename}’" if forename.endswith("s") else f"{forename}’s"
    if raw in ("name", "use name", "use my name", "none") or (parts and parts[0] in ("name", "none")):
        return {"they": forename, "them": forename, "their": possessive_name, "they_are": f"{forename} is"}
    known = {
        "she": ("she", "her", "her"),
        "he": ("he", "him", "his"),
        "they": ("they", "them", "their"),
    }
    if not parts or parts[0] in known:
        subject, obj, possessive = known[parts[0] if parts else "they"]
    elif len(parts) >= 3:
        subject, obj, possessive = parts[:3]
    elif len(parts) == 2:
        subject, obj, possessive = parts[0], parts[1], possessive_name
    else:
        subject, obj, possessive = parts[0], parts[0], possessive_name
    return {
        "they": subject,
        "them": obj,
        "their": possessive,
        "they_are": f"{subject} {'are' if subject == 'they' else 'is'}",
    }


def pounds(pence: int) -> str:
    """8000 → '£80'; 8050 → '£80.50'."""
    return f"£{pence // 100}" if pence % 100 == 0 else f"£{pence / 100:.2f}"


def _short_meaning(meaning: str) -> str:
    short = re.split(r"[:(]", meaning, maxsplit=1)[0].strip()
    if short.lower().startswith("present at the start"):
        return "Present"
    return short


def mark_text(entry) -> str:
    """A session's mark as the marks table shows it: '/ Present', 'L Late (5 min)', '–' for none;
    `entry` is (code, meaning, minutes late) or None."""
    if entry is None:
        return "–"
    code, meaning, minutes = entry
    text = f"{code} {_short_meaning(meaning)}"
    return f"{text} ({minutes} min)" if minutes else text
