"""The leaders' lesson analysis (secondary timetables): the page and its CSV. For the school's
leaders and office team (`reports.view_pupil_analysis`: the truancy list names pupils), never
for governors or trust leaders, who get the aggregate reports only."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from registers.models import Pupil, School
from registers.years import year_label

from .exports import log_export, table_csv
from .selectors.lessons import lesson_analysis
from .selectors.periods import available_periods, resolve_period
from .suppression import NOTE, THRESHOLD
from .views import _csv_response, _office_school

CSV_HEADER = [
    "Table",
    "Row",
    "Detail",
    "Pupils",
    "Pupil-lessons",
    "Attended",
    "Attendance %",
    "Absent",
    "Unauthorised",
    "Late",
    "Internal-truancy alerts",
    "Alerts per 100 pupil-lessons",
    "Note",
]


class LessonAnalysisForm(forms.Form):
    year = forms.TypedChoiceField(label="Year group", required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        years = sorted(
            set(Pupil.objects.filter(school=school, lesson_memberships__isnull=False).values_list("year", flat=True))
        )
        self.fields["year"].choices = [("", "All years")] + [(y, year_label(y)) for y in years]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("The start date must be on or before the end date.")
        return data


def _analysis(request, school):
    """The form, the period and the analysis for the request's filters (an invalid filter is
    shown with its message and the period's figures, never guessed at)."""
    form = LessonAnalysisForm(request.GET or None, school=school)
    period = resolve_period(school, request.GET.get("period"))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if period is None:
        return form, None, None
    result = lesson_analysis(
        school,
        date_from=data.get("date_from") or period.date_from,
        date_to=data.get("date_to") or period.date_to,
        year=data.get("year"),
    )
    return form, period, result


@login_required
def lesson_analysis_page(request):
    school = _office_school(request)
    form, period, result = _analysis(request, school)
    return render(
        request,
        "reports/lessons.html",
        {
            "school": school,
            "form": form,
            "period": period,
            "periods": available_periods(school),
            "chosen": period.key if period else "",
            "analysis": result,
            "threshold": THRESHOLD,
            "note": NOTE,
            "query": request.GET.urlencode(),
        },
    )


def csv_rows(analysis) -> list[list]:
    """The three tables and the total as shown on the page: a hidden row's figures are blank."""
    rows = []
    for table, items in (
        ("All lessons", [analysis.total]),
        ("Subject", analysis.by_subject),
        ("Period", analysis.by_period),
        ("Class", analysis.by_group),
    ):
        for r in items:
            if r.hidden:
                rows.append([table, r.label, r.detail, *[""] * 9, NOTE])
                continue
            figures = [r.pupils, r.lessons, r.attended, r.attendance_percent, r.absent, r.unauthorised, r.late]
            rows.append([table, r.label, r.detail, *figures, r.alerts, r.alert_rate, ""])
    return rows


@login_required
def lesson_analysis_csv(request):
    school = _office_school(request, "reports.export_pupil_data")
    form, period, result = _analysis(request, school)
    if period is None:
        raise Http404("No school days in that period")
    log_export(
        user=request.user,
        school=school,
        kind="table_csv",
        description=f"Lesson attendance {result.date_from:%d %b %Y} to {result.date_to:%d %b %Y}",
        parameters={k: str(v) for k, v in request.GET.items()},
    )
    return _csv_response(
        table_csv(CSV_HEADER, csv_rows(result)),
        f"lesson-attendance-{school.urn}-{result.date_from}-{result.date_to}.csv",
    )
