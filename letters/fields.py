"""Merge fields: the catalogue staff choose from, and the data behind them.

`CATALOGUE` names every field a template may use (the sandbox refuses any other). `build_letters`
turns pupils into letter data — plain dicts of strings, numbers and dates, JSON-serialisable, kept
on each letter as "the data it showed" — with every figure from `registers.selectors`, computed
for all the batch's pupils at once (one aggregate per period, never a query per pupil), so the
letters agree with the pupil page and the checks. `hydrate` turns stored data back into what a
template renders (dates as words, the address block and the marks table as escaped HTML built
here, never by staff code), so a letter renders again exactly as it did.

Rules worth stating (tests hold them):
- Learning lost: a session is half a school day, so days = sessions ÷ 2 (shown with ½); hours =
  sessions × half the school's day (Letterhead.school_day_minutes, default 390 = 6 h 30 min, the
  32.5-hour week the DfE expects of mainstream schools), rounded to the nearest half hour.
  Minutes late (L and U marks, as the register records them) are shown on their own: a `U` is
  already a session missed, so they are not added to the hours.
- Attendance % is the DfE rate (100 − absence rate), to one decimal place, over possible sessions
  while on roll, from the selector; "this year" runs from the academic year's start to the letter
  date, "this term" from the term's start, "since" from the date staff give.
- The addressee: the named contact, or every contact the pupil lives with; contacts at different
  addresses (separated parents) each get their own letter in a batch. A household is the same
  address (print) or the same e-mail addresses (e-mail), so siblings' letters to one household
  travel together whether or not the school has linked them as a Family.
- Pronouns from Pupil.pronoun: she/her/her, he/him/his, they/them/their (also when blank);
  "xe/xem/xyr" as written; a two-part pronoun we do not know uses the name for the possessive;
  "name" (or "use name") uses the pupil's name throughout."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join

from registers.years import year_label

from .sandbox import Catalogue, DateText

# --- the catalogue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    group: str
    example: object
    kind: str = "text"  # text, number, date, html, list
    required: bool = True  # an empty value is an error when a template uses the field
    option: str | None = None  # the produce option staff give for it
    items: tuple[str, ...] = ()


PERIODS = {
    "year": "this school year",
    "term": "this term",
    "since": "since a date you choose",
}


def _period_fields() -> list[Field]:
    out = []
    examples = {"year": (234, 219, 15, 9, 6, 4), "term": (104, 96, 8, 5, 3, 2), "since": (40, 35, 5, 2, 3, 1)}
    for key, words in PERIODS.items():
        option = "since" if key == "since" else None
        possible, attended, missed, authorised, unauthorised, late = examples[key]
        group = f"Attendance {words}"
        out += [
            Field(f"attendance.{key}.percent", f"Attendance % {words}", group, "93.6%", option=option),
            Field(f"attendance.{key}.possible", f"Possible sessions {words}", group, possible, "number", option=option),
            Field(f"attendance.{key}.attended", f"Sessions attended {words}", group, attended, "number", option=option),
            Field(f"attendance.{key}.missed", f"Sessions missed {words}", group, missed, "number", option=option),
            Field(
                f"attendance.{key}.authorised", f"Authorised absence (sessions) {words}", group, authorised, "number"
            ),
            Field(
                f"attendance.{key}.unauthorised",
                f"Unauthorised absence (sessions) {words}",
                group,
                unauthorised,
                "number",
                option=option,
            ),
            Field(f"attendance.{key}.late", f"Late marks {words}", group, late, "number", option=option),
            Field(
                f"attendance.{key}.from", f"First day counted {words}", group, "3 September 2026", "date", option=option
            ),
            Field(
                f"attendance.{key}.to", f"Last day counted {words}", group, "23 November 2026", "date", option=option
            ),
            Field(
                f"learning_lost.{key}.sessions", f"Sessions of learning lost {words}", f"Learning lost {words}", missed
            ),
            Field(f"learning_lost.{key}.days", f"Days of learning lost {words}", f"Learning lost {words}", "7½ days"),
            Field(
                f"learning_lost.{key}.hours", f"Hours of learning lost {words}", f"Learning lost {words}", "49 hours"
            ),
            Field(
                f"learning_lost.{key}.minutes_late",
                f"Minutes late {words}",
                f"Learning lost {words}",
                "35 minutes",
                option=option,
            ),
        ]
    return out


CATALOGUE: list[Field] = [
    Field("school.name", "School name", "School", "Brookside Primary School"),
    Field("school.address", "School address", "School", "Mill Street\nAshford Green\nAG4 7PL"),
    Field("school.telephone", "School telephone", "School", "01632 960 417", required=False),
    Field("school.email", "School e-mail", "School", "office@brookside.example.sch.uk", required=False),
    Field("school.website", "School website", "School", "www.brookside.example.sch.uk", required=False),
    Field("school.logo", "School logo (image)", "School", "", "html", required=False),
    Field("letter.date", "Date of the letter", "Letter", "23 November 2026", "date"),
    Field("parent.salutation", "Salutation (after “Dear”)", "Parent or carer", "Mr and Mrs Okafor"),
    Field("parent.names", "Parents’/carers’ names", "Parent or carer", "Mr David Okafor and Mrs Grace Okafor"),
    Field("parent.address_block", "Address block (names and address)", "Parent or carer", "", "html"),
    Field("parent.address", "Address", "Parent or carer", "14 Mill Lane\nAshford Green"),
    Field("parent.postcode", "Postcode", "Parent or carer", "AG4 2QT", required=False),
    Field("parent.email", "E-mail address", "Parent or carer", "grace.okafor@example.com", required=False),
    Field("pupil.preferred_name", "Pupil’s name (preferred)", "Pupil", "Sam Okafor"),
    Field("pupil.first_name", "Pupil’s first name (preferred)", "Pupil", "Sam"),
    Field("pupil.legal_name", "Pupil’s legal name", "Pupil", "Samuel Okafor"),
    Field("pupil.legal_first_name", "Pupil’s legal first name", "Pupil", "Samuel"),
    Field("pupil.surname", "Pupil’s surname", "Pupil", "Okafor"),
    Field("pupil.date_of_birth", "Pupil’s date of birth", "Pupil", "14 March 2018", "date"),
    Field("pupil.they", "Pronoun: he / she / they", "Pupil", "he"),
    Field("pupil.them", "Pronoun: him / her / them", "Pupil", "him"),
    Field("pupil.their", "Pronoun: his / her / their", "Pupil", "his"),
    Field("pupil.they_are", "“he is” / “she is” / “they are”", "Pupil", "he is"),
    Field("pupil.year", "Year group", "Pupil", "Year 3"),
    Field("pupil.group", "Class or form", "Pupil", "Year 3 Kestrels", required=False),
    *_period_fields(),
    Field("marks.table", "Marks table (each session)", "Marks", "", "html", option="period_from"),
    Field("marks.from", "Marks table: from", "Marks", "9 November 2026", "date", option="period_from"),
    Field("marks.to", "Marks table: to", "Marks", "20 November 2026", "date", option="period_to"),
    Field(
        "marks.rows",
        "Marks, one row per day (for {% for %})",
        "Marks",
        [],
        "list",
        option="period_from",
        items=("date", "morning", "afternoon"),
    ),
    Field("case.stage", "Stage of the school’s attendance procedure", "Case", "Stage 2: Concern letter"),
    Field("case.opened_on", "Date the case was opened", "Case", "2 October 2026", "date"),
    Field("case.owner", "Who leads the case", "Case", "Mrs J Patel", required=False),
    Field("meeting.date", "Meeting date", "Meeting", "Thursday 3 December 2026", "date", option="meeting_date"),
    Field("meeting.time", "Meeting time", "Meeting", "3:30pm", option="meeting_time"),
    Field("meeting.place", "Meeting place", "Meeting", "the school office", option="meeting_place"),
    Field(
        "improvement.weeks", "Improvement period (weeks)", "Notice to improve", 4, "number", option="improvement_weeks"
    ),
    Field("improvement.starts", "Improvement period starts", "Notice to improve", "23 November 2026", "date"),
    Field("improvement.ends", "Improvement period ends", "Notice to improve", "21 December 2026", "date"),
    Field(
        "improvement.record_summary",
        "Attendance record and offences (from the notice)",
        "Notice to improve",
        "Sam has missed 22 sessions this term, 14 of them unauthorised.",
    ),
    Field(
        "improvement.support_offered",
        "Support offered so far (from the notice)",
        "Notice to improve",
        "Meetings with the attendance officer; a morning routine plan; breakfast club.",
    ),
    Field(
        "improvement.further_support",
        "Further support available (from the notice)",
        "Notice to improve",
        "Early help from the local authority.",
        required=False,
    ),
    Field(
        "improvement.sufficient_improvement",
        "What sufficient improvement means (from the notice)",
        "Notice to improve",
        "No unauthorised absence during the improvement period.",
    ),
    Field("penalty.threshold_sessions", "National threshold: sessions", "Penalty notice", 10, "number"),
    Field("penalty.threshold_weeks", "National threshold: school weeks", "Penalty notice", 10, "number"),
    Field("penalty.unauthorised_sessions", "Unauthorised sessions in the window", "Penalty notice", 8, "number"),
    Field("penalty.window_from", "Window: first day", "Penalty notice", "14 September 2026", "date"),
    Field("penalty.window_to", "Window: last day", "Penalty notice", "23 November 2026", "date"),
    Field("penalty.first_reduced", "First notice if paid within 21 days", "Penalty notice", "£80"),
    Field("penalty.first_full", "First notice if paid within 28 days", "Penalty notice", "£160"),
    Field("penalty.second", "Second notice within 3 years", "Penalty notice", "£160"),
    Field("leave.requested_period", "Leave: dates requested", "Leave of absence", "Mon 1 Feb 2027 to Fri 5 Feb 2027"),
    Field("leave.granted_period", "Leave: dates granted", "Leave of absence", "Mon 1 Feb 2027 to Wed 3 Feb 2027"),
    Field("leave.circumstance", "Leave: circumstance", "Leave of absence", "Exceptional circumstances"),
    Field("leave.decision", "Leave: decision", "Leave of absence", "Granted"),
    Field("leave.reason", "Leave: reason for the decision", "Leave of absence", "A family funeral abroad."),
    Field("leave.requested_on", "Leave: date of the request", "Leave of absence", "9 November 2026", "date"),
    Field("leave.decided_on", "Leave: date of the decision", "Leave of absence", "12 November 2026", "date"),
    Field("leave.decided_by", "Leave: decided by", "Leave of absence", "Mrs H Whitfield"),
    Field("leave.decided_by_position", "Leave: their position", "Leave of absence", "Headteacher"),
    Field("signatory.name", "Signatory’s name", "Signatory", "Mrs H Whitfield", option="signatory_name"),
    Field("signatory.position", "Signatory’s position", "Signatory", "Headteacher", option="signatory_position"),
]
FIELDS = {f.name: f for f in CATALOGUE}
# Fields the letter layout itself prints (letterhead, address window, date, signature block).
LAYOUT_FIELDS = {"school.name", "letter.date", "signatory.name"}
# Fields the layout cannot do without: the signatory always, the address window for a printed
# letter, an e-mail address for an e-mailed one.
DELIVERY_FIELDS = {
    "print": {"signatory.name", "parent.address"},
    "email": {"signatory.name", "parent.email"},
    "certificate": {"signatory.name"},
}


def sandbox_catalogue() -> Catalogue:
    return Catalogue(
        fields=frozenset(f.name for f in CATALOGUE if f.kind != "list"),
        lists={f.name: frozenset(f.items) for f in CATALOGUE if f.kind == "list"},
    )


def options_for(fields: set[str]) -> set[str]:
    """The produce options a template that uses `fields` needs staff to give."""
    options = {FIELDS[name].option for name in fields if name in FIELDS and FIELDS[name].option}
    if "period_from" in options:
        options.add("period_to")
    if "attendance.since" in {n.rsplit(".", 1)[0] for n in fields} or any(
        n.startswith("learning_lost.since") for n in fields
    ):
        options.add("since")
    if options & {"meeting_date", "meeting_time", "meeting_place"}:
        options |= {"meeting_date", "meeting_time", "meeting_place"}
    return options


# --- plain values -------------------------------------------------------------------------

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


def _from_plain(value):
    if isinstance(value, dict):
        if "$date" in value:
            return DateText(dt.date.fromisoformat(value["$date"]), value.get("fmt", LONG_DATE))
        return {k: _from_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_plain(v) for v in value]
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


def address_lines(contact) -> list[str]:
    lines = [line.strip().rstrip(",") for line in (contact.address or "").splitlines() if line.strip()]
    postcode = (contact.postcode or "").strip().upper()
    if postcode and not any(postcode.replace(" ", "") == line.replace(" ", "").upper() for line in lines):
        lines.append(postcode)
    return lines


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def household_key(contacts, delivery: str) -> str:
    """Letters with the same key go to the same household: the same address for print, the same
    e-mail addresses for e-mail."""
    if delivery == "email":
        basis = "|".join(sorted({_normalise(c.email) for c in contacts if c.email})) or f"c{contacts[0].pk}"
    else:
        basis = _normalise(" ".join(address_lines(contacts[0]))) or f"c{contacts[0].pk}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def _person(contact, *, initial: bool = False) -> str:
    forename = (contact.forename[:1] if initial and contact.forename else contact.forename).strip()
    return " ".join(p for p in (contact.title.strip(), forename, contact.surname.strip()) if p)


def salutation(contacts) -> str:
    """'Mr and Mrs Okafor', 'Ms Jones and Mr Patel', 'Grace Okafor'."""
    if not contacts:
        return "Parent or Carer"
    titled = [c for c in contacts if c.title.strip()]
    surnames = {c.surname.strip().lower() for c in contacts}
    if len(contacts) > 1 and len(titled) == len(contacts) and len(surnames) == 1:
        titles = [c.title.strip() for c in contacts]
        return f"{' and '.join(titles)} {contacts[0].surname.strip()}"
    names = [f"{c.title.strip()} {c.surname.strip()}" if c.title.strip() else _person(c) for c in contacts]
    return _and(names)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def households(pupil, contact=None, delivery: str = "print") -> list[list]:
    """The groups of contacts a letter about `pupil` goes to: the named contact alone, or every
    contact the pupil lives with, grouped by address (priority order)."""
    if contact is not None:
        return [[contact]]
    living = [c for c in pupil.contacts.all() if c.lives_with_pupil]
    living.sort(key=lambda c: (c.priority, c.pk))
    groups: dict[str, list] = {}
    for c in living:
        key = _normalise(" ".join(address_lines(c))) or f"c{c.pk}"
        groups.setdefault(key, []).append(c)
    return list(groups.values())


# --- building the data --------------------------------------------------------------------


@dataclass
class Prepared:
    """One letter's data, or why it cannot be made."""

    pupil: object
    household: str = ""
    contacts: list = field(default_factory=list)
    data: dict | None = None
    error: str | None = None
    error_field: str | None = None
    leave_request: object = None

    @property
    def addressee(self):
        return self.contacts[0] if self.contacts else None

    @property
    def emails(self) -> list[str]:
        seen = []
        for c in self.contacts:
            if c.email and c.email.lower() not in [s.lower() for s in seen]:
                seen.append(c.email)
        return seen


