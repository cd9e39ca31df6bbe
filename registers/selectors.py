"""Attendance statistics, computed in the database (DESIGN.md principle 3).

The same functions feed the pupil page, the dashboard, the checks, the letters and the
governors' report, so the figures agree everywhere. Definitions follow RULES.md (DfE):
only possible sessions, only while the pupil is on roll, each code with the meaning it had
on the session's date (the mark points at the code row valid then)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .calendar import academic_year_for
from .models import AcademicYear, AttendanceCode, Contact, Enrolment, Mark, Pupil, RegistrationGroup, School, SchoolDay
from .permissions import AGGREGATE_ONLY, OFFICE_TEAM, staff_of

CAT = AttendanceCode.Category
# The national penalty-notice threshold (RULES.md): 10 sessions of unauthorised absence within a
# rolling 10 school weeks. The one home of these numbers; a school's policy may ask other questions.
PENALTY_THRESHOLD_SESSIONS = 10
PENALTY_THRESHOLD_WEEKS = 10


@dataclass
class AttendanceFigures:
    """Session counts for one pupil (or a group of pupils) over a date range."""

    possible: int = 0
    present: int = 0
    approved_activity: int = 0
    authorised: int = 0
    unauthorised: int = 0
    late_before_close: int = 0  # L
    late_after_close: int = 0  # U
    minutes_late: int = 0
    by_code: dict[str, int] = field(default_factory=dict)

    @property
    def attended(self) -> int:
        return self.present + self.approved_activity

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised

    def rate(self, count: int) -> float | None:
        return None if not self.possible else round(100 * count / self.possible, 2)

    @property
    def absence_percent(self) -> float | None:
        return self.rate(self.absent)

    @property
    def attendance_percent(self) -> float | None:
        # DfE: attendance rate = 100 − overall absence rate
        return None if not self.possible else round(100 - 100 * self.absent / self.possible, 2)

    @property
    def authorised_percent(self) -> float | None:
        return self.rate(self.authorised)

    @property
    def unauthorised_percent(self) -> float | None:
        return self.rate(self.unauthorised)

    @property
    def persistent(self) -> bool:
        """Persistent absence: 10 % or more of possible sessions missed (exact, no rounding)."""
        return bool(self.possible) and Fraction(self.absent, self.possible) >= Fraction(1, 10)

    @property
    def severe(self) -> bool:
        return bool(self.possible) and Fraction(self.absent, self.possible) >= Fraction(1, 2)

    def __add__(self, other: AttendanceFigures) -> AttendanceFigures:
        codes = dict(self.by_code)
        for code, n in other.by_code.items():
            codes[code] = codes.get(code, 0) + n
        return AttendanceFigures(
            possible=self.possible + other.possible,
            present=self.present + other.present,
            approved_activity=self.approved_activity + other.approved_activity,
            authorised=self.authorised + other.authorised,
            unauthorised=self.unauthorised + other.unauthorised,
            late_before_close=self.late_before_close + other.late_before_close,
            late_after_close=self.late_after_close + other.late_after_close,
            minutes_late=self.minutes_late + other.minutes_late,
            by_code=codes,
        )


def on_roll(include_subsidiary: bool = False):
    """An Exists() over a mark's pupil's enrolments covering the mark's date.

    Subsidiary dual registrations are left out of the school's figures, as in the DfE's
    statistics (the main school counts the pupil); pass include_subsidiary for a pupil view."""
    enrolments = Enrolment.objects.filter(pupil_id=OuterRef("pupil_id"), admission_date__lte=OuterRef("date")).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=OuterRef("date"))
    )
    if not include_subsidiary:
        enrolments = enrolments.exclude(registration=Enrolment.Registration.SUBSIDIARY)
    return Exists(enrolments)


def counted_marks(*, school, date_from: dt.date, date_to: dt.date, pupils=None, include_subsidiary=False):
    """Marks that count: possible sessions, in range, while on roll."""
    marks = Mark.objects.filter(school=school, date__range=(date_from, date_to), code__possible=True)
    if pupils is not None:
        marks = marks.filter(pupil__in=pupils)
    return marks.filter(on_roll(include_subsidiary))


# Per-pupil figures as conditional aggregates over counted marks; public so that a policy check
# can add its own filter and still count exactly as every other page does.
FIGURE_AGGREGATES = {
    "possible": Count("id"),
    "present": Count("id", filter=Q(code__category=CAT.PRESENT)),
    "approved_activity": Count("id", filter=Q(code__category=CAT.APPROVED)),
    "authorised": Count("id", filter=Q(code__category=CAT.AUTHORISED)),
    "unauthorised": Count("id", filter=Q(code__category=CAT.UNAUTHORISED)),
    "late_before_close": Count("id", filter=Q(code__code="L")),
    "late_after_close": Count("id", filter=Q(code__code="U")),
    "minutes_late": Sum("minutes_late", filter=Q(code__code__in=("L", "U")), default=0),
}


def pupil_figures(
    *, school, date_from: dt.date, date_to: dt.date, pupils=None, with_codes=False, include_subsidiary=False
) -> dict[int, AttendanceFigures]:
    """Figures per pupil id, for every pupil with a counted mark in the range (two queries
    at most, whatever the number of pupils)."""
    marks = counted_marks(
        school=school, date_from=date_from, date_to=date_to, pupils=pupils, include_subsidiary=include_subsidiary
    )
    figures = {
        row.pop("pupil_id"): AttendanceFigures(**row)
        for row in marks.values("pupil_id").annotate(**FIGURE_AGGREGATES).order_by()
    }
    if with_codes:
        for row in marks.values("pupil_id", symbol=F("code__code")).annotate(n=Count("id")).order_by():
            figures[row["pupil_id"]].by_code[row["symbol"]] = row["n"]
    return figures


def total_figures(*, school, date_from, date_to, pupils=None, with_codes=False) -> AttendanceFigures:
    """One set of figures for a group of pupils (sessions summed over pupils)."""
    marks = counted_marks(school=school, date_from=date_from, date_to=date_to, pupils=pupils)
    totals = AttendanceFigures(**marks.aggregate(**FIGURE_AGGREGATES))
    if with_codes:
        totals.by_code = dict(
            marks.values_list("code__code").annotate(n=Count("id")).order_by().values_list("code__code", "n")
        )
    return totals


def pupils_on_roll(*, school, date_from: dt.date, date_to: dt.date, include_subsidiary=False):
    """Pupils on roll at any time in the range."""
    enrolments = Enrolment.objects.filter(pupil_id=OuterRef("pk"), admission_date__lte=date_to).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=date_from)
    )
    if not include_subsidiary:
        enrolments = enrolments.exclude(registration=Enrolment.Registration.SUBSIDIARY)
    return Pupil.objects.filter(school=school).filter(Exists(enrolments))


@dataclass
class StatisticsRow:
    pupil: Pupil
    figures: AttendanceFigures


def attendance_statistics(*, school, date_from, date_to, pupils=None) -> list[StatisticsRow]:
    """One row per pupil on roll in the range (pupils with no counted session show zeros)."""
    roll = pupils_on_roll(school=school, date_from=date_from, date_to=date_to)
    if pupils is not None:
        roll = roll.filter(pk__in=pupils)
    figures = pupil_figures(school=school, date_from=date_from, date_to=date_to, pupils=pupils)
    return [
        StatisticsRow(pupil, figures.get(pupil.pk, AttendanceFigures()))
        for pupil in roll.select_related("group").order_by("legal_surname", "legal_forename", "upn")
    ]


# --- the national penalty-notice threshold ------------------------------------------------


@dataclass
class ThresholdWindow:
    first_week: int
    last_week: int
    start: dt.date
    end: dt.date


def penalty_window(*, school, on: dt.date, weeks: int = PENALTY_THRESHOLD_WEEKS) -> ThresholdWindow | None:
    """The rolling window of `weeks` school weeks ending with the school week of `on`
    (or the last school week before it), across terms and years; it ends on `on` so that a
    check run for a past date sees only what was known then."""
    last = SchoolDay.objects.filter(school=school, date__lte=on).order_by("-date").first()
    if last is None:
        return None
    first_week = max(1, last.week_number - weeks + 1)
    start = SchoolDay.objects.filter(school=school, week_number=first_week).aggregate(d=Min("date"))["d"]
    return ThresholdWindow(first_week, last.week_number, start, min(on, last.date))


@dataclass
class ThresholdRow:
    pupil_id: int
    upn: str
    unauthorised_sessions: int
    unresolved_n: int
    window_start: dt.date
    window_end: dt.date


def penalty_threshold(
    *,
    school,
    on: dt.date,
    sessions: int = PENALTY_THRESHOLD_SESSIONS,
    weeks: int = PENALTY_THRESHOLD_WEEKS,
    pupils=None,
) -> list[ThresholdRow]:
    """Pupils with at least `sessions` unauthorised sessions (codes flagged for the penalty
    threshold: G, N, O, U) in the rolling window. `N` counts and is reported as unresolved."""
    window = penalty_window(school=school, on=on, weeks=weeks)
    if window is None:
        return []
    marks = counted_marks(school=school, date_from=window.start, date_to=window.end, pupils=pupils).filter(
        code__penalty_threshold=True
    )
    rows = (
        marks.values("pupil_id", upn=F("pupil__upn"))
        .annotate(n=Count("id"), unresolved=Count("id", filter=Q(code__code="N")), last=Max("date"))
        .filter(n__gte=sessions)
        .order_by("pupil__upn")
    )
    return [ThresholdRow(r["pupil_id"], r["upn"], r["n"], r["unresolved"], window.start, window.end) for r in rows]


def pupil_marks(*, pupil, date_from: dt.date, date_to: dt.date):
    return (
        Mark.objects.filter(pupil=pupil, date__range=(date_from, date_to))
        .select_related("code")
        .order_by("date", "session")
    )


def amended_marks_history(*, pupil, date_from: dt.date, date_to: dt.date):
    """Every version of every mark that has been changed, oldest first, grouped by mark."""
    amended_ids = Mark.objects.filter(pupil=pupil, date__range=(date_from, date_to), version__gt=1).values("id")
    return (
        Mark.history.filter(id__in=amended_ids)
        .select_related("code")
        .order_by("date", "session", "history_date", "history_id")
    )


# --- the staff pupil pages: this year to date, and which pupils a member of staff may list ---


@dataclass
class YearToDate:
    """This academic year to date (the range every figure on the staff home and pupil pages covers)."""

    name: str
    date_from: dt.date
    date_to: dt.date
    complete: bool = False  # a year that is over: its figures cover the whole year, not "to date"
    key: str = ""  # the academic year's name ("2025/26"), as the period pickers send it


def year_to_date(school: School, today: dt.date | None = None) -> YearToDate:
    today = today or timezone.localdate()
    year = academic_year_for(school, today)
    if year is None:
        return YearToDate("No academic year", today, today)
    return YearToDate(
        f"Academic year {year.name}", year.start_date, min(today, year.end_date), today > year.end_date, year.name
    )


ACADEMIC_YEAR_NAME = re.compile(r"\d{4}/\d{2}")


def academic_year_period(school: School, name: str | None, today: dt.date | None = None) -> YearToDate:
    """The academic year a user picked ("2025/26"): to date while it runs, the whole year once it is
    over; this year when nothing (or a year the school does not have, or one not started) is picked."""
    today = today or timezone.localdate()
    if not ACADEMIC_YEAR_NAME.fullmatch(name or ""):
        name = None  # garbage from the address bar (even a NUL byte) is ignored, not looked up
    year = AcademicYear.objects.filter(school=school, name=name, start_date__lte=today).first() if name else None
    if year is None:
        return year_to_date(school, today)
    return YearToDate(
        f"Academic year {year.name}", year.start_date, min(today, year.end_date), today > year.end_date, year.name
    )


def academic_year_choices(school: School, today: dt.date | None = None) -> list[tuple[str, str]]:
    """Every academic year the school has that has started, newest first, for the period pickers."""
    today = today or timezone.localdate()
    names = AcademicYear.objects.filter(school=school, start_date__lte=today).order_by("-start_date")
    return [(name, f"Academic year {name}") for name in names.values_list("name", flat=True)]


def visible_pupils(user, school: School):
    """Pupils of `school` the user may see in lists: the whole school for the office team and
    administrators, the pupils of their own groups for teachers; None for anyone else."""
    staff = staff_of(user)
    if staff is None:
        return Pupil.objects.filter(school=school) if user.is_superuser else None
    if staff.position in OFFICE_TEAM and staff.school_id == school.pk:
        return Pupil.objects.filter(school=school)
    if user.is_superuser:
        return Pupil.objects.filter(school=school)
    if staff.position in AGGREGATE_ONLY:
        return None
    return Pupil.objects.filter(school=school, group__teachers=staff)


def visible_groups(user, school: School):
    staff = staff_of(user)
    groups = RegistrationGroup.objects.filter(school=school)
    if user.is_superuser or (staff is not None and staff.position in OFFICE_TEAM):
        return groups
    return groups.filter(teachers=staff)


def groups_taught(staff):
    """A teacher's own groups at their school, with their pupils."""
    return staff.groups.filter(school_id=staff.school_id).prefetch_related("pupils")


