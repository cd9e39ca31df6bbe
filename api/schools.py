"""/api/v1/schools/: the schools the caller belongs to, and each school's calendar."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from registers.models import AcademicYear, Closure, Holiday, RegisterTime, School, Term

from .pagination import ListPagination
from .permissions import visible_schools


class SchoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["id", "urn", "name", "la_number", "establishment_number", "phase"]


class AcademicYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = AcademicYear
        fields = ["id", "name", "start_date", "end_date"]


class TermSerializer(serializers.ModelSerializer):
    academic_year = serializers.CharField(source="academic_year.name", read_only=True)

    class Meta:
        model = Term
        fields = ["id", "academic_year", "name", "start_date", "end_date"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "name", "start_date", "end_date"]


class ClosureSerializer(serializers.ModelSerializer):
    year_groups = serializers.ListField(child=serializers.IntegerField(), help_text="Empty for the whole school")

    class Meta:
        model = Closure
        fields = ["id", "date", "session", "kind", "reason", "year_groups"]


class RegisterTimeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegisterTime
        fields = ["phase", "session", "opens", "late_after", "closes"]


class CalendarSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    academic_years = AcademicYearSerializer(many=True)
    terms = TermSerializer(many=True)
    holidays = HolidaySerializer(many=True)
    closures = ClosureSerializer(many=True)
    register_times = RegisterTimeSerializer(many=True)


@extend_schema(tags=["schools"])
class SchoolViewSet(viewsets.ReadOnlyModelViewSet):
    """Schools the caller belongs to (a token: its school)."""

    lookup_value_regex = "[^/]+"  # any id reaches the view: a bad one is a JSON 404
    serializer_class = SchoolSerializer
    pagination_class = ListPagination

    def get_queryset(self):
        return visible_schools(self.request.user).order_by("name", "pk")

    @extend_schema(responses=CalendarSerializer, summary="The school's calendar")
    @action(detail=True, methods=["get"], pagination_class=None)
    def calendar(self, request, pk=None):
        """Academic years, terms, half-term holidays, closures and INSET days, and register times."""
        school = self.get_object()
        data = {
            "school": school.pk,
            "academic_years": school.academic_years.all(),
            "terms": school.terms.select_related("academic_year"),
            "holidays": school.holidays.all(),
            "closures": school.closures.all(),
            "register_times": school.register_times.order_by("phase", "session"),
        }
        return Response(CalendarSerializer(data).data)
