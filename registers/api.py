"""The REST API, /api/v1/ (Django REST framework; schema by drf-spectacular).

Thin views: parse, check the same django-rules predicates as the pages (`registers.api_rules`),
call the register service or a selector, serialise. Every write goes through
`registers.services.record_marks` with the same timing rules as the register page
(`registers.timing`), so the audit is the same whoever writes: a token writes as its
integration ("Integration: <name>")."""

from __future__ import annotations

import datetime as dt
import hashlib

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import timing
from .api_auth import token_of
from .api_rules import visible_groups, visible_marks, visible_pupils, visible_schools
from .calendar import describe_non_school_day
from .models import AM, PM, Enrolment, Mark, Pupil, Register, RegisterTime, RegistrationGroup, SchoolDay
from .permissions import is_aggregate_reader, is_office_team, staff_of, teaches_group
from .selectors import AttendanceFigures, attendance_statistics, pupil_figures, pupils_on_roll, total_figures
from .serializers import (
    CalendarSerializer,
    CohortQuerySerializer,
    CohortStatisticsSerializer,
    DateRangeSerializer,
    ErrorSerializer,
    GroupSerializer,
    LateSignInResultSerializer,
    LateSignInSerializer,
    MarkAmendSerializer,
    MarkHistorySerializer,
    MarkSerializer,
    PupilSerializer,
    PupilStatisticsSerializer,
    RegisterSerializer,
    RegisterWriteResultSerializer,
    RegisterWriteSerializer,
    SchoolSerializer,
)
from .services import (
    Actor,
    MarkEntry,
    MarkProblem,
    MarkValidationError,
    normalise_symbol,
    record_marks,
    take_register_if_complete,
)

SMALL_GROUP = 5  # aggregates of fewer pupils are suppressed for governors and trust leaders
EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2200, 12, 31)
MAX_ID = 2**63 - 1


# --- errors: {"message": ..., "errors": [{"field": ..., "reason": ...}]} ----------------------


class ApiError(exceptions.APIException):
    """An error with a message and, optionally, one item per field or per bad entry."""

    def __init__(self, message: str, *, status_code: int = 400, errors: list[dict] | None = None):
        self.status_code = status_code
        self.message = message
        self.errors = errors or []
        super().__init__(message)


def _flatten(detail, prefix: str = "") -> list[dict]:
    items: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                items += _flatten(value, prefix)
            elif isinstance(key, int):  # a many=True serializer reports errors by position
                items += _flatten(value, f"{prefix}[{key}]")
            else:
                items += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list):
        for i, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                items += _flatten(value, f"{prefix}[{i}]")
            else:
                items.append({"field": prefix or None, "reason": str(value)})
    else:
        items.append({"field": prefix or None, "reason": str(detail)})
    return items


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        response.data = {"message": exc.message, "errors": exc.errors}
    elif isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = errors[0] if errors else None
        where = f"{first['field']}: " if first and first["field"] else ""
        message = f"The request is not valid: {where}{first['reason']}" if first else "The request is not valid."
        response.data = {"message": message, "errors": errors}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = {"message": str(detail), "errors": []}
    return response


