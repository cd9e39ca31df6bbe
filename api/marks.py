"""/api/v1/marks/: marks with cursor pagination and filters, one mark's history, and the office's
amendment of one mark (with a reason, guarded by its ETag)."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from registers.models import AM, PM, Mark
from registers.services import MAX_MINUTES_LATE, MarkEntry, MarkValidationError, normalise_symbol, record_marks
from registers.taking import Refusal

from .authentication import actor_for, office_source
from .errors import ApiError, ErrorSerializer, refused
from .filters import IdFilter
from .pagination import MarkCursorPagination
from .permissions import check, visible_marks
from .preconditions import if_match_tags


class MarkSerializer(serializers.ModelSerializer):
    upn = serializers.CharField(source="pupil.upn", read_only=True)
    code = serializers.CharField(source="code.code", read_only=True)
    category = serializers.CharField(source="code.category", read_only=True)
    meaning = serializers.CharField(source="code.meaning", read_only=True)

    class Meta:
        model = Mark
        fields = [
            "id",
            "school",
            "pupil",
            "upn",
            "date",
            "session",
            "code",
            "category",
            "meaning",
            "minutes_late",
            "comment",
            "source",
            "register",
            "recorded_by_name",
            "recorded_by_position",
            "recorded_at",
            "reason",
            "version",
        ]
        read_only_fields = fields


class MarkAmendSerializer(serializers.Serializer):
    """An office amendment of one mark: the new code and, always, why."""

    code = serializers.CharField(max_length=2, help_text="A national attendance code, e.g. `C`, `I`, `J1`")
    minutes_late = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_MINUTES_LATE, help_text="For L and U only"
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)
    reason = serializers.CharField(max_length=500, help_text="Why the mark is changed (required; kept in the audit)")
    expected_version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="The version you last saw; 409 if it has changed"
    )


class MarkHistorySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.ChoiceField(choices=[("+", "created"), ("~", "changed"), ("-", "deleted")])
    version = serializers.IntegerField()
    code = serializers.CharField(source="code.code")
    minutes_late = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()
    reason = serializers.CharField()
    source = serializers.ChoiceField(choices=Mark.Source.choices)
    recorded_by_name = serializers.CharField()
    recorded_by_position = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class MarkFilter(filters.FilterSet):
    school = IdFilter(field_name="school_id")
    pupil = IdFilter(field_name="pupil_id")
    group = IdFilter(field_name="pupil__group_id", help_text="The pupil's current registration group")
    upn = filters.CharFilter(field_name="pupil__upn", lookup_expr="iexact", max_length=13)
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="Sessions on or after")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="Sessions on or before")
    session = filters.ChoiceFilter(field_name="session", choices=[(AM, AM), (PM, PM)])
    code = filters.CharFilter(method="filter_code", max_length=2, help_text="A national code, e.g. `U`, `N`, `C1`")

    class Meta:
        model = Mark
        fields = ["school", "pupil", "group", "upn", "date_from", "date_to", "session", "code"]

    def filter_code(self, queryset, name, value):
        return queryset.filter(code__code=value.strip().upper())


def mark_etag(mark: Mark) -> str:
    return f'"mark-{mark.pk}-v{mark.version}"'


@extend_schema(tags=["marks"])
class MarkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Marks, oldest entry first, with cursor pagination; filter by pupil, date range, code."""

    lookup_value_regex = "[^/]+"  # any id reaches the view: a bad one is a JSON 404
    serializer_class = MarkSerializer
    filterset_class = MarkFilter
    pagination_class = MarkCursorPagination

    def get_queryset(self):
        return visible_marks(self.request.user).select_related("code", "pupil")

    def retrieve(self, request, *args, **kwargs):
        mark = self.get_object()
        return Response(MarkSerializer(mark).data, headers={"ETag": mark_etag(mark)})

    @extend_schema(
        request=MarkAmendSerializer,
        responses={
            200: MarkSerializer,
            409: ErrorSerializer,
            412: ErrorSerializer,
            428: OpenApiResponse(ErrorSerializer, description="Send If-Match"),
        },
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="The mark's ETag, from a GET (required)",
            )
        ],
        summary="Amend one mark (a reason is required)",
    )
    def partial_update(self, request, *args, **kwargs):
        """Change one mark through the register service: the original entry, the new one, the reason and
        who made the change (for a token: its integration) are kept in the mark's history. Requires
        `If-Match` (the ETag from a GET), as writing a register does."""
        mark = self.get_object()
        check(request, "registers.api_amend_mark", mark, "Only the office team may amend marks.")
        body = MarkAmendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        reason = data["reason"].strip()
        if not reason:
            raise ApiError(
                "A reason is required to amend a mark.",
                errors=[{"field": "reason", "reason": "This field may not be blank."}],
            )
        tags = if_match_tags(request)
        if tags is None:
            raise ApiError(
                "Send If-Match (the mark's ETag from a GET), so that two clients cannot overwrite each other's "
                "change; nothing was saved.",
                status_code=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        if "*" not in tags and mark_etag(mark) not in tags:
            raise ApiError(
                "The mark has changed since you read it; nothing was saved.",
                status_code=status.HTTP_412_PRECONDITION_FAILED,
                errors=[{"field": None, "reason": f"current ETag is {mark_etag(mark)}"}],
            )
        symbol = normalise_symbol(data["code"], mark.session)
        minutes = data.get("minutes_late")
        if minutes is None and symbol in ("L", "U") and mark.code.code in ("L", "U"):
            minutes = mark.minutes_late
        entry = MarkEntry(
            pupil_id=mark.pupil_id,
            date=mark.date,
            session=mark.session,
            code=symbol,
            minutes_late=minutes,
            comment=data.get("comment", mark.comment),
            sub_reason_id=mark.sub_reason_id,
            expected_version=data.get("expected_version", mark.version),
            reason=reason,
            line=None,
        )
        try:
            record_marks(
                school=mark.school,
                entries=[entry],
                actor=actor_for(request.user),
                source=office_source(request.user),
                reason=reason,
            )
        except MarkValidationError as error:
            raise refused([Refusal.of(problem) for problem in error.problems], prefix="")
        mark = self.get_queryset().get(pk=mark.pk)
        return Response(MarkSerializer(mark).data, headers={"ETag": mark_etag(mark)})

    @extend_schema(responses=MarkHistorySerializer(many=True), summary="Every version of one mark")
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        """Oldest first: who recorded each version, in what position, when and why."""
        mark = self.get_object()
        rows = Mark.history.filter(id=mark.pk).select_related("code").order_by("history_date", "history_id")
        return Response(MarkHistorySerializer(rows, many=True).data)