def _parse_date(value, name: str):
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise OptionError(f"“{value}” is not a date (give it as YYYY-MM-DD).", name)


def _parse_time(value, name: str):
    if value in (None, ""):
        return None
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise OptionError(f"“{value}” is not a time (give it as HH:MM).", name)


class OptionError(Exception):
    def __init__(self, message: str, option: str):
        self.message, self.option = message, option
        super().__init__(message)


def groups_needed(fields: set[str]) -> set[str]:
    out = set()
    for name in fields:
        head, _, rest = name.partition(".")
        out.add(head)
        if head in ("attendance", "learning_lost"):
            out.add("period:" + rest.split(".")[0])
    return out


def _school_block(school, letterhead) -> dict:
    return {
        "name": school.name,
        "address": letterhead.address or school.address,
        "telephone": letterhead.telephone or school.telephone,
        "email": letterhead.email or school.email,
        "website": letterhead.website,
        "footer": letterhead.footer,
        "font": letterhead.font,
        "accent": letterhead.accent_colour,
        "_logo": letterhead.logo.name if letterhead.logo else "",
        "_logo_type": letterhead.logo_content_type if letterhead.logo else "",
    }


def _figures_block(figures, start, end, school_day_minutes) -> dict:
    from registers.selectors import AttendanceFigures

    f = figures or AttendanceFigures()
    return {
        "attendance": {
            "percent": percent_text(f.attendance_percent) if f.possible else "",
            "possible": f.possible,
            "attended": f.attended,
            "missed": f.absent,
            "authorised": f.authorised,
            "unauthorised": f.unauthorised,
            "late": f.late_before_close + f.late_after_close,
            "from": date_value(start),
            "to": date_value(end),
        },
        "learning_lost": learning_lost(f.absent, f.minutes_late, school_day_minutes),
    }


