"""/api/v1/groups/: registration groups — the school's (office, tokens, governors) or a teacher's own."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets

from registers.models import RegistrationGroup

from .filters import IdFilter, YearFilter
from .pagination import ListPagination
from .permissions import visible_groups

YEAR_HELP = "National curriculum year: -2 Nursery 1, -1 Nursery 2, 0 Reception, 1–14, 99 not following it (X)"


class GroupSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(read_only=True, help_text=YEAR_HELP)  # the same schema on every database

    class Meta:
        model = RegistrationGroup
        fields = ["id", "school", "name", "year", "phase", "room"]


class GroupFilter(filters.FilterSet):
    school = IdFilter(field_name="school_id")
    year = YearFilter(field_name="year")
    phase = filters.ChoiceFilter(field_name="phase", choices=RegistrationGroup._meta.get_field("phase").choices)

    class Meta:
        model = RegistrationGroup
        fields = ["school", "year", "phase"]


@extend_schema(tags=["groups"])
class GroupViewSet(viewsets.ReadOnlyModelViewSet):
    """Registration groups: the school's (office, tokens, governors) or a teacher's own."""

    lookup_value_regex = "[^/]+"  # any id reaches the view: a bad one is a JSON 404
    serializer_class = GroupSerializer
    filterset_class = GroupFilter
    pagination_class = ListPagination

    def get_queryset(self):
        return visible_groups(self.request.user).distinct().order_by("school_id", "year", "name", "pk")
