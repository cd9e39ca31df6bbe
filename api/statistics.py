"""/api/v1/statistics/: attendance figures per pupil and for a cohort (the school's staff and its
integrations: the same selectors as the pages and the dashboard), and the governors' report's
tables (`/statistics/report/`).

Governors and trust leaders read only the report's tables, exactly as the report page shows them
(the same object, suppressed by `reports.suppression`): a cohort of their choosing or a date
range of their choosing would let them subtract one answer from another and find a hidden
figure, so `/statistics/cohort/` and `/statistics/pupils/` refuse them."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from registers.permissions import is_aggregate_reader, teaches_group
from registers.selectors import AttendanceFigures, attendance_statistics, pupil_figures, pupils_on_roll, total_figures
from reports.selectors.governors import governors_report, published
from reports.selectors.periods import resolve_period

from .errors import ApiError
from .permissions import visible_groups, visible_pupils, visible_schools


class DateRangeSerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="First day (inclusive)")
    date_to = serializers.DateField(help_text="Last day (inclusive)")

    def validate(self, attrs):
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": "must be on or after date_from."})
        return attrs


class CohortQuerySerializer(DateRangeSerializer):
    school = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    group = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    year = serializers.IntegerField(required=False, min_value=-1, max_value=14)


class FiguresSerializer(serializers.Serializer):
    possible = serializers.IntegerField()
    present = serializers.IntegerField()
    approved_activity = serializers.IntegerField()
    authorised = serializers.IntegerField()
    unauthorised = serializers.IntegerField()
    attended = serializers.IntegerField()
    absent = serializers.IntegerField()
    late_before_close = serializers.IntegerField(help_text="L")
    late_after_close = serializers.IntegerField(help_text="U")
    minutes_late = serializers.IntegerField()
    attendance_percent = serializers.FloatField(allow_null=True)
    absence_percent = serializers.FloatField(allow_null=True)
    authorised_percent = serializers.FloatField(allow_null=True)
    unauthorised_percent = serializers.FloatField(allow_null=True)
    persistent = serializers.BooleanField(help_text="Absent for 10 % or more of possible sessions")
    severe = serializers.BooleanField(help_text="Absent for 50 % or more of possible sessions")
    by_code = serializers.DictField(child=serializers.IntegerField())


class PupilStatisticsSerializer(serializers.Serializer):
    pupil = serializers.IntegerField()
    upn = serializers.CharField()
    name = serializers.CharField()
    group = serializers.IntegerField(allow_null=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    figures = FiguresSerializer()


class CohortStatisticsSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    group = serializers.IntegerField(allow_null=True)
    year = serializers.IntegerField(allow_null=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    suppressed = serializers.BooleanField(
        help_text="Always false: governors and trust leaders read /statistics/report/ instead"
    )
    pupils = serializers.IntegerField(allow_null=True)
    persistent_absentees = serializers.IntegerField(allow_null=True)
    severe_absentees = serializers.IntegerField(allow_null=True)
    persistent_absence_percent = serializers.FloatField(allow_null=True)
    figures = FiguresSerializer(allow_null=True)


def figures_data(figures: AttendanceFigures) -> dict:
    return {
        "possible": figures.possible,
        "present": figures.present,
        "approved_activity": figures.approved_activity,
        "authorised": figures.authorised,
        "unauthorised": figures.unauthorised,
        "attended": figures.attended,
        "absent": figures.absent,
        "late_before_close": figures.late_before_close,
        "late_after_close": figures.late_after_close,
        "minutes_late": figures.minutes_late,
        "attendance_percent": figures.attendance_percent,
        "absence_percent": figures.absence_percent,
        "authorised_percent": figures.authorised_percent,
        "unauthorised_percent": figures.unauthorised_percent,
        "persistent": figures.persistent,
        "severe": figures.severe,
        "by_code": dict(figures.by_code),
    }


def refuse_aggregate_readers(request, instead: str) -> None:
    if is_aggregate_reader(request.user) and not request.user.is_superuser:
        raise exceptions.PermissionDenied(
            f"Governors and trust leaders read the governors' report's tables: use {instead}."
        )


def date_range(request) -> tuple[dt.date, dt.date]:
    query = DateRangeSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["date_from"], query.validated_data["date_to"]


def chosen_school(request, school_id):
    schools = visible_schools(request.user)
    if school_id is not None:
        return get_object_or_404(schools, pk=school_id)
    found = list(schools[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise exceptions.PermissionDenied("Your account is not linked to a school.")
    raise ApiError("Choose a school.", errors=[{"field": "school", "reason": "This parameter is required."}])


@extend_schema(tags=["statistics"])
class PupilStatisticsView(APIView):
    @extend_schema(
        parameters=[CohortQuerySerializer],
        responses=PupilStatisticsSerializer(many=True),
        summary="Attendance figures per pupil for a date range",
    )
    def get(self, request):
        """One row per pupil on roll in the range whom you may see (the same selector as the pages)."""
        query = CohortQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        refuse_aggregate_readers(request, "/statistics/report/")
        school = chosen_school(request, q.get("school"))
        pupils = visible_pupils(request.user).filter(school=school)
        if q.get("group") is not None:
            pupils = pupils.filter(group_id=q["group"])
        if q.get("year") is not None:
            pupils = pupils.filter(year=q["year"])
        rows = attendance_statistics(
            school=school, date_from=q["date_from"], date_to=q["date_to"], pupils=pupils.values("pk")
        )
        data = [
            {
                "pupil": row.pupil.pk,
                "upn": row.pupil.upn,
                "name": row.pupil.name,
                "group": row.pupil.group_id,
                "date_from": q["date_from"],
                "date_to": q["date_to"],
                "figures": figures_data(row.figures),
            }
            for row in rows
        ]
        return Response(PupilStatisticsSerializer(data, many=True).data)


@extend_schema(tags=["statistics"])
class CohortStatisticsView(APIView):
    @extend_schema(
        parameters=[CohortQuerySerializer],
        responses=CohortStatisticsSerializer,
        summary="Attendance figures for a cohort (school, year group or registration group)",
    )
    def get(self, request):
        """Totals over the cohort's pupils on roll in the range, with persistent and severe absence counts
        (the same selectors as the dashboard and the governors' report). For the school's staff and its
        integrations; governors and trust leaders read the report's tables at /statistics/report/."""
        query = CohortQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        refuse_aggregate_readers(request, "/statistics/report/")
        school = chosen_school(request, q.get("school"))
        group = None
        if q.get("group") is not None:
            group = get_object_or_404(visible_groups(request.user).filter(school=school).distinct(), pk=q["group"])
        allowed = request.user.has_perm("registers.api_view_aggregates", school) or (
            group is not None and teaches_group(request.user, group)
        )
        if not allowed:
            raise exceptions.PermissionDenied("You may not see this school's figures.")
        cohort = pupils_on_roll(school=school, date_from=q["date_from"], date_to=q["date_to"])
        if group is not None:
            cohort = cohort.filter(group=group)
        if q.get("year") is not None:
            cohort = cohort.filter(year=q["year"])
        ids = cohort.values("pk")
        per_pupil = pupil_figures(school=school, date_from=q["date_from"], date_to=q["date_to"], pupils=ids)
        counted = [f for f in per_pupil.values() if f.possible]
        pupils = len(counted)
        suppressed = False  # everyone who reaches here may see the pupils themselves
        data = {
            "school": school.pk,
            "group": group.pk if group else None,
            "year": q.get("year"),
            "date_from": q["date_from"],
            "date_to": q["date_to"],
            "suppressed": suppressed,
            "pupils": None,
            "persistent_absentees": None,
            "severe_absentees": None,
            "persistent_absence_percent": None,
            "figures": None,
        }
        if not suppressed:
            persistent = sum(1 for f in counted if f.persistent)
            totals = total_figures(
                school=school, date_from=q["date_from"], date_to=q["date_to"], pupils=ids, with_codes=True
            )
            data.update(
                pupils=pupils,
                persistent_absentees=persistent,
                severe_absentees=sum(1 for f in counted if f.severe),
                persistent_absence_percent=round(100 * persistent / pupils, 2) if pupils else None,
                figures=figures_data(totals),
            )
        return Response(CohortStatisticsSerializer(data).data)


class ReportQuerySerializer(serializers.Serializer):
    school = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    period = serializers.CharField(
        required=False,
        max_length=40,
        help_text="A report period as on the report page: term:2026/27:Autumn, half:2026/27:2 or year:2026/27 "
        "(the current term when left out)",
    )


class ReportRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    pupils = serializers.IntegerField(allow_null=True, help_text="null: not shown (see note)")
    attendance_percent = serializers.FloatField(allow_null=True)
    authorised_percent = serializers.FloatField(allow_null=True)
    unauthorised_percent = serializers.FloatField(allow_null=True)
    persistent = serializers.IntegerField(allow_null=True)
    persistent_percent = serializers.FloatField(allow_null=True)
    severe = serializers.IntegerField(allow_null=True)
    severe_percent = serializers.FloatField(allow_null=True)
    note = serializers.CharField(help_text="Why a figure is not shown; empty when all are")


class ReportDimensionSerializer(serializers.Serializer):
    name = serializers.CharField()
    groups = ReportRowSerializer(many=True)


class ReportBandSerializer(serializers.Serializer):
    label = serializers.CharField()
    pupils = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()


class ReportCodeSerializer(serializers.Serializer):
    category = serializers.CharField()
    code = serializers.CharField()
    meaning = serializers.CharField()
    sessions = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()


class ReportStatisticsSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    period = serializers.CharField()
    label = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    headline = ReportRowSerializer()
    dimensions = ReportDimensionSerializer(many=True)
    bands = ReportBandSerializer(many=True)
    dfe_basis = ReportRowSerializer(help_text="Pupils aged 5 to 15, the basis of the national figures")
    outside_ages = serializers.IntegerField(allow_null=True, help_text="Pupils left out of the DfE basis")
    codes = ReportCodeSerializer(many=True)


@extend_schema(tags=["statistics"])
class ReportStatisticsView(APIView):
    @extend_schema(
        parameters=[ReportQuerySerializer],
        responses=ReportStatisticsSerializer,
        summary="The governors' report's tables for a school and period",
    )
    def get(self, request):
        """The whole-school figures, each group of pupils, the attendance bands and the codes used, exactly
        as the governors' report shows them: a figure about fewer than 5 pupils, or one from which such a
        figure could be worked out, is null with a note. For governors, trust leaders and the school's
        leaders (the same permission as the report page)."""
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        school = chosen_school(request, q.get("school"))
        if not request.user.has_perm("reports.view_governors_report", school):
            raise exceptions.PermissionDenied("The governors' report is for governors, trust leaders and leaders.")
        period = resolve_period(school, q.get("period"))
        if period is None:
            raise ApiError(
                "No school days in that period.",
                errors=[
                    {"field": "period", "reason": "Choose a period as on the report page, e.g. term:2026/27:Autumn."}
                ],
            )
        return Response(ReportStatisticsSerializer(published(governors_report(school, period))).data)