def periods(school, on: dt.date, since: dt.date | None) -> dict[str, tuple[dt.date, dt.date]]:
    """The date ranges of 'this year', 'this term' and 'since': each ends on the letter date."""
    from registers.calendar import academic_year_for, term_for

    out = {}
    year = academic_year_for(school, on)
    if year is not None:
        out["year"] = (year.start_date, min(on, year.end_date))
    term = term_for(school, on)
    if term is not None:
        out["term"] = (term.start_date, min(on, term.end_date))
    if since is not None:
        out["since"] = (since, on)
    return out


def _marks_rows(school, pupil_ids, start, end) -> dict[int, list[dict]]:
    """Each pupil's marks from `start` to `end`, one row per school day (one query)."""
    from registers.models import Mark, SchoolDay

    days = list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))
    marks = (
        Mark.objects.filter(school=school, pupil_id__in=pupil_ids, date__range=(start, end))
        .select_related("code")
        .order_by()
    )
    by_pupil: dict[int, dict] = defaultdict(dict)
    for m in marks:
        by_pupil[m.pupil_id][(m.date, m.session)] = (m.code.code, m.code.meaning, m.minutes_late)
    out = {}
    for pid in pupil_ids:
        entries = by_pupil.get(pid, {})
        rows = []
        for day in sorted(set(days) | {d for d, _ in entries}):
            am, pm = entries.get((day, "AM")), entries.get((day, "PM"))
            rows.append({"date": date_value(day, SHORT_DAY), "morning": _cell(am), "afternoon": _cell(pm)})
        out[pid] = rows
    return out


