"""The pupil page's lessons panel: a week of the pupil's lessons with their marks, under the AM
and PM session each falls in, beside that session's statutory mark — so a pupil marked present
at registration and missing from a lesson later in the morning shows at a glance.

The pupil page is in `registers`, which cannot import this app: it sends
`registers.signals.pupil_page_panels` and this module answers with a `PupilPanel`. Staff only
(the page itself already checks who may see the pupil; parents' pages do not send the signal).
A pupil in no teaching group that week (a primary pupil) gets no panel. A fixed number of
queries whatever the number of lessons."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from registers.models import AM, PM, Mark, Pupil, RegisterTime, SchoolDay
from registers.permissions import staff_of
from registers.signals import PupilPanel, pupil_page_panels

from .models import Lesson, LessonMark, LessonRegister, Membership, TimetableSettings, TruancyAlert

TEMPLATE = "lessons/_pupil_panel.html"
NOON = dt.time(12, 0)


@dataclass
class LessonEntry:
    lesson: Lesson
    mark: LessonMark | None = None
    taken: bool = False  # the lesson's register has been taken
    alert: TruancyAlert | None = None


@dataclass
class SessionEntry:
    session: str
    mark: Mark | None = None
    lessons: list[LessonEntry] = field(default_factory=list)


@dataclass
class DayEntry:
    date: dt.date
    school_day: bool
    sessions: list[SessionEntry] = field(default_factory=list)


def week_start(value: str | None, today: dt.date) -> tuple[dt.date, str]:
    """The Monday of the week asked for (?lessons_week=YYYY-MM-DD), or of this week; and a
    message when the date asked for could not be read."""
    day, problem = today, ""
    if value:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            problem = f"“{value}” is not a date (YYYY-MM-DD): showing this week."
    return day - dt.timedelta(days=day.isoweekday() - 1), problem


def session_rule(school_id: int):
    """The statutory session a lesson without a register falls in, as `services.session_of` decides
    it (the one its period holds, else AM before the phase's afternoon register opens), with the
    afternoon's opening read once for the week (one query)."""
    opens = dict(RegisterTime.objects.filter(school_id=school_id, session=PM).values_list("phase", "opens"))

    def session(lesson: Lesson) -> str:
        period = lesson.period
        if period.holds_session:
            return period.holds_session
        return PM if period.starts >= opens.get(period.phase, NOON) else AM

    return session


def pupil_week(pupil: Pupil, monday: dt.date) -> list[DayEntry] | None:
    """The pupil's week of lessons (Monday to Friday), or None when they are in no teaching
    group that week."""
    friday = monday + dt.timedelta(days=4)
    memberships = list(
        Membership.objects.filter(pupil=pupil, starts__lte=friday)
        .filter(Q(ends__isnull=True) | Q(ends__gte=monday))
        .values_list("group_id", "starts", "ends")
    )
    if not memberships:
        return None
    lessons = list(
        Lesson.objects.filter(group_id__in={m[0] for m in memberships}, valid_from__lte=friday)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=monday))
        .select_related("group", "period", "room", "teacher__user")
        .order_by("period__starts")
    )
    school_days = set(
        SchoolDay.objects.filter(school_id=pupil.school_id, date__range=(monday, friday)).values_list("date", flat=True)
    )
    settings = TimetableSettings.objects.filter(school_id=pupil.school_id).first()
    marks = {
        (m.register.lesson_id, m.date): m
        for m in LessonMark.objects.filter(pupil=pupil, date__range=(monday, friday)).select_related("code", "register")
    }
    taken = set(
        LessonRegister.objects.filter(
            lesson__in=lessons, date__range=(monday, friday), state=LessonRegister.State.TAKEN
        ).values_list("lesson_id", "date")
    )
    alerts = {
        (a.register.lesson_id, a.date): a
        for a in TruancyAlert.objects.filter(pupil=pupil, date__range=(monday, friday)).select_related("register")
    }
    statutory = {
        (m.date, m.session): m
        for m in Mark.objects.filter(pupil=pupil, date__range=(monday, friday)).select_related("code")
    }
    session_of = session_rule(pupil.school_id)
    by_group = defaultdict(list)
    for group_id, starts, ends in memberships:
        by_group[group_id].append((starts, ends))

    week = []
    for offset in range(5):
        day = monday + dt.timedelta(days=offset)
        entry = DayEntry(day, day in school_days)
        sessions = {s: SessionEntry(s, statutory.get((day, s))) for s in ("AM", "PM")}
        this_week = settings.week_of(day) if settings else ""
        for lesson in lessons:
            member = any(a <= day and (b is None or day <= b) for a, b in by_group[lesson.group_id])
            if not (
                entry.school_day
                and member
                and lesson.weekday == day.isoweekday()
                and lesson.week in ("", this_week)
                and lesson.holds_on(day)
            ):
                continue
            key = (lesson.pk, day)
            mark = marks.get(key)
            session = mark.register.session if mark else session_of(lesson)
            sessions[session].lessons.append(LessonEntry(lesson, mark, key in taken, alerts.get(key)))
        entry.sessions = list(sessions.values())
        week.append(entry)
    return week


@receiver(pupil_page_panels, dispatch_uid="lessons.pupil_panel")
def lessons_panel(sender, pupil: Pupil, request, **kwargs) -> PupilPanel | None:
    """The week's lessons for staff looking at a secondary pupil."""
    if staff_of(request.user) is None and not request.user.is_superuser:
        return None
    monday, problem = week_start(request.GET.get("lessons_week"), timezone.localdate())
    week = pupil_week(pupil, monday)
    if week is None:
        return None
    return PupilPanel(
        TEMPLATE,
        {
            "week": week,
            "monday": monday,
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "problem": problem,
        },
        order=10,
    )