ERRORS = {
    400: "The request is not valid; `errors` lists each field (or each bad mark) and the reason.",
    401: "No valid credentials: send `Authorization: Bearer <token>` (or sign in).",
    403: "Your role (or your token's scope) does not allow this.",
    404: "Not found, or not visible to you.",
    405: "Method not allowed.",
    406: "Only application/json responses are available.",
    415: "Send application/json.",
    429: "Too many requests for this token; retry later.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the JSON error responses."""
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "put", "patch", "post", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = [400, 401, 403, 404, 405, 406, 429] + ([415] if method in ("put", "patch", "post") else [])
            for code in codes:
                responses.setdefault(
                    str(code),
                    {"content": {"application/json": {"schema": error_ref}}, "description": ERRORS[code]},
                )
    return result


# --- filters ----------------------------------------------------------------------------------


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


class GroupFilter(filters.FilterSet):
    school = IdFilter(field_name="school_id")
    year = YearFilter(field_name="year", help_text="National curriculum year (0 = Reception)")
    phase = filters.ChoiceFilter(field_name="phase", choices=RegistrationGroup._meta.get_field("phase").choices)

    class Meta:
        model = RegistrationGroup
        fields = ["school", "year", "phase"]


class PupilFilter(filters.FilterSet):
    school = IdFilter(field_name="school_id")
    group = IdFilter(field_name="group_id")
    year = YearFilter(field_name="year", help_text="National curriculum year (0 = Reception)")
    upn = filters.CharFilter(field_name="upn", lookup_expr="iexact", max_length=13)
    on_roll = filters.DateFilter(method="filter_on_roll", help_text="Only pupils on roll on this date")

    class Meta:
        model = Pupil
        fields = ["school", "group", "year", "upn", "on_roll"]

    def filter_on_roll(self, queryset, name, value):
        enrolments = Enrolment.objects.filter(admission_date__lte=value).exclude(leaving_date__lt=value)
        return queryset.filter(pk__in=enrolments.values("pupil_id"))


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


class MarkCursorPagination(CursorPagination):
    ordering = "id"  # unique and stable: a page never skips or repeats a mark
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ListPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


# --- helpers --------------------------------------------------------------------------------


def actor_for(user) -> Actor:
    token = token_of(user)
    if token is not None:
        return Actor(user=None, name=token.name, position=token.position)
    staff = staff_of(user)
    if staff is not None:
        return Actor(user=user, name=staff.display_name, position=staff.get_position_display())
    return Actor.for_user(user)


def office_source(user) -> str:
    return Mark.Source.API if token_of(user) is not None else Mark.Source.OFFICE


def history_user(user):
    return None if token_of(user) is not None or not user.is_authenticated else user


def check(request, perm: str, obj, message: str):
    if not request.user.has_perm(perm, obj):
        raise exceptions.PermissionDenied(message)


def register_times(group, session):
    return RegisterTime.objects.filter(school_id=group.school_id, phase=group.phase, session=session).first()


def ensure_register(group, day, session, user) -> Register:
    register = Register.objects.filter(group=group, date=day, session=session).first()
    if register is not None:
        return register
    register = Register(school_id=group.school_id, group=group, date=day, session=session)
    register._history_user = history_user(user)
    register._change_reason = "register opened"
    try:
        with transaction.atomic():
            register.save()
    except IntegrityError:  # opened by someone else at the same moment
        register = Register.objects.get(group=group, date=day, session=session)
    return register


def _problem_field(message: str) -> str:
    text = message.lower()
    if "needs a reason" in text:
        return "reason"
    if "minutes late" in text:
        return "minutes_late"
    if "not a school session" in text:
        return "date"
    if "session must be" in text:
        return "session"
    if "not a pupil of" in text or "not on roll" in text or "more than once" in text or "not on the" in text:
        return "pupil"
    if "after you loaded" in text or "has gone" in text:
        return "expected_version"
    return "code"


def problem_items(problems, prefix: str = "marks") -> list[dict]:
    items = []
    for problem in problems:
        index = problem.entry.line
        field = _problem_field(problem.message)
        items.append(
            {
                "field": f"{prefix}[{index}].{field}" if index is not None else field,
                "reason": problem.message,
                "index": index,
                "pupil": problem.entry.pupil_id,
                "conflict": problem.conflict,
            }
        )
    return sorted(items, key=lambda i: (i["index"] is None, i["index"] or 0))


def refused(problems, *, prefix="marks") -> ApiError:
    conflicts = [p for p in problems if p.conflict]
    if conflicts:
        return ApiError(
            "Nothing was saved: someone else changed these marks meanwhile; reload and try again.",
            status_code=status.HTTP_409_CONFLICT,
            errors=problem_items(problems, prefix),
        )
    n = len(problems)
    return ApiError(
        f"Nothing was saved: {n} mark{'s were' if n != 1 else ' was'} refused.",
        errors=problem_items(problems, prefix),
    )


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


def date_range(request) -> tuple[dt.date, dt.date]:
    query = DateRangeSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["date_from"], query.validated_data["date_to"]


# --- schools and calendars ------------------------------------------------------------------


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


# --- groups and pupils ----------------------------------------------------------------------


@extend_schema(tags=["groups"])
class GroupViewSet(viewsets.ReadOnlyModelViewSet):
    """Registration groups: the school's (office, tokens, governors) or a teacher's own."""

    lookup_value_regex = "[^/]+"  # any id reaches the view: a bad one is a JSON 404
    serializer_class = GroupSerializer
    filterset_class = GroupFilter
    pagination_class = ListPagination

    def get_queryset(self):
        return visible_groups(self.request.user).distinct().order_by("school_id", "year", "name", "pk")


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


# --- marks --------------------------------------------------------------------------------


def mark_etag(mark: Mark) -> str:
    return f'"mark-{mark.pk}-v{mark.version}"'


def if_match_tags(request) -> list[str] | None:
    header = request.headers.get("If-Match")
    if header is None:
        return None
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


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
        responses={200: MarkSerializer, 409: ErrorSerializer, 412: ErrorSerializer},
        parameters=[
            OpenApiParameter(
                "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="The mark's ETag, from a GET"
            )
        ],
        summary="Amend one mark (a reason is required)",
    )
    def partial_update(self, request, *args, **kwargs):
        """Change one mark through the register service: the original entry, the new one, the reason and
        who made the change (for a token: its integration) are kept in the mark's history."""
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
        if tags is not None and "*" not in tags and mark_etag(mark) not in tags:
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
            raise refused(error.problems, prefix="")
        mark = self.get_queryset().get(pk=mark.pk)
        return Response(MarkSerializer(mark).data, headers={"ETag": mark_etag(mark)})

    @extend_schema(responses=MarkHistorySerializer(many=True), summary="Every version of one mark")
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        """Oldest first: who recorded each version, in what position, when and why."""
        mark = self.get_object()
        rows = Mark.history.filter(id=mark.pk).select_related("code").order_by("history_date", "history_id")
        return Response(MarkHistorySerializer(rows, many=True).data)