def _short_meaning(meaning: str) -> str:
    short = re.split(r"[:(]", meaning, maxsplit=1)[0].strip()
    if short.lower().startswith("present at the start"):
        return "Present"
    return short


def _cell(entry) -> str:
    if entry is None:
        return "–"
    code, meaning, minutes = entry
    text = f"{code} {_short_meaning(meaning)}"
    return f"{text} ({minutes} min)" if minutes else text


def _penalty_terms(school) -> tuple[int, int]:
    """The threshold the school's active policy uses (the national 10 in 10 by default)."""
    from interventions.models import Rule

    rule = (
        Rule.objects.filter(policy__school=school, policy__active=True, trigger=Rule.Trigger.PENALTY_THRESHOLD)
        .order_by("order", "pk")
        .first()
    )
    params = rule.parameters if rule else {}
    return int(params.get("sessions", 10)), int(params.get("weeks", 10))


def _pounds(pence: int) -> str:
    return f"£{pence // 100}" if pence % 100 == 0 else f"£{pence / 100:.2f}"


def build_letters(
    *,
    school,
    pupils,
    on: dt.date,
    fields: set[str],
    options: dict | None = None,
    delivery: str = "print",
    contacts: dict | None = None,
    leave_requests: dict | None = None,
    all_households: bool = True,
) -> list[Prepared]:
    """Letter data for each pupil (and household), for a template that uses `fields`.

    Only what `fields` need is computed, each for all pupils at once. `contacts` may name the
    contact per pupil id; `leave_requests` the leave request per pupil id. A pupil whose letter
    cannot be made (no address, no data for a field it uses) comes back with `error` set."""
    from interventions.models import Case, NoticeToImprove
    from registers.models import Pupil
    from registers.selectors import penalty_threshold, penalty_window, pupil_figures

    from .models import Letterhead

    options = dict(options or {})
    contacts = contacts or {}
    leave_requests = dict(leave_requests or {})
    needed = groups_needed(fields | LAYOUT_FIELDS | DELIVERY_FIELDS.get(delivery, set()))
    letterhead = Letterhead.for_school(school)
    school_block = _school_block(school, letterhead)
    pupil_list = list(
        Pupil.objects.filter(pk__in=[getattr(p, "pk", p) for p in pupils], school=school)
        .select_related("group")
        .prefetch_related("contacts")
        .order_by("legal_surname", "legal_forename", "pk")
    )
    ids = [p.pk for p in pupil_list]
    since = _parse_date(options.get("since"), "since")
    if since is not None and since > on:
        raise OptionError("“Since” must be on or before the date of the letter.", "since")
    ranges = periods(school, on, since)

    shared: dict = {"school": school_block, "letter": {"date": date_value(on)}}
    signatory = {
        "name": options.get("signatory_name") or letterhead.signatory_name,
        "position": options.get("signatory_position") or letterhead.signatory_position,
    }
    shared["signatory"] = signatory

    figures: dict[str, dict] = {}
    for key in PERIODS:
        if f"period:{key}" in needed:
            if key not in ranges:
                raise OptionError(
                    "Give the date the figures run from (“since”)."
                    if key == "since"
                    else f"There is no {PERIODS[key][5:]} in the school calendar on {on:%d %B %Y}.",
                    "since" if key == "since" else key,
                )
            start, end = ranges[key]
            figures[key] = pupil_figures(
                school=school, date_from=start, date_to=end, pupils=ids, include_subsidiary=True
            )

    if "meeting" in needed:
        meeting_day = _parse_date(options.get("meeting_date"), "meeting_date")
        shared["meeting"] = {
            "date": date_value(meeting_day, WEEKDAY_DATE),
            "time": time_text(_parse_time(options.get("meeting_time"), "meeting_time")),
            "place": (options.get("meeting_place") or "").strip(),
        }

    marks_rows = {}
    if "marks" in needed:
        start = _parse_date(options.get("period_from"), "period_from")
        end = _parse_date(options.get("period_to"), "period_to")
        if start is None or end is None:
            # by default the last ten school days before the letter's date (today's registers
            # may not be complete when the letter is written)
            from registers.models import SchoolDay

            recent = list(
                SchoolDay.objects.filter(school=school, date__lt=end or on)
                .order_by("-date")
                .values_list("date", flat=True)[:10]
            )
            end = end or (recent[0] if recent else on)
            start = start or (recent[-1] if recent else end)
        if start > end:
            raise OptionError("The marks table must start on or before the day it ends.", "period_from")
        marks_rows = _marks_rows(school, ids, start, end)
        shared["marks"] = {"from": date_value(start), "to": date_value(end)}

    penalty: dict[int, int] = {}
    if "penalty" in needed:
        sessions, weeks = _penalty_terms(school)
        window = penalty_window(school=school, on=on, weeks=weeks)
        from interventions.services import FIRST_FULL, FIRST_REDUCED, SECOND

        shared["penalty"] = {
            "threshold_sessions": sessions,
            "threshold_weeks": weeks,
            "window_from": date_value(window.start if window else None),
            "window_to": date_value(window.end if window else None),
            "first_reduced": _pounds(FIRST_REDUCED),
            "first_full": _pounds(FIRST_FULL),
            "second": _pounds(SECOND),
        }
        rows = penalty_threshold(school=school, on=on, sessions=1, weeks=weeks, pupils=ids) if window else []
        penalty = {r.pupil_id: r.unauthorised_sessions for r in rows}

    cases = {}
    if "case" in needed or "improvement" in needed:
        for case in Case.objects.filter(pupil_id__in=ids, status=Case.Status.OPEN).select_related(
            "stage", "owner__user"
        ):
            cases[case.pupil_id] = case
    notices = {}
    if "improvement" in needed:
        for notice in (
            NoticeToImprove.objects.filter(case__pupil_id__in=ids).select_related("case").order_by("issued_on", "pk")
        ):
            notices[notice.case.pupil_id] = notice
    if "leave" in needed:
        from absences.models import LeaveRequest

        missing = [pid for pid in ids if pid not in leave_requests]
        if missing:
            decided = LeaveRequest.objects.filter(
                pupil_id__in=missing, status__in=(LeaveRequest.Status.GRANTED, LeaveRequest.Status.REFUSED)
            ).order_by("decided_at", "pk")
            for request in decided:
                leave_requests[request.pupil_id] = request

    out: list[Prepared] = []
    for pupil in pupil_list:
        groups = households(pupil, contacts.get(pupil.pk), delivery)
        if not all_households:
            groups = groups[:1]
        if not groups:
            field_name = "parent.email" if delivery == "email" else "parent.address"
            out.append(
                Prepared(
                    pupil,
                    household=f"none-{pupil.pk}",
                    error=f"{pupil.name} has no parent or carer recorded as living with them.",
                    error_field=field_name,
                )
            )
            continue
        base = _pupil_data(pupil, shared, figures, ranges, letterhead.school_day_minutes)
        if marks_rows:
            base["marks"] = {**shared["marks"], "rows": marks_rows.get(pupil.pk, [])}
        if "penalty" in needed:
            base["penalty"] = {**shared["penalty"], "unauthorised_sessions": penalty.get(pupil.pk, 0)}
        case = cases.get(pupil.pk)
        if "case" in needed:
            base["case"] = {
                "stage": case.stage.name if case and case.stage else "",
                "opened_on": date_value(case.opened_on) if case else None,
                "owner": case.owner.display_name if case and case.owner else "",
            }
        if "improvement" in needed:
            base["improvement"] = _improvement(notices.get(pupil.pk), options, on)
        leave = leave_requests.get(pupil.pk)
        if "leave" in needed:
            base["leave"] = _leave(leave)
        for group in groups:
            data = {**base, "parent": _parent(group)}
            out.append(Prepared(pupil, household_key(group, delivery), list(group), data, leave_request=leave))
    return out


