"""The data of a batch's letters: for each pupil (and household) the plain values its template's
fields print, JSON-serialisable and kept on each letter as "the data it showed".

Only what the template's fields need is computed, and each figure for all the batch's pupils at
once (one aggregate per period, never a query per pupil), from `registers.selectors`, so the
letters agree with the pupil page and the checks. Attendance % is the DfE rate (100 − absence
rate), to one decimal place, over possible sessions while on roll; "this year" runs from the
academic year's start to the letter date, "this term" from the term's start, "since" from the
date staff give."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from absences.models import LeaveRequest
from absences.services import leave_decision_letter_context
from interventions.models import Case, NoticeToImprove, Rule
from interventions.services import FIRST_FULL, FIRST_REDUCED, SECOND
from registers.calendar import academic_year_for, term_for
from registers.models import Mark, Pupil, SchoolDay
from registers.selectors import AttendanceFigures, penalty_threshold, penalty_window, pupil_figures
from registers.years import year_label

from ..models import Letterhead
from .addressees import household_key, households, parent_block
from .catalogue import DELIVERY_FIELDS, LAYOUT_FIELDS, PERIODS, groups_needed
from .formatting import (
    SHORT_DAY,
    WEEKDAY_DATE,
    date_value,
    learning_lost,
    mark_text,
    percent_text,
    pounds,
    pronouns,
    time_text,
)


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
    """A produce option staff gave (a date, a time, a number of weeks) that cannot be used;
    `option` names it so the page can show the message beside it."""

    def __init__(self, message: str, option: str):
        self.message, self.option = message, option
        super().__init__(message)


def school_fields(school, letterhead) -> dict:
    """The `school.*` fields: the letterhead's details, or the school's own where it gives none."""
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
            rows.append({"date": date_value(day, SHORT_DAY), "morning": mark_text(am), "afternoon": mark_text(pm)})
        out[pid] = rows
    return out


def _penalty_terms(school) -> tuple[int, int]:
    """The threshold the school's active policy uses (the national 10 in 10 by default)."""
    rule = (
        Rule.objects.filter(policy__school=school, policy__active=True, trigger=Rule.Trigger.PENALTY_THRESHOLD)
        .order_by("order", "pk")
        .first()
    )
    params = rule.parameters if rule else {}
    return int(params.get("sessions", 10)), int(params.get("weeks", 10))


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
    options = dict(options or {})
    contacts = contacts or {}
    leave_requests = dict(leave_requests or {})
    needed = groups_needed(fields | LAYOUT_FIELDS | DELIVERY_FIELDS.get(delivery, set()))
    letterhead = Letterhead.for_school(school)
    school_block = school_fields(school, letterhead)
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
        shared["penalty"] = {
            "threshold_sessions": sessions,
            "threshold_weeks": weeks,
            "window_from": date_value(window.start if window else None),
            "window_to": date_value(window.end if window else None),
            "first_reduced": pounds(FIRST_REDUCED),
            "first_full": pounds(FIRST_FULL),
            "second": pounds(SECOND),
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
            data = {**base, "parent": parent_block(group)}
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
    if moment is None:
        return None
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