# --- registers ------------------------------------------------------------------------------


REGISTER_PARAMETERS = [
    OpenApiParameter("group_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Registration group id"),
    OpenApiParameter("date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="The session's date"),
    OpenApiParameter("session", OpenApiTypes.STR, OpenApiParameter.PATH, enum=[AM, PM]),
]


def register_etag(rows) -> str:
    text = ";".join(f"{p.pk}:{m.pk if m else 0}:{m.version if m else 0}" for p, m in rows)
    return '"register-' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


@extend_schema(tags=["registers"])
class RegisterView(APIView):
    """A group's register for a date and session, with its marks."""

    def _load(self, request, group_id, date, session):
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise exceptions.NotFound(f"'{date}' is not a date (use YYYY-MM-DD).")
        if session not in (AM, PM) or not EARLIEST <= day <= LATEST or not str(group_id).isdigit():
            raise exceptions.NotFound("No such register.")
        group = get_object_or_404(visible_groups(request.user).select_related("school").distinct(), pk=group_id)
        register = Register.objects.filter(group=group, date=day, session=session).first() or Register(
            school=group.school, group=group, date=day, session=session
        )
        if not SchoolDay.objects.filter(school_id=group.school_id, date=day).exists():
            why = describe_non_school_day(group.school, day)
            raise exceptions.NotFound(f"There is no register: {why}.")
        return group, day, register

    def _rows(self, group, day, session, *, lock=False):
        on_roll = Enrolment.objects.filter(admission_date__lte=day).exclude(leaving_date__lt=day)
        pupils = list(
            Pupil.objects.filter(group=group, pk__in=on_roll.values("pupil_id")).order_by(
                "legal_surname", "legal_forename", "pk"
            )
        )
        marks = Mark.objects.filter(pupil__in=[p.pk for p in pupils], date=day, session=session).select_related("code")
        if lock:
            marks = marks.select_for_update(of=("self",))
        by_pupil = {m.pupil_id: m for m in marks}
        return [(p, by_pupil.get(p.pk)) for p in pupils]

    def _representation(self, request, group, day, register, rows, times, now):
        data = {
            "id": register.pk,
            "school": group.school_id,
            "group": group.pk,
            "group_name": group.name,
            "date": day,
            "session": register.session,
            "state": register.state,
            "taken_at": register.taken_at,
            "opens": times.opens if times else None,
            "late_after": times.late_after if times else None,
            "closes": times.closes if times else None,
            "is_open": bool(times and timing.is_open(times, day, now)),
            "is_closed": bool(times and timing.is_closed(times, day, now)),
            "etag": register_etag(rows),
            "pupils": [
                {
                    "pupil": p.pk,
                    "upn": p.upn,
                    "name": p.name,
                    "mark": None
                    if m is None
                    else {
                        "id": m.pk,
                        "code": m.code.code,
                        "category": m.code.category,
                        "minutes_late": m.minutes_late,
                        "comment": m.comment,
                        "version": m.version,
                        "source": m.source,
                        "recorded_by_name": m.recorded_by_name,
                        "recorded_by_position": m.recorded_by_position,
                        "recorded_at": m.recorded_at,
                    },
                }
                for p, m in rows
            ],
        }
        return RegisterSerializer(data).data

    def _headers(self, rows) -> dict:
        headers = {"ETag": register_etag(rows)}
        stamps = [m.recorded_at for _, m in rows if m is not None]
        if stamps:
            headers["Last-Modified"] = http_date(max(stamps).timestamp())
        return headers

    @extend_schema(parameters=REGISTER_PARAMETERS, responses=RegisterSerializer, summary="Read a register")
    def get(self, request, group_id, date, session):
        group, day, register = self._load(request, group_id, date, session)
        check(request, "registers.api_view_register", register, "You may not see this register.")
        rows = self._rows(group, day, register.session)
        times = register_times(group, register.session)
        data = self._representation(request, group, day, register, rows, times, timezone.now())
        return Response(data, headers=self._headers(rows))

    @extend_schema(
        parameters=REGISTER_PARAMETERS
        + [
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The register's ETag from a GET (or send If-Unmodified-Since); one of the two is required",
            ),
            OpenApiParameter(
                "If-Unmodified-Since",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="An HTTP date: refuse if any mark of the register changed after it",
            ),
        ],
        request=RegisterWriteSerializer,
        responses={
            200: RegisterWriteResultSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Someone else changed a mark meanwhile"),
            412: OpenApiResponse(ErrorSerializer, description="The register changed since your ETag/date"),
            428: OpenApiResponse(ErrorSerializer, description="Send If-Match or If-Unmodified-Since"),
        },
        summary="Write the marks of a register",
    )
    def put(self, request, group_id, date, session):
        """Write the given pupils' marks (pupils not listed are left as they are) through the register
        service, with the register page's timing: a class teacher may write from when the register opens
        until the end of the day, may change marks only until it closes, and a late arrival is `L` before
        it closes and `U` (with minutes) after. All or nothing: one bad mark and none is written, and every
        bad mark is listed. Requires `If-Match` (the ETag from a GET) or `If-Unmodified-Since`."""
        group, day, register = self._load(request, group_id, date, session)
        check(request, "registers.api_take_register", register, "You may not take or change this register.")
        user = request.user
        body = RegisterWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tags = if_match_tags(request)
        unmodified_since = request.headers.get("If-Unmodified-Since")
        if tags is None and unmodified_since is None:
            raise ApiError(
                "Send If-Match (the register's ETag from a GET) or If-Unmodified-Since, so that two clients "
                "cannot overwrite each other's marks.",
                status_code=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        times = register_times(group, register.session)
        if times is None:
            raise ApiError(
                f"No register times are set for {group.get_phase_display().lower()} {register.session}; "
                "ask the office to set them.",
                status_code=status.HTTP_409_CONFLICT,
            )
        now = timezone.now()
        token = token_of(user)
        teacher = token is None and not (user.is_superuser or is_office_team(user, group))
        when = f"{day:%A %d %B}"
        if teacher and not timing.has_opened(times, day, now):
            raise exceptions.PermissionDenied(
                f"Nothing was saved: this register opens at {times.opens:%H:%M} on {when}."
            )
        if teacher and not timing.teacher_may_add_marks(times, day, now):
            raise exceptions.PermissionDenied(
                f"Nothing was saved: the {when} register closed at {times.closes:%H:%M}. "
                "Only the office can change it now, with the reason."
            )
        closed = timing.is_closed(times, day, now)
        marks = body.validated_data["marks"]
        with transaction.atomic():
            rows = self._rows(group, day, register.session, lock=True)
            etag = register_etag(rows)
            if tags is not None and "*" not in tags and etag not in tags:
                raise ApiError(
                    "The register has changed since you read it; nothing was saved. GET it again.",
                    status_code=status.HTTP_412_PRECONDITION_FAILED,
                    errors=[{"field": None, "reason": f"current ETag is {etag}"}],
                )
            if tags is None:
                since = parse_http_date_safe(unmodified_since)
                if since is None:
                    raise ApiError(
                        "If-Unmodified-Since is not an HTTP date.",
                        errors=[
                            {"field": "If-Unmodified-Since", "reason": "expected e.g. Tue, 15 Nov 1994 08:12:31 GMT"}
                        ],
                    )
                changed = [m for _, m in rows if m is not None and int(m.recorded_at.timestamp()) > since]
                if changed:
                    raise ApiError(
                        "The register has changed since the given date; nothing was saved. GET it again.",
                        status_code=status.HTTP_412_PRECONDITION_FAILED,
                    )
            roll = {p.pk: (p, m) for p, m in rows}
            entries, problems = self._entries(marks, roll, group, day, register, times, now, teacher, closed)
            if teacher:
                reason, source = (timing.TEACHER_CORRECTION_REASON if not closed else ""), Mark.Source.TEACHER
            else:
                default = ""
                if not closed:
                    default = (
                        f"corrected by {token.position} before the register closed"
                        if token
                        else timing.OFFICE_CORRECTION_REASON
                    )
                reason = body.validated_data["reason"].strip() or default
                source = office_source(user)
            actor = actor_for(user)
            saved = ensure_register(group, day, register.session, user) if not problems else None
            try:
                with transaction.atomic():
                    result = record_marks(
                        school=group.school,
                        entries=entries,
                        actor=actor,
                        source=source,
                        reason=reason,
                        register=saved,
                        now=now,
                    )
                    if problems:  # the service checked the others too; write nothing
                        transaction.set_rollback(True)
            except MarkValidationError as error:
                problems += error.problems
            if problems:
                raise refused(problems)
            marked = {p.pk for p, m in rows if m is not None} | {e.pupil_id for e in entries}
            take_register_if_complete(
                register=saved, roll=[p.pk for p, _ in rows], marked=marked, actor=actor, now=now, by_teacher=teacher
            )
        rows = self._rows(group, day, register.session)
        data = {
            "created": len(result.created),
            "amended": len(result.amended),
            "unchanged": len(result.unchanged),
            "register": self._representation(request, group, day, saved, rows, times, now),
        }
        return Response(data, headers=self._headers(rows))

    def _entries(self, marks, roll, group, day, register, times, now, teacher, closed):
        entries, problems = [], []
        for index, item in enumerate(marks):
            pupil_id = item["pupil"]
            symbol = normalise_symbol(item["code"], register.session)
            minutes = item.get("minutes_late")
            entry_args = {
                "pupil_id": pupil_id,
                "date": day,
                "session": register.session,
                "line": index,
                "reason": item.get("reason", "").strip(),
            }
            if pupil_id not in roll:
                problems.append(
                    MarkProblem(
                        MarkEntry(code=symbol, **entry_args),
                        f"pupil #{pupil_id} is not on the {group.name} roll on {day:%a %d %b %Y}.",
                    )
                )
                continue
            pupil, current = roll[pupil_id]
            if symbol in ("L", "U"):
                if teacher:
                    symbol, minutes = timing.teacher_late_mark(times, day, now, minutes)
                elif minutes is None:
                    minutes = timing.minutes_late(times, day, now)
            else:
                minutes = None
            comment = item.get("comment", current.comment if current else "")
            unchanged = current is not None and (symbol, minutes, comment) == (
                current.code.code,
                current.minutes_late,
                current.comment,
            )
            entry = MarkEntry(
                code=symbol,
                minutes_late=minutes,
                comment=comment,
                sub_reason_id=current.sub_reason_id if current else None,
                # The version this write was checked against: a change by someone else after the
                # precondition was checked is a conflict, never a silent overwrite.
                expected_version=item.get("expected_version")
                if item.get("expected_version") is not None
                else (current.version if current else 0),
                **entry_args,
            )
            if teacher and closed and current is not None and not unchanged:
                problems.append(
                    MarkProblem(
                        entry,
                        f"{pupil.name} already has {current.code.code}; the register closed at "
                        f"{times.closes:%H:%M}, so only the office can change it.",
                    )
                )
                continue
            entries.append(entry)
        return entries, problems


# --- statistics -------------------------------------------------------------------------------


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
        if is_aggregate_reader(request.user) and not request.user.is_superuser:
            raise exceptions.PermissionDenied(
                "Governors and trust leaders see aggregates only: use /statistics/cohort/."
            )
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
        (the same selectors as the dashboard and the governors' report). For governors and trust leaders a
        cohort of fewer than 5 pupils is suppressed."""
        query = CohortQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
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
        suppressed = pupils < SMALL_GROUP and is_aggregate_reader(request.user) and not request.user.is_superuser
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


# --- kiosk: late sign-ins by UPN ------------------------------------------------------------


@extend_schema(tags=["kiosk"])
class LateSignInView(APIView):
    @extend_schema(
        request=LateSignInSerializer,
        responses={201: LateSignInResultSerializer},
        summary="Sign in a pupil who arrived late (by UPN)",
    )
    def post(self, request):
        """The server's clock decides the mark, as at the office: before the late time present, before the
        register closes `L`, after it closes `U`, with minutes late counted from the late time. Written through
        the register service (an existing mark is replaced, with the sign-in as the reason)."""
        body = LateSignInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        token = token_of(user)
        upn = data["upn"].strip().upper()
        if token is not None:
            school_id = token.school_id
        elif staff_of(user) is not None:
            school_id = staff_of(user).school_id
        else:
            school_id = visible_schools(user).filter(pupils__upn=upn).values_list("pk", flat=True).first()
        pupil = Pupil.objects.select_related("group", "school").filter(school_id=school_id, upn=upn).first()
        if pupil is None:
            raise ApiError("No pupil with this UPN at the school.", errors=[{"field": "upn", "reason": "unknown UPN"}])
        check(request, "registers.api_sign_in_late", pupil, "You may not sign pupils in.")
        school = pupil.school
        now = timezone.now()
        day = timezone.localtime(now).date()
        phase = pupil.group.phase if pupil.group_id else school.register_phases[0]
        session = data.get("session")
        if session is None:
            pm = RegisterTime.objects.filter(school=school, phase=phase, session=PM).first()
            session = timing.current_and_next_sessions(pm.opens if pm else None, now)[0]
        times = RegisterTime.objects.filter(school=school, phase=phase, session=session).first()
        if times is None:
            raise ApiError(f"No register times are set for {phase} {session}.", status_code=status.HTTP_409_CONFLICT)
        code, minutes = timing.arrival_mark(times, day, session, now)
        register = ensure_register(pupil.group, day, session, user) if pupil.group_id else None
        current = Mark.objects.filter(pupil=pupil, date=day, session=session).first()
        entry = MarkEntry(
            pupil_id=pupil.pk,
            date=day,
            session=session,
            code=code,
            minutes_late=minutes,
            comment=data["comment"] if data.get("comment") else (current.comment if current else ""),
            sub_reason_id=current.sub_reason_id if current else None,
        )
        try:
            record_marks(
                school=school,
                entries=[entry],
                actor=actor_for(user),
                source=office_source(user),
                reason=f"late arrival signed in at {timezone.localtime(now):%H:%M}"
                + (f" ({token.name})" if token else ""),
                register=register,
                now=now,
            )
        except MarkValidationError as error:
            raise ApiError(
                "The sign-in was not recorded.",
                errors=[{"field": _problem_field(p.message), "reason": p.message} for p in error.problems],
            )
        mark = Mark.objects.select_related("code", "pupil").get(pupil=pupil, date=day, session=session)
        result = {"late": code in ("L", "U"), "mark": mark}
        return Response(LateSignInResultSerializer(result).data, status=status.HTTP_201_CREATED)