def _pupil_data(pupil, shared, figures, ranges, school_day_minutes) -> dict:
    data = dict(shared)
    data["pupil"] = {
        "preferred_name": pupil.name,
        "first_name": pupil.forename,
        "legal_name": pupil.legal_name,
        "legal_first_name": pupil.legal_forename,
        "surname": pupil.surname,
        "date_of_birth": date_value(pupil.date_of_birth),
        **pronouns(pupil),
        "year": year_label(pupil.year),
        "group": pupil.group.name if pupil.group else "",
    }
    attendance, lost = {}, {}
    for key, per_pupil in figures.items():
        start, end = ranges[key]
        block = _figures_block(per_pupil.get(pupil.pk), start, end, school_day_minutes)
        attendance[key], lost[key] = block["attendance"], block["learning_lost"]
    if attendance:
        data["attendance"], data["learning_lost"] = attendance, lost
    return data


def _parent(contacts) -> dict:
    first = contacts[0]
    names = _and([_person(c) for c in contacts])
    lines = address_lines(first)
    return {
        "salutation": salutation(contacts),
        "names": names,
        "address": "\n".join(line for line in lines if line != (first.postcode or "").strip().upper()),
        "postcode": (first.postcode or "").strip().upper(),
        "email": ", ".join(dict.fromkeys(c.email for c in contacts if c.email)),
        "_lines": [_and([_person(c, initial=True) for c in contacts]), *lines] if lines else [],
    }