def search_pupils(pupils, text: str):
    """Pupils whose names (legal or preferred) or UPN contain every word of `text`."""
    for term in text.split():
        pupils = pupils.filter(
            Q(legal_surname__icontains=term)
            | Q(legal_forename__icontains=term)
            | Q(preferred_surname__icontains=term)
            | Q(preferred_forename__icontains=term)
            | Q(upn__icontains=term)
        )
    return pupils


def with_year_on(pupils, day: dt.date):
    """`pupils` annotated with `year_then`: the national curriculum year each was in at the end of
    `day`, read from the pupil's history (so a report about last year still groups pupils as they were
    before the year rollover moved them up); their current year when no history reaches back."""
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    then = (
        Pupil.history.filter(id=OuterRef("pk"), history_date__lt=end)
        .order_by("-history_date", "-history_id")
        .values("year")[:1]
    )
    return pupils.annotate(year_then=Coalesce(Subquery(then), F("year")))


def years_on(school: School, day: dt.date) -> dict[int, int]:
    """Pupil id → the year they were in on `day` (see `with_year_on`)."""
    return dict(with_year_on(Pupil.objects.filter(school=school), day).values_list("pk", "year_then"))


def find_pupils(pupils, *, school: School, period: YearToDate, filters: dict):
    """The pupil list: `pupils` (those the user may see) on roll in the period unless leavers are
    asked for, narrowed by the search form's filters, in name order."""
    if not filters.get("left"):
        on_roll = pupils_on_roll(
            school=school, date_from=period.date_from, date_to=period.date_to, include_subsidiary=True
        )
        pupils = pupils.filter(pk__in=on_roll.values("pk"))
    if filters.get("q"):
        pupils = search_pupils(pupils, filters["q"])
    if filters.get("year") is not None:
        # A finished year is filtered by the year pupils were in then (the rollover has moved them on).
        pupils = with_year_on(pupils, period.date_to) if period.complete else pupils.annotate(year_then=F("year"))
        pupils = pupils.filter(year_then=filters["year"])
    if filters.get("group"):
        pupils = pupils.filter(group=filters["group"])
    return pupils.select_related("group").order_by("legal_surname", "legal_forename", "upn")


