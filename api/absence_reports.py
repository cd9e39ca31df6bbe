"""Absence reports through the REST API (/api/v1/absence-reports/): parents create theirs;
the office reads and acts (accept, query, decline). Thin: every rule is the absences service's.

Accepting writes marks through the register service, so only a signed-in member of the office
team may act (an API token may read its school's reports)."""

from __future__ import annotations

import uuid

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from absences.models import AbsenceReport
from absences.services import (
    AbsenceError,
    ReportInput,
    accept_report,
    decline_report,
    parent_contacts,
    query_report,
    submit_absence_report,
)
from registers.models import SESSION_CHOICES

from .authentication import token_of
from .errors import ApiError
from .filters import IdFilter
from .pagination import ListPagination
from .permissions import visible_pupils


class AbsenceReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = AbsenceReport
        fields = [
            "id",
            "school",
            "pupil",
            "status",
            "reason",
            "description",
            "start_date",
            "start_session",
            "end_date",
            "end_session",
            "expected_return",
            "code",
            "office_message",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class AbsenceReportCreateSerializer(serializers.Serializer):
    pupils = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=10,
        help_text="Your children who are absent (siblings may be reported together)",
    )
    start_date = serializers.DateField()
    start_session = serializers.ChoiceField(choices=SESSION_CHOICES, default="AM")
    end_date = serializers.DateField()
    end_session = serializers.ChoiceField(choices=SESSION_CHOICES, default="PM")
    reason = serializers.ChoiceField(choices=AbsenceReport.Reason.choices)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    expected_return = serializers.DateField(required=False, allow_null=True, default=None)
    submission_key = serializers.UUIDField(
        required=False, help_text="Send the same key again and the report is not duplicated"
    )


class AcceptSerializer(serializers.Serializer):
    code = serializers.CharField(
        required=False, allow_blank=True, max_length=2, help_text="Default: the code for the reason (I, M, R)"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class QuerySerializer(serializers.Serializer):
    message = serializers.CharField(max_length=2000, help_text="The question for the parent")


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the report is not accepted (the parent sees it)")


class AbsenceReportFilter(filters.FilterSet):
    school = IdFilter(field_name="school_id")
    pupil = IdFilter(field_name="pupil_id")
    status = filters.ChoiceFilter(field_name="status", choices=AbsenceReport.Status.choices)

    class Meta:
        model = AbsenceReport
        fields = ["school", "pupil", "status"]


def _refused(error: AbsenceError) -> ApiError:
    return ApiError(error.message, errors=[{"field": error.field, "reason": error.message}])


@extend_schema(tags=["absence reports"])
class AbsenceReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reports of the pupils you may see: a parent's own children, the school's for the office."""

    lookup_value_regex = "[^/]+"
    serializer_class = AbsenceReportSerializer
    filterset_class = AbsenceReportFilter
    pagination_class = ListPagination

    def get_queryset(self):
        pupils = visible_pupils(self.request.user)
        return AbsenceReport.objects.filter(pupil__in=pupils).order_by("-created_at", "-pk")

    def _office_report(self, request):
        report = self.get_object()
        if token_of(request.user) is not None:
            raise PermissionDenied("Only a signed-in member of the office team may act on absence reports.")
        return report

    @extend_schema(
        request=AbsenceReportCreateSerializer,
        responses={201: AbsenceReportSerializer(many=True), 200: AbsenceReportSerializer(many=True)},
        summary="Report an absence (parents)",
    )
    def create(self, request):
        """One report per child; sending the same `submission_key` again returns the first reports (200)."""
        if token_of(request.user) is not None or not parent_contacts(request.user).exists():
            raise PermissionDenied("Only parents report absences, for their own children.")
        body = AbsenceReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            reports, created = submit_absence_report(
                user=request.user,
                pupils=data["pupils"],
                data=ReportInput(
                    start_date=data["start_date"],
                    start_session=data["start_session"],
                    end_date=data["end_date"],
                    end_session=data["end_session"],
                    reason=data["reason"],
                    description=data["description"],
                    expected_return=data["expected_return"],
                ),
                submission_key=data.get("submission_key") or uuid.uuid4(),
            )
        except AbsenceError as error:
            raise _refused(error)
        return Response(
            AbsenceReportSerializer(reports, many=True).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=AcceptSerializer, responses=AbsenceReportSerializer, summary="Accept (office)")
    @action(detail=True, methods=["post"], filterset_class=None)
    def accept(self, request, pk=None):
        """Writes the code to every session the report covers, through the register service."""
        report = self._office_report(request)
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            accept_report(
                report=report, user=request.user, code=body.validated_data.get("code"), note=body.validated_data["note"]
            )
        except AbsenceError as error:
            raise _refused(error)
        report.refresh_from_db()
        return Response(AbsenceReportSerializer(report).data)

    @extend_schema(request=QuerySerializer, responses=AbsenceReportSerializer, summary="Ask the parent (office)")
    @action(detail=True, methods=["post"], filterset_class=None)
    def query(self, request, pk=None):
        report = self._office_report(request)
        body = QuerySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            report = query_report(report=report, user=request.user, message=body.validated_data["message"])
        except AbsenceError as error:
            raise _refused(error)
        return Response(AbsenceReportSerializer(report).data)

    @extend_schema(request=DeclineSerializer, responses=AbsenceReportSerializer, summary="Decline (office)")
    @action(detail=True, methods=["post"], filterset_class=None)
    def decline(self, request, pk=None):
        report = self._office_report(request)
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            report = decline_report(report=report, user=request.user, reason=body.validated_data["reason"])
        except AbsenceError as error:
            raise _refused(error)
        return Response(AbsenceReportSerializer(report).data)