def _improvement(notice, options, on) -> dict:
    if notice is not None:
        return {
            "weeks": notice.improvement_weeks,
            "starts": date_value(notice.issued_on),
            "ends": date_value(notice.period_ends_on),
            "record_summary": notice.record_summary,
            "support_offered": notice.support_offered,
            "further_support": notice.further_support,
            "sufficient_improvement": notice.sufficient_improvement,
        }
    weeks = options.get("improvement_weeks")
    try:
        weeks = int(weeks) if weeks not in (None, "") else None
    except (TypeError, ValueError):
        raise OptionError(f"“{weeks}” is not a number of weeks.", "improvement_weeks")
    if weeks is not None and not 3 <= weeks <= 6:
        raise OptionError("The improvement period is 3 to 6 weeks.", "improvement_weeks")
    return {
        "weeks": weeks,
        "starts": date_value(on) if weeks else None,
        # as interventions.services.issue_notice_to_improve: issued on + the weeks
        "ends": date_value(on + dt.timedelta(weeks=weeks)) if weeks else None,
        "record_summary": "",
        "support_offered": "",
        "further_support": "",
        "sufficient_improvement": "",
    }


def _leave(request) -> dict:
    if request is None:
        return dict.fromkeys(("requested_period", "granted_period", "circumstance", "decision", "reason"), "") | {
            "requested_on": None,
            "decided_on": None,
            "decided_by": "",
            "decided_by_position": "",
        }
    from absences.services import leave_decision_letter_context

    context = leave_decision_letter_context(request)
    decided_at = context["decided_at"]
    return {
        "requested_period": context["requested_period"],
        "granted_period": context["granted_period"],
        "circumstance": context["circumstance"],
        "decision": context["decision"],
        "reason": context["reason"],
        "requested_on": date_value(_local_date(request.created_at)),
        "decided_on": date_value(_local_date(decided_at)),
        "decided_by": context["decided_by"],
        "decided_by_position": context["decided_by_position"],
    }


