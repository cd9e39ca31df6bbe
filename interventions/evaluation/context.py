"""What every trigger needs for one school on one date, computed once per run and shared by
all the rules: the windows (year to date, term, half-term, the last N school weeks), each
pupil's figures over a window (one `pupil_figures` aggregate per distinct window), the
penalty-threshold counts, the closed weekdays, and which pupils a rule's year groups and ages
admit. A trigger's result is a `Finding` per pupil."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Min, OuterRef, Q

from registers.models import AttendanceCode, Holiday, Pupil, School, SchoolDay
from registers.selectors import FIGURE_AGGREGATES, AttendanceFigures, counted_marks, pupil_figures, pupils_on_roll

from ..models import Band, PenaltyNoticeMark, Policy
from ..school_age import ALL, COMPULSORY, NATIONAL, compulsory_age_q, national_age_bounds

CAT = AttendanceCode.Category
ABSENCE = (CAT.AUTHORISED, CAT.UNAUTHORISED)


def figures_dict(f: AttendanceFigures | None) -> dict:
    f = f or AttendanceFigures()
    return {
        "possible": f.possible,
        "attended": f.attended,
        "authorised": f.authorised,
        "unauthorised": f.unauthorised,
        "absent": f.absent,
        "late_before_close": f.late_before_close,
        "late_after_close": f.late_after_close,
        "attendance_percent": f.attendance_percent,
        "absence_percent": f.absence_percent,
        "persistent": f.persistent,
        "severe": f.severe,
    }


@dataclass
class Window:
    name: str
    start: dt.date
    end: dt.date
    key: str


@dataclass
class Finding:
    pupil_id: int
    key: str
    figures: dict = field(default_factory=dict)
    window: Window | None = None
    mark_filter: Q | None = None
    extra: dict = field(default_factory=dict)


class Context:
    """What every trigger needs for one school on one date, computed once."""

    def __init__(self, school: School, on: dt.date):
        self.school, self.on = school, on
        days = SchoolDay.objects.filter(school=school, date__lte=on).select_related("term__academic_year")
        self.today = days.order_by("-date").first()
        self._figures: dict[tuple, dict[int, AttendanceFigures]] = {}
        self._bands: list[Band] | None = None
        self._weeks: dict[int, Window] = {}
        self._threshold: dict[tuple, dict[int, dict]] = {}
        self._pupils: dict[int, tuple[int, dt.date]] | None = None
        self._on_roll: set[int] | None = None
        self._allowed: dict[tuple, set[int]] = {}
        self._closed: list[dt.date] | None = None
        self.memo: dict = {}  # counts other modules' triggers share within a run (`lessons`)
        if self.today is None:
            return
        term = self.today.term
        year = term.academic_year
        self.year, self.term = year, term
        self.year_start = max(year.start_date, SchoolDay.objects.filter(school=school).aggregate(d=Min("date"))["d"])
        ht = SchoolDay.objects.filter(
            school=school, half_term=self.today.half_term, date__range=(year.start_date, year.end_date)
        ).aggregate(start=Min("date"))
        self.half_term_start = ht["start"]
        self.ht_key = f"{year.name}:ht{self.today.half_term}"

    @property
    def ready(self) -> bool:
        return self.today is not None

    def weeks_window(self, weeks: int) -> Window:
        if weeks not in self._weeks:
            first_week = max(1, self.today.week_number - weeks + 1)
            start = SchoolDay.objects.filter(school=self.school, week_number=first_week).aggregate(d=Min("date"))["d"]
            self._weeks[weeks] = Window(f"last {weeks} school weeks", start, self.on, self.ht_key)
        return self._weeks[weeks]

    def window(self, params: dict) -> Window:
        period = params.get("period") or "year_to_date"
        if period == "term":
            return Window(f"{self.term.name} term", self.term.start_date, self.on, f"term{self.term.pk}")
        if period == "half_term":
            return Window("this half-term", self.half_term_start, self.on, self.ht_key)
        if period == "weeks":
            return self.weeks_window(int(params["weeks"]))
        return Window(f"academic year {self.year.name}", self.year_start, self.on, self.year.name)

    def figures(self, window: Window, ages: str | None = ALL) -> dict[int, AttendanceFigures]:
        """Figures per pupil over the window: one aggregate per window, shared by every rule.
        With `ages='compulsory'` only sessions of compulsory school age count (a second
        aggregate); the other age filter is per pupil (see `allowed`)."""
        compulsory = ages == COMPULSORY
        key = (window.start, window.end, compulsory)
        if key not in self._figures:
            if compulsory:
                marks = counted_marks(school=self.school, date_from=window.start, date_to=window.end).filter(
                    compulsory_age_q(window.start, window.end)
                )
                self._figures[key] = {
                    row.pop("pupil_id"): AttendanceFigures(**row)
                    for row in marks.values("pupil_id").annotate(**FIGURE_AGGREGATES).order_by()
                }
            else:
                self._figures[key] = pupil_figures(school=self.school, date_from=window.start, date_to=window.end)
        return self._figures[key]

    def threshold(self, weeks: int, ages: str | None) -> tuple[Window, dict[int, dict]]:
        """Sessions towards the penalty-notice threshold in the last `weeks` school weeks, per
        pupil (every pupil with one, so callers choose the count): marks already relied on by a
        notice are left out; `N` is counted and reported as unresolved."""
        window = self.weeks_window(weeks)
        compulsory = ages == COMPULSORY
        key = (weeks, compulsory)
        if key not in self._threshold:
            marks = (
                counted_marks(school=self.school, date_from=window.start, date_to=window.end)
                .filter(code__penalty_threshold=True)
                .exclude(Exists(PenaltyNoticeMark.objects.filter(mark_id=OuterRef("pk"))))
            )
            if compulsory:
                marks = marks.filter(compulsory_age_q(window.start, window.end))
            rows = (
                marks.values("pupil_id")
                .annotate(n=Count("id"), unresolved=Count("id", filter=Q(code__code="N")))
                .order_by()
            )
            self._threshold[key] = {r["pupil_id"]: {"n": r["n"], "unresolved": r["unresolved"]} for r in rows}
        return window, self._threshold[key]

    def closed_weekdays(self) -> list[dt.date]:
        """Weekdays inside this year's terms that are neither school days nor in a holiday
        break: INSET days and bank holidays (three small queries, once)."""
        if self._closed is None:
            start, end = self.year_start, self.on
            school_days = set(
                SchoolDay.objects.filter(school=self.school, date__range=(start, end)).values_list("date", flat=True)
            )
            terms = list(self.year.terms.values_list("start_date", "end_date"))
            breaks = list(
                Holiday.objects.filter(school=self.school, end_date__gte=start, start_date__lte=end).values_list(
                    "start_date", "end_date"
                )
            )
            days = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
            self._closed = [
                day
                for day in days
                if day.weekday() < 5
                and day not in school_days
                and any(a <= day <= b for a, b in terms)
                and not any(a <= day <= b for a, b in breaks)
            ]
        return self._closed

    def pupils(self) -> dict[int, tuple[int, dt.date]]:
        """The school's pupils as id -> (national curriculum year, date of birth): one query."""
        if self._pupils is None:
            rows = Pupil.objects.filter(school=self.school).values_list("pk", "year", "date_of_birth")
            self._pupils = {pk: (year, dob) for pk, year, dob in rows}
        return self._pupils

    def on_roll(self) -> set[int]:
        """The pupils on roll on the check date (one query). Only they are found by a rule: a
        pupil who has left keeps the figures of the dates they were on roll, but gets no alert
        (and so no task or letter) after their leaving date."""
        if self._on_roll is None:
            self._on_roll = set(
                pupils_on_roll(school=self.school, date_from=self.on, date_to=self.on).values_list("pk", flat=True)
            )
        return self._on_roll

    def allowed(self, params: dict) -> set[int] | None:
        """The pupils a rule's pupil-level parameters admit (year groups; aged 5 to 15 at the
        start of the academic year), or None when it concerns every pupil."""
        low, high = params.get("years_from"), params.get("years_to")
        national = params.get("ages") == NATIONAL
        if low is None and high is None and not national:
            return None
        key = (low, high, national)
        if key not in self._allowed:
            earliest, latest = national_age_bounds(self.on)
            self._allowed[key] = {
                pk
                for pk, (year, dob) in self.pupils().items()
                if (low is None or year >= low)
                and (high is None or year <= high)
                and (not national or earliest <= dob <= latest)
            }
        return self._allowed[key]

    def bands(self, policy: Policy) -> list[Band]:
        if self._bands is None:
            self._bands = list(policy.bands.all())
        return self._bands
