"""Query filters shared by the resources: ids and year groups, bounded so that a bad value is a
400 naming the parameter, never a database error."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from registers.years import YEAR_CODES

MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


STORED_YEARS = {year for year, _ in YEAR_CODES}
YEAR_FILTER_HELP = "National curriculum year: -2 Nursery 1, -1 Nursery 2, 0 Reception, 1–14, 99 not following it (X)"


def stored_year(value):
    if value not in STORED_YEARS:
        raise ValidationError("Use a national curriculum year: -2 (N1), -1 (N2), 0 (Reception), 1–14 or 99 (X).")


@extend_schema_field(OpenApiTypes.INT)
class YearFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", min(STORED_YEARS))
        kwargs.setdefault("max_value", max(STORED_YEARS))
        kwargs.setdefault("validators", [stored_year])
        kwargs.setdefault("help_text", YEAR_FILTER_HELP)
        super().__init__(*args, **kwargs)