def _local_date(moment):
    from django.utils import timezone

    if moment is None:
        return None
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def sample_data(school, on: dt.date) -> dict:
    """Data for the editor's preview when no pupil is chosen: the catalogue's examples, with
    the school's own letterhead."""
    from .models import Letterhead

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
    data["school"] = _school_block(school, letterhead)
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


# --- hydrating stored data for rendering --------------------------------------------------


def hydrate(data: dict, *, logo_src: str | None) -> dict:
    """Stored letter data → the values templates see: dates as words, and the HTML fields
    (address block, marks table, logo) built here with everything escaped."""
    values = _from_plain(data)
    school = values.setdefault("school", {})
    school["logo"] = (
        format_html('<img class="school-logo" src="{}" alt="{}">', logo_src, school.get("name", "")) if logo_src else ""
    )
    parent = values.get("parent")
    if parent is not None:
        lines = parent.get("_lines") or []
        # one line per line of the address (white-space: pre-line): no <br> elements to lay out
        parent["address_block"] = format_html('<p class="address-block">{}</p>', "\n".join(lines)) if lines else ""
    marks = values.get("marks")
    if marks is not None:
        marks["table"] = marks_table(marks.get("rows") or [])
    return values


def marks_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    body = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>',
        ((row["date"], row["morning"], row["afternoon"]) for row in rows),
    )
    return format_html(
        '<table class="marks"><thead><tr><th scope="col">Day</th><th scope="col">Morning</th>'
        '<th scope="col">Afternoon</th></tr></thead><tbody>{}</tbody></table>',
        body,
    )


def value_at(values: dict, name: str):
    node = values
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def missing_fields(values: dict, fields: set[str]) -> list[str]:
    """Required fields among `fields` with no value in `values` (hydrated)."""
    missing = []
    for name in sorted(fields):
        f = FIELDS.get(name)
        if f is None or not f.required:
            continue
        value = value_at(values, name)
        if value is None or value == "" or (f.kind == "list" and value is None):
            missing.append(name)
    return missing


def describe(data: dict) -> list[dict]:
    """The stored data of a letter as (label, value) rows for its record page."""
    values = _from_plain(data)
    rows = []
    for f in CATALOGUE:
        if f.kind in ("html", "list"):
            continue
        value = value_at(values, f.name)
        if value in (None, ""):
            continue
        rows.append({"name": f.name, "label": f.label, "group": f.group, "value": str(value)})
    return rows