def family_school_name(user) -> str:
    """A parent/carer sees their children's school's name in the header (when all attend one)."""
    names = list(
        Contact.objects.filter(user=user).order_by().values_list("pupil__school__name", flat=True).distinct()[:2]
    )
    return names[0] if len(names) == 1 else ""


def school_days(*, school_id: int, date_from: dt.date, date_to: dt.date):
    """The school's days in a range, with their term and academic year (the calendar strip)."""
    return (
        SchoolDay.objects.filter(school_id=school_id, date__range=(date_from, date_to))
        .select_related("term__academic_year")
        .order_by("date")
    )


def registers_past_late_time(*, school, now: dt.datetime, year: int | None = None) -> list[tuple]:
    """Today's registers whose late time has passed, as (group, session, register times), for
    every group with pupils on roll today, taken or not. The office's missing-registers page
    and the attendance officer's dashboard both start from this list."""
    from django.utils import timezone

    from . import timing
    from .models import AM, PM, RegisterTime, RegistrationGroup

    today = timezone.localtime(now).date()
    if not SchoolDay.objects.filter(school=school, date=today).exists():
        return []
    times = {(t.phase, t.session): t for t in RegisterTime.objects.filter(school=school)}
    enrolled = Enrolment.objects.filter(pupil__group_id=OuterRef("pk"), admission_date__lte=today).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=today)
    )
    groups = RegistrationGroup.objects.filter(school=school).filter(Exists(enrolled))
    if year is not None:
        groups = groups.filter(year=year)
    due = []
    for group in groups.prefetch_related("teachers__user").order_by("year", "name"):
        for session in (AM, PM):
            register_times = times.get((group.phase, session))
            if register_times is not None and now > timing.late_at(register_times, today):
                due.append((group, session, register_times))
    return due


def registers_not_taken_count(*, school, now: dt.datetime) -> int:
    """How many of today's registers are past their late time and not taken (the office's home
    page count; the missing-registers page lists them)."""
    from django.utils import timezone

    from .models import Register

    due = registers_past_late_time(school=school, now=now)
    if not due:
        return 0
    taken = set(
        Register.objects.filter(school=school, date=timezone.localtime(now).date())
        .exclude(state=Register.State.NOT_TAKEN)
        .values_list("group_id", "session")
    )
    return sum(1 for group, session, _ in due if (group.pk, session) not in taken)
