"""Query filters shared by the resources: ids and year groups, bounded so that a bad value is a
400 naming the parameter, never a database error."""

from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class YearFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -1)
        kwargs.setdefault("max_value", 14)
        super().__init__(*args, **kwargs)
