"""/api/v1/pupils/: pupils the caller may see (the school's, a teacher's groups, a parent's own
children), and one pupil's attendance figures."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from registers.models import Enrolment, Pupil
from registers.selectors import AttendanceFigures, pupil_figures

from .filters import IdFilter, YearFilter
from .groups import YEAR_HELP
from .pagination import ListPagination
from .permissions import visible_pupils
from .statistics import DateRangeSerializer, PupilStatisticsSerializer, date_range, figures_data


class PupilSerializer(serializers.ModelSerializer):
    forename = serializers.CharField(read_only=True, help_text="Preferred forename, else legal")
    surname = serializers.CharField(read_only=True, help_text="Preferred surname, else legal")
    year = serializers.IntegerField(read_only=True, help_text=YEAR_HELP)

    class Meta:
        model = Pupil
        fields = [
            "id",
            "school",
            "upn",
            "forename",
            "surname",
            "legal_forename",
            "legal_surname",
            "date_of_birth",
            "sex",
            "year",
            "group",
        ]


class PupilFilter(filters.FilterSet):
    school = IdFilter(field_name="school_id")
    group = IdFilter(field_name="group_id")
    year = YearFilter(field_name="year")
    upn = filters.CharFilter(field_name="upn", lookup_expr="iexact", max_length=13)
    on_roll = filters.DateFilter(method="filter_on_roll", help_text="Only pupils on roll on this date")

    class Meta:
        model = Pupil
        fields = ["school", "group", "year", "upn", "on_roll"]

    def filter_on_roll(self, queryset, name, value):
        enrolments = Enrolment.objects.filter(admission_date__lte=value).exclude(leaving_date__lt=value)
        return queryset.filter(pk__in=enrolments.values("pupil_id"))


@extend_schema(tags=["pupils"])
class PupilViewSet(viewsets.ReadOnlyModelViewSet):
    """Pupils: the school's (office, tokens), a teacher's groups, a parent's own children."""

    lookup_value_regex = "[^/]+"  # any id reaches the view: a bad one is a JSON 404
    serializer_class = PupilSerializer
    filterset_class = PupilFilter
    pagination_class = ListPagination

    def get_queryset(self):
        return visible_pupils(self.request.user).order_by("legal_surname", "legal_forename", "pk")

    @extend_schema(
        tags=["statistics"],
        parameters=[DateRangeSerializer],
        responses=PupilStatisticsSerializer,
        summary="One pupil's attendance figures for a date range",
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def statistics(self, request, pk=None):
        """The same figures as the pupil page (DfE definitions; only possible sessions while on roll)."""
        pupil = self.get_object()
        date_from, date_to = date_range(request)
        figures = pupil_figures(
            school=pupil.school,
            date_from=date_from,
            date_to=date_to,
            pupils=[pupil.pk],
            with_codes=True,
            include_subsidiary=True,
        ).get(pupil.pk, AttendanceFigures())
        data = {
            "pupil": pupil.pk,
            "upn": pupil.upn,
            "name": pupil.name,
            "group": pupil.group_id,
            "date_from": date_from,
            "date_to": date_to,
            "figures": figures_data(figures),
        }
        return Response(PupilStatisticsSerializer(data).data)
