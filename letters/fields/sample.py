"""The editor's preview data when no pupil is chosen: the catalogue's examples, with the school's
own letterhead and a fortnight of sample marks."""

from __future__ import annotations

import datetime as dt

from ..models import Letterhead
from .catalogue import CATALOGUE
from .data import school_fields
from .formatting import LONG_DATE, SHORT_DAY, WEEKDAY_DATE, date_value


def sample_data(school, on: dt.date) -> dict:
    """Data for the editor's preview when no pupil is chosen: the catalogue's examples, with
    the school's own letterhead."""
    letterhead = Letterhead.for_school(school)
    data: dict = {}
    for f in CATALOGUE:
        if f.kind == "html":
            continue
        head, *middle, last = f.name.split(".")
        node = data.setdefault(head, {})
        for part in middle:
            node = node.setdefault(part, {})
        value = f.example
        if f.kind == "date":
            value = {
                "$date": _example_date(value).isoformat(),
                "fmt": WEEKDAY_DATE if f.name == "meeting.date" else LONG_DATE,
            }
        node[last] = value
    data["school"] = school_fields(school, letterhead)
    data["letter"] = {"date": date_value(on)}
    data["signatory"] = {
        "name": letterhead.signatory_name or "Mrs H Whitfield",
        "position": letterhead.signatory_position or "Headteacher",
    }
    data["parent"]["_lines"] = ["Mr D Okafor and Mrs G Okafor", "14 Mill Lane", "Ashford Green", "AG4 2QT"]
    start = on - dt.timedelta(days=11)
    rows = []
    sample_codes = [
        "/ Present",
        "L Late (5 min)",
        "I Illness",
        "I Illness",
        "/ Present",
        "O Absent in other or unknown circumstances",
    ]
    day, i = start, 0
    while day <= on:
        if day.weekday() < 5:
            rows.append(
                {
                    "date": date_value(day, SHORT_DAY),
                    "morning": sample_codes[i % len(sample_codes)],
                    "afternoon": "\\ Present" if i % 3 else sample_codes[(i + 2) % len(sample_codes)],
                }
            )
            i += 1
        day += dt.timedelta(days=1)
    data["marks"] = {"from": date_value(start), "to": date_value(on), "rows": rows}
    return data


def _example_date(text: str) -> dt.date:
    return dt.datetime.strptime(text.split(" ", 1)[1] if text[0].isalpha() else text, "%d %B %Y").date()
