"""Internal truancy within the lesson: a pupil seen earlier today and missing from a lesson with no
known reason raises an alert for their head of year and the office at once; the pupil turning up
later clears it, with where they were.

The rule (issue 14, "Internal truancy"), applied when a lesson register's marks are written
(`lessons.signals.lesson_marks_written`, answered in `lessons.receivers`):

- Missing means an unauthorised absence code in the lesson's register (N, O, U, G), as soon as
  the teacher enters it, or no mark at all in a register recorded as taken (a register is taken
  once every pupil has a mark, so this is a pupil added to the class since). A teacher who enters
  a reason (an authorised absence such as M, an approved activity such as V) has given the
  reason, so that raises nothing.
- Seen earlier today means a present mark (/, \\, L) at the morning register, at the afternoon
  register when the lesson is in the afternoon, or in a lesson that started before this one. A
  pupil not seen today is not in school, and the statutory follow-up of absence covers them.
- Known reasons, each of which suppresses the alert: the statutory mark for the lesson's session
  is not a present mark (leave, a planned activity, a medical appointment, signed out); the pupil
  was signed in late and arrived after the lesson began; anything an app above lessons answers to
  `registers.signals.known_reasons` (absences: a parent's report covering the session, leave
  granted). The product keeps no dated medical note (the pupil's `medical_note` is a standing
  note for the teacher), so a medical appointment reaches this rule as a parent's report or an M.
- One alert per pupil per lesson register: judging the same register again (re-submitted, or
  corrected) raises nothing twice.
- A pupil marked present in this lesson or a later one, or signed in late at the office, clears
  their open alerts of the day ("marked present in P4 …"); staff may clear one by hand, saying
  where the pupil was. Every change is kept in the alert's history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from registers.models import AM, PM, AttendanceCode, Mark, Staff
from registers.register_selectors import register_times_by_phase
from registers.signals import known_reasons
from registers.timing import at

from .models import LessonMark, LessonRegister, TruancyAlert
from .timetable import pupils_in

CAT = AttendanceCode.Category
MISSING_CATEGORIES = {CAT.UNAUTHORISED}
WHERE_MAX = TruancyAlert._meta.get_field("where_they_were").max_length


@dataclass
class CheckResult:
    raised: list[TruancyAlert] = field(default_factory=list)
    resolved: list[TruancyAlert] = field(default_factory=list)
    excused: dict[int, str] = field(default_factory=dict)  # pupil_id → the known reason


# --- how a sighting reads ----------------------------------------------------------------------


def describe_lesson_mark(mark: LessonMark) -> str:
    """ "P2 Maths 10X/Ma1, Room S4, 10:05 — marked by Mr Khan" (needs the register's lesson with
    its group, period and room at hand)."""
    lesson = mark.register.lesson
    room = f", Room {lesson.room.code}" if lesson.room_id else ""
    when = timezone.localtime(mark.recorded_at)
    where = f"{lesson.period.name} {lesson.group.subject} {lesson.group.name}{room}"
    return f"{where}, {when:%H:%M} — marked by {mark.recorded_by_name}"


def describe_statutory_mark(mark: Mark) -> str:
    """ "Morning register 10X, 08:42 — marked by Ms Patel" (the pupil's form group at hand)."""
    session = "Morning" if mark.session == AM else "Afternoon"
    group = f" {mark.pupil.group.name}" if mark.pupil.group_id else ""
    when = timezone.localtime(mark.recorded_at)
    return f"{session} register{group}, {when:%H:%M} — marked by {mark.recorded_by_name}"


def _lesson_marks_with_lessons() -> QuerySet[LessonMark]:
    return LessonMark.objects.select_related(
        "code", "register__lesson__group", "register__lesson__period", "register__lesson__room"
    )


# --- the check ---------------------------------------------------------------------------------


def check_lesson_register(*, register_id: int, now: dt.datetime) -> CheckResult:
    """Judge one lesson register's marks: clear the alerts of pupils present in it, raise one for
    each pupil seen earlier today who is missing from it with no known reason. Idempotent; a
    constant number of queries whatever the class size."""
    with transaction.atomic():
        # One check at a time per register: two submissions at once cannot raise an alert twice.
        register = (
            LessonRegister.objects.select_for_update(of=("self",))
            .select_related("school", "lesson__group", "lesson__period", "lesson__room")
            .get(pk=register_id)
        )
        result = CheckResult()
        lesson = register.lesson
        marks = {m.pupil_id: m for m in _lesson_marks_with_lessons().filter(register=register)}
        present = [m for m in marks.values() if m.code.category == CAT.PRESENT]
        result.resolved = _resolve_by_lesson_marks(
            register.school_id, register.date, present, lesson.period.starts, now
        )
        unmarked = set()
        if register.state == LessonRegister.State.TAKEN:
            unmarked = set(pupils_in(lesson, register.date).values_list("pk", flat=True)) - marks.keys()
        absent = {pid for pid, m in marks.items() if m.code.category in MISSING_CATEGORIES}
        missing = sorted(unmarked | absent)
        if missing:
            result.raised, result.excused = _raise_alerts(register, missing, now)
        return result


def _seen_earlier(register: LessonRegister, pupil_ids: list[int]) -> tuple[dict, dict]:
    """The pupils' statutory marks today ({pupil_id: {session: mark}}) and their present marks in
    lessons that started before this one ({pupil_id: [marks]})."""
    statutory: dict[int, dict[str, Mark]] = {}
    for mark in Mark.objects.filter(
        school_id=register.school_id, date=register.date, pupil_id__in=pupil_ids
    ).select_related("code", "pupil__group"):
        statutory.setdefault(mark.pupil_id, {})[mark.session] = mark
    earlier: dict[int, list[LessonMark]] = {}
    for mark in _lesson_marks_with_lessons().filter(
        school_id=register.school_id,
        date=register.date,
        pupil_id__in=pupil_ids,
        code__category=CAT.PRESENT,
        register__lesson__period__starts__lt=register.lesson.period.starts,
    ):
        earlier.setdefault(mark.pupil_id, []).append(mark)
    return statutory, earlier


def _raise_alerts(register: LessonRegister, missing: list[int], now) -> tuple[list[TruancyAlert], dict[int, str]]:
    already = set(
        TruancyAlert.objects.filter(register=register, pupil_id__in=missing).values_list("pupil_id", flat=True)
    )
    missing = [pid for pid in missing if pid not in already]
    if not missing:
        return [], {}
    statutory, earlier = _seen_earlier(register, missing)
    lesson_starts = at(register.date, register.lesson.period.starts)
    times = None
    excused: dict[int, str] = {}
    sightings: dict[int, tuple[str, dt.datetime]] = {}
    for pid in missing:
        marks = statutory.get(pid, {})
        this_session = marks.get(register.session)
        if this_session is not None and this_session.code.category != CAT.PRESENT:
            session = "morning" if register.session == AM else "afternoon"
            excused[pid] = f"{this_session.code.code} at the {session} register: {this_session.code.meaning}"
            continue
        if this_session is not None and this_session.minutes_late is not None:
            times = times if times is not None else register_times_by_phase(register.school_id)
            arrived = _arrival(this_session, times, register.lesson.period.phase)
            if arrived is not None and arrived >= lesson_starts:
                excused[pid] = f"signed in late at {timezone.localtime(arrived):%H:%M}, after the lesson began"
                continue
        seen = [(describe_lesson_mark(m), m.recorded_at) for m in earlier.get(pid, [])]
        sessions = (AM, PM) if register.session == PM else (AM,)
        seen += [
            (describe_statutory_mark(m), m.recorded_at)
            for s, m in marks.items()
            if s in sessions and m.code.category == CAT.PRESENT
        ]
        if seen:
            sightings[pid] = max(seen, key=lambda s: s[1])
    if sightings:
        for _, answer in known_reasons.send(
            sender=LessonRegister,
            school=register.school,
            date=register.date,
            session=register.session,
            pupil_ids=list(sightings),
        ):
            for pid, reason in (answer or {}).items():
                if sightings.pop(pid, None) is not None:
                    excused[pid] = reason
    alerts = [
        TruancyAlert(
            school_id=register.school_id,
            pupil_id=pid,
            register=register,
            date=register.date,
            raised_at=now,
            last_seen=text[: TruancyAlert._meta.get_field("last_seen").max_length],
            last_seen_at=seen_at,
        )
        for pid, (text, seen_at) in sightings.items()
    ]
    if alerts:
        TruancyAlert.objects.bulk_create(alerts)
        TruancyAlert.history.bulk_history_create(alerts, default_date=now)
    return alerts, excused


def _arrival(mark: Mark, times, fallback_phase: str) -> dt.datetime | None:
    """When a pupil signed in late arrived: the register's late time plus their minutes late."""
    phase = mark.pupil.group.phase if mark.pupil.group_id else fallback_phase
    rt = times.get((phase, mark.session))
    if rt is None:
        return None
    return at(mark.date, rt.late_after) + dt.timedelta(minutes=mark.minutes_late)


# --- clearing an alert -------------------------------------------------------------------------


def _resolve(alerts: list[TruancyAlert], *, texts: dict[int, str], user, now) -> list[TruancyAlert]:
    """Close `alerts` with their pupil's `texts` entry as where they were; history first, as for marks."""
    for alert in alerts:
        alert.state = TruancyAlert.State.RESOLVED
        alert.resolved_at = now
        alert.resolved_by = user
        alert.where_they_were = texts[alert.pupil_id][:WHERE_MAX]
    if alerts:
        TruancyAlert.history.bulk_history_create(alerts, update=True, default_date=now)
        TruancyAlert.objects.bulk_update(alerts, ["state", "resolved_at", "resolved_by", "where_they_were"])
    return alerts


def _resolve_by_lesson_marks(school_id, day, present: list[LessonMark], starts: dt.time, now) -> list[TruancyAlert]:
    """Pupils present in a lesson clear their open alerts of lessons that started no later than it."""
    if not present:
        return []
    texts = {m.pupil_id: f"marked present in {describe_lesson_mark(m)}" for m in present}
    alerts = list(
        TruancyAlert.objects.filter(
            school_id=school_id,
            date=day,
            state=TruancyAlert.State.OPEN,
            pupil_id__in=texts,
            register__lesson__period__starts__lte=starts,
        )
    )
    return _resolve(alerts, texts=texts, user=None, now=now)


def resolve_after_sign_in(*, school, marks: list[Mark], now) -> list[TruancyAlert]:
    """A pupil signed in late (a mark with minutes late: L or U) is in school: their open alerts
    of that day raised before now are cleared. No query for a batch with no late arrival."""
    late = [m for m in marks if m.minutes_late is not None]
    if not late:
        return []
    texts = {
        m.pupil_id: (
            f"signed in late ({m.code.code}, {m.minutes_late} min) — recorded by {m.recorded_by_name}"
            f" at {timezone.localtime(m.recorded_at):%H:%M}"
        )
        for m in late
    }
    days = {m.date for m in late}
    if connection.vendor == "postgresql":
        # Every register with a late pupil asks, and there is seldom an alert to clear: the same
        # query as below, written once, rather than a queryset compiled every time; and one look
        # without a transaction first, so the usual answer (none) costs one round trip, not three.
        params = [school.pk, list(days), TruancyAlert.State.OPEN, list(texts), now]
        with connection.cursor() as cursor:
            cursor.execute(_open_alerts_sql(lock=False), params)
            if cursor.fetchone() is None:
                return []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            alerts = list(TruancyAlert.objects.raw(_open_alerts_sql(), params))
        else:
            alerts = list(
                TruancyAlert.objects.select_for_update().filter(
                    school=school, date__in=days, state=TruancyAlert.State.OPEN, pupil_id__in=texts, raised_at__lte=now
                )
            )
        return _resolve(alerts, texts=texts, user=None, now=now)


@cache
def _open_alerts_sql(*, lock: bool = True) -> str:
    return (
        f'SELECT {"*" if lock else "1"} FROM "{TruancyAlert._meta.db_table}" WHERE "school_id" = %s '
        'AND "date" = ANY(%s::date[]) AND "state" = %s AND "pupil_id" = ANY(%s::bigint[]) AND "raised_at" <= %s'
        + (" FOR UPDATE" if lock else " LIMIT 1")
    )


def resolve_by_hand(*, alert_id: int, school, user, where_they_were: str, now: dt.datetime) -> TruancyAlert:
    """Staff clear an alert, recording where the pupil was (required). Refused, writing nothing,
    when the text is empty or too long, or the alert was cleared meanwhile."""
    text = " ".join((where_they_were or "").split())
    if not text:
        raise ValidationError("Say where the pupil was (for example: 'with the school nurse').")
    if len(text) > WHERE_MAX:
        raise ValidationError(f"Keep it to {WHERE_MAX} characters; this is {len(text)}.")
    with transaction.atomic():
        alert = TruancyAlert.objects.select_for_update().select_related("pupil").get(pk=alert_id, school=school)
        if alert.state != TruancyAlert.State.OPEN:
            raise ValidationError(f"{alert.pupil.name}'s alert was already cleared: {alert.where_they_were}")
        staff = Staff.objects.filter(user=user).first()
        who = staff.display_name if staff else user.get_username()
        _resolve([alert], texts={alert.pupil_id: f"{text} — recorded by {who}"}, user=user, now=now)
        return alert


# --- what the pages read -----------------------------------------------------------------------


def years_looked_after(staff) -> set[int] | None:
    """The year groups whose alerts a member of staff sees: a head of year, the years of the
    registration groups they are linked to (set in the admin, as a group's teachers); anyone else
    who may see alerts, the whole school (None)."""
    if staff is None or staff.position != Staff.Position.HEAD_OF_YEAR:
        return None
    return set(staff.groups.values_list("year", flat=True))


def alerts_on(school, day: dt.date, *, years: set[int] | None = None) -> QuerySet[TruancyAlert]:
    """The day's alerts (open first, newest first), with the pupil, their group and the lesson in
    the same query; limited to `years` when given."""
    alerts = TruancyAlert.objects.filter(school=school, date=day)
    if years is not None:
        alerts = alerts.filter(pupil__year__in=years)
    return alerts.select_related(
        "pupil__group",
        "register__lesson__group",
        "register__lesson__period",
        "register__lesson__room",
        "register__taken_by",
        "resolved_by",
    ).order_by("state", "-raised_at")  # "open" sorts before "resolved"


def still_open_before(school, day: dt.date, *, years: set[int] | None = None) -> QuerySet[TruancyAlert]:
    """Alerts of earlier days nobody has cleared yet: still work for someone, so they do not
    vanish from the page at midnight (the last 30 days; newest first)."""
    alerts = TruancyAlert.objects.filter(
        school=school, state=TruancyAlert.State.OPEN, date__lt=day, date__gte=day - dt.timedelta(days=30)
    )
    if years is not None:
        alerts = alerts.filter(pupil__year__in=years)
    return alerts.select_related("pupil", "register__lesson__group", "register__lesson__period").order_by("-raised_at")


def open_count(school, day: dt.date, *, years: set[int] | None = None) -> int:
    return alerts_on(school, day, years=years).filter(state=TruancyAlert.State.OPEN).count()


def alerts_raised_for(register: LessonRegister) -> list[TruancyAlert]:
    """The alerts a lesson register raised, for its page to tell the teacher (one query)."""
    return list(TruancyAlert.objects.filter(register=register).select_related("pupil").order_by("pupil__legal_surname"))


def raised_message(register: LessonRegister) -> str:
    """The plain sentence the lesson register page shows its teacher ("" when nothing was raised)."""
    alerts = [a for a in alerts_raised_for(register) if a.state == TruancyAlert.State.OPEN]
    if not alerts:
        return ""
    names = ", ".join(a.pupil.name for a in alerts)
    verb = "was" if len(alerts) == 1 else "were"
    return (
        f"{names} {verb} seen earlier today but not in this lesson: "
        "an internal-truancy alert has gone to the head of year and the office."
    )


@dataclass
class Panel:
    """Today's open alerts as a dashboard shows them: how many, and the newest few."""

    count: int
    newest: list[TruancyAlert]


PANEL_ROWS = 8


def dashboard_panel(school, day: dt.date, *, years: set[int] | None = None) -> Panel | None:
    """For the attendance officer's dashboard; None for a school with no timetable (two queries)."""
    if not school.lessons.exists():
        return None
    open_alerts = list(alerts_on(school, day, years=years).filter(state=TruancyAlert.State.OPEN))
    return Panel(count=len(open_alerts), newest=open_alerts[:PANEL_ROWS])
