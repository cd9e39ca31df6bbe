"""Lesson registers and lesson marks (secondary timetables):

- /api/v1/lesson-registers/: the registers taken or started, by page, filtered by date, lesson,
  class or state;
- /api/v1/lessons/{lesson_id}/registers/{date}/: one lesson's register on a date with its pupils
  and their marks (GET), and writing its marks (PUT) through the lesson taking service
  (`lessons.taking.take_lesson_register`: the one register rule with the lesson's times), guarded
  by the register's ETag: If-Match is required (428 without it, 412 when it is stale);
- /api/v1/lesson-marks/: lesson marks by cursor, one mark with its ETag, and its history.

The same tokens, errors and pagination as the session endpoints (`api.registers`, `api.marks`);
who may see what is `api.lesson_access`. Lesson marks never change a statutory AM/PM mark."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from lessons.models import Lesson, LessonMark, LessonRegister
from lessons.services import session_of
from lessons.taking import LessonTaker, lesson_roll, lesson_taker, lesson_times, take_lesson_register
from lessons.timetable import lessons_on
from registers import timing
from registers.calendar import describe_non_school_day
from registers.models import SESSION_CHOICES, SchoolDay
from registers.permissions import staff_of
from registers.taking import MarkWish, TakenBy, Taker

from .authentication import actor_for, token_of
from .errors import ApiError, ErrorSerializer, refused
from .filters import IdFilter
from .lesson_access import NotAggregateOnly, visible_lesson_marks, visible_lesson_registers, visible_lessons
from .pagination import ListPagination, MarkCursorPagination
from .permissions import check
from .preconditions import if_match_tags
from .registers import (
    EARLIEST,
    LATEST,
    RegisterMarkSerializer,
    RegisterWriteSerializer,
    refusal_error,
    roll_headers,
    roll_pupils,
)

PERMISSIONS = [*api_settings.DEFAULT_PERMISSION_CLASSES, NotAggregateOnly]


class LessonRegisterSummarySerializer(serializers.ModelSerializer):
    group = serializers.IntegerField(source="lesson.group_id", read_only=True)
    group_name = serializers.CharField(source="lesson.group.name", read_only=True)
    subject = serializers.CharField(source="lesson.group.subject", read_only=True)
    period = serializers.CharField(source="lesson.period.name", read_only=True)

    class Meta:
        model = LessonRegister
        fields = [
            "id",
            "school",
            "lesson",
            "group",
            "group_name",
            "subject",
            "period",
            "date",
            "session",
            "state",
            "taken_at",
            "cover_teacher",
        ]
        read_only_fields = fields


class LessonRegisterRowSerializer(serializers.Serializer):
    pupil = serializers.IntegerField()
    upn = serializers.CharField()
    name = serializers.CharField()
    mark = RegisterMarkSerializer(allow_null=True)


class LessonRegisterSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null until the register is first written")
    school = serializers.IntegerField()
    lesson = serializers.IntegerField()
    group = serializers.IntegerField(help_text="The teaching group (class)")
    group_name = serializers.CharField()
    subject = serializers.CharField()
    period = serializers.CharField()
    date = serializers.DateField()
    session = serializers.ChoiceField(choices=SESSION_CHOICES, help_text="The statutory session the lesson falls in")
    state = serializers.ChoiceField(choices=LessonRegister.State.choices)
    taken_at = serializers.DateTimeField(allow_null=True)
    cover_teacher = serializers.IntegerField(allow_null=True)
    opens = serializers.TimeField(help_text="The lesson's start")
    late_after = serializers.TimeField()
    closes = serializers.TimeField(help_text="The lesson's end")
    is_open = serializers.BooleanField()
    is_closed = serializers.BooleanField()
    etag = serializers.CharField(help_text="Send it back as If-Match when you PUT")
    pupils = LessonRegisterRowSerializer(many=True, help_text="The pupils in the lesson that day, with their marks")


class LessonRegisterWriteResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    amended = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    register = LessonRegisterSerializer()


LESSON_REGISTER_PARAMETERS = [
    OpenApiParameter("lesson_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The timetabled lesson's id"),
    OpenApiParameter("date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="The lesson's date"),
]


def lesson_register_etag(roll) -> str:
    text = ";".join(f"{p.pk}:{p.mark_id or 0}:{p.mark_version or 0}" for p in roll)
    return '"lesson-register-' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


ROLL_MARK_FIELDS = (
    "mark_id",
    "mark_code",
    "mark_category",
    "mark_minutes",
    "mark_comment",
    "mark_sub_reason_id",
    "mark_version",
    "mark_source",
    "mark_by",
    "mark_position",
    "mark_at",
)


def roll_of(register: LessonRegister) -> list:
    """The register's pupils with their marks (none yet for a register nobody has opened)."""
    return lesson_roll(register)


def integration_taker(user) -> LessonTaker:
    return LessonTaker(TakenBy(Taker.INTEGRATION, actor_for(user)))


@extend_schema(tags=["lessons"])
class LessonRegisterView(APIView):
    """A lesson's register on a date, with its pupils' marks."""

    permission_classes = PERMISSIONS

    def _load(self, request, lesson_id, date):
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise exceptions.NotFound(f"'{date}' is not a date (use YYYY-MM-DD).")
        if not EARLIEST <= day <= LATEST or not str(lesson_id).isdigit() or int(lesson_id) > 2**63 - 1:
            raise exceptions.NotFound("No such lesson register.")
        register = (
            visible_lesson_registers(request.user)
            .select_related("lesson__group", "lesson__period", "school")
            .filter(lesson_id=lesson_id, date=day)
            .first()
        )
        if register is None:
            lessons = visible_lessons(request.user).select_related("group", "period", "school")
            lesson = self._covered(request, lesson_id, day) or get_object_or_404(lessons, pk=lesson_id)
            register = LessonRegister(school=lesson.school, lesson=lesson, date=day, session=session_of(lesson))
        if not SchoolDay.objects.filter(school_id=register.school_id, date=day).exists():
            why = describe_non_school_day(register.school, day)
            raise exceptions.NotFound(f"There is no register: {why}.")
        if register.pk is None and not lessons_on(register.school, day).filter(pk=register.lesson_id).exists():
            raise exceptions.NotFound(f"{register.lesson} does not meet on {day:%A %d %B %Y}.")
        register.is_school_day = True
        return day, register

    @staticmethod
    def _covered(request, lesson_id, day) -> Lesson | None:
        """The lesson, when the caller covers it that day (their own lessons come from `visible_lessons`)."""
        staff = staff_of(request.user)
        if staff is None or token_of(request.user) is not None:
            return None
        return (
            Lesson.objects.filter(pk=lesson_id, covers__date=day, covers__teacher=staff)
            .select_related("group", "period", "school")
            .first()
        )

    def _representation(self, day, register, roll, times, now):
        lesson = register.lesson
        data = {
            "id": register.pk,
            "school": register.school_id,
            "lesson": lesson.pk,
            "group": lesson.group_id,
            "group_name": lesson.group.name,
            "subject": lesson.group.subject,
            "period": lesson.period.name,
            "date": day,
            "session": register.session,
            "state": register.state,
            "taken_at": register.taken_at,
            "cover_teacher": register.cover_teacher_id,
            "opens": times.opens,
            "late_after": times.late_after,
            "closes": times.closes,
            "is_open": timing.is_open(times, day, now),
            "is_closed": timing.is_closed(times, day, now),
            "etag": lesson_register_etag(roll),
            "pupils": roll_pupils(roll),
        }
        return LessonRegisterSerializer(data).data

    def _headers(self, roll) -> dict:
        return roll_headers(roll, lesson_register_etag(roll))

    @extend_schema(
        parameters=LESSON_REGISTER_PARAMETERS, responses=LessonRegisterSerializer, summary="Read a lesson's register"
    )
    def get(self, request, lesson_id, date):
        day, register = self._load(request, lesson_id, date)
        check(request, "lessons.api_view_lesson_register", register, "You may not see this lesson's register.")
        roll = roll_of(register)
        data = self._representation(day, register, roll, lesson_times(register), timing.now())
        return Response(data, headers=self._headers(roll))

    @extend_schema(
        parameters=LESSON_REGISTER_PARAMETERS
        + [
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="The lesson register's ETag from a GET (required)",
            )
        ],
        request=RegisterWriteSerializer,
        responses={
            200: LessonRegisterWriteResultSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Someone else changed a mark meanwhile"),
            412: OpenApiResponse(ErrorSerializer, description="The register changed since your ETag"),
            428: OpenApiResponse(ErrorSerializer, description="Send If-Match"),
        },
        summary="Write the marks of a lesson's register",
    )
    def put(self, request, lesson_id, date):
        """Write the given pupils' lesson marks (pupils not listed are left as they are) through the
        lesson taking service, with the lesson's times: the register opens when the lesson starts, an
        arrival more than the school's minutes later is late, and it closes when the lesson ends
        (after that only the office changes marks, with a reason). A token writes as its integration;
        a member of staff as the lesson's teacher, its cover teacher or the office. All or nothing: one
        bad mark and none is written, and every bad mark is listed. Requires `If-Match`. Never changes
        a statutory AM/PM mark."""
        day, register = self._load(request, lesson_id, date)
        check(request, "lessons.api_view_lesson_register", register, "You may not see this lesson's register.")
        if token_of(request.user) is not None:
            check(request, "lessons.api_write_as_integration", register, "This API token may only read.")
            taker = integration_taker(request.user)
        else:
            taker = lesson_taker(request.user, staff_of(request.user), register)
            if taker is None:
                raise exceptions.PermissionDenied("You may not take or change this lesson's register.")
        body = RegisterWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tags = if_match_tags(request)
        if tags is None:
            raise ApiError(
                "Send If-Match (the lesson register's ETag from a GET), so that two clients cannot overwrite "
                "each other's marks; nothing was saved.",
                status_code=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        wishes = [
            MarkWish(
                pupil_id=item["pupil"],
                code=item["code"],
                minutes_late=item.get("minutes_late"),
                expected_version=item.get("expected_version"),
                comment=item.get("comment"),
                reason=item.get("reason", "").strip(),
                line=index,
            )
            for index, item in enumerate(body.validated_data["marks"])
        ]
        now = timing.now()
        times = lesson_times(register)
        with transaction.atomic():
            roll = roll_of(register)
            etag = lesson_register_etag(roll)
            if "*" not in tags and etag not in tags:
                raise ApiError(
                    "The lesson register has changed since you read it; nothing was saved. GET it again.",
                    status_code=status.HTTP_412_PRECONDITION_FAILED,
                    errors=[{"field": None, "reason": f"current ETag is {etag}"}],
                )
            result = take_lesson_register(
                register=register,
                taker=taker,
                roll=roll,
                wishes=wishes,
                now=now,
                times=times,
                reason=body.validated_data["reason"].strip(),
            )
        if result.refusals:
            whole = [r for r in result.refusals if r.pupil_id is None]
            raise refusal_error(whole[0]) if whole else refused(result.refusals)
        saved = result.register
        saved.lesson = register.lesson
        roll = roll_of(saved)
        data = {
            "created": len(result.created),
            "amended": len(result.amended),
            "unchanged": len(result.unchanged),
            "register": self._representation(day, saved, roll, times, now),
        }
        return Response(data, headers=self._headers(roll))


class LessonRegisterFilter(filters.FilterSet):
    school = IdFilter(field_name="school_id")
    lesson = IdFilter(field_name="lesson_id")
    group = IdFilter(field_name="lesson__group_id", help_text="The teaching group (class)")
    date = filters.DateFilter(field_name="date")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="Lessons on or after")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="Lessons on or before")
    state = filters.ChoiceFilter(field_name="state", choices=LessonRegister.State.choices)

    class Meta:
        model = LessonRegister
        fields = ["school", "lesson", "group", "date", "date_from", "date_to", "state"]


@extend_schema(tags=["lessons"])
class LessonRegisterViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Lesson registers started or taken, by date then period; read one with its pupils at
    /lessons/{lesson_id}/registers/{date}/."""

    serializer_class = LessonRegisterSummarySerializer
    filterset_class = LessonRegisterFilter
    pagination_class = ListPagination
    permission_classes = PERMISSIONS

    def get_queryset(self):
        return (
            visible_lesson_registers(self.request.user)
            .select_related("lesson__group", "lesson__period")
            .order_by("date", "lesson__period__starts", "id")
        )


class LessonMarkSerializer(serializers.ModelSerializer):
    upn = serializers.CharField(source="pupil.upn", read_only=True)
    lesson = serializers.IntegerField(source="register.lesson_id", read_only=True)
    session = serializers.ChoiceField(source="register.session", choices=SESSION_CHOICES, read_only=True)
    code = serializers.CharField(source="code.code", read_only=True)
    category = serializers.CharField(source="code.category", read_only=True)
    meaning = serializers.CharField(source="code.meaning", read_only=True)

    class Meta:
        model = LessonMark
        fields = [
            "id",
            "school",
            "pupil",
            "upn",
            "register",
            "lesson",
            "date",
            "session",
            "code",
            "category",
            "meaning",
            "minutes_late",
            "comment",
            "source",
            "recorded_by_name",
            "recorded_by_position",
            "recorded_at",
            "reason",
            "version",
        ]
        read_only_fields = fields


class LessonMarkHistorySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.ChoiceField(choices=[("+", "created"), ("~", "changed"), ("-", "deleted")])
    version = serializers.IntegerField()
    code = serializers.CharField(source="code.code")
    minutes_late = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()
    reason = serializers.CharField()
    source = serializers.ChoiceField(choices=LessonMark.Source.choices)
    recorded_by_name = serializers.CharField()
    recorded_by_position = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class LessonMarkFilter(filters.FilterSet):
    school = IdFilter(field_name="school_id")
    pupil = IdFilter(field_name="pupil_id")
    upn = filters.CharFilter(field_name="pupil__upn", lookup_expr="iexact", max_length=13)
    register = IdFilter(field_name="register_id")
    lesson = IdFilter(field_name="register__lesson_id")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="Lessons on or after")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="Lessons on or before")
    code = filters.CharFilter(method="filter_code", max_length=2, help_text="A national code, e.g. `L`, `O`")

    class Meta:
        model = LessonMark
        fields = ["school", "pupil", "upn", "register", "lesson", "date_from", "date_to", "code"]

    def filter_code(self, queryset, name, value):
        return queryset.filter(code__code=value.strip().upper())


def lesson_mark_etag(mark: LessonMark) -> str:
    return f'"lesson-mark-{mark.pk}-v{mark.version}"'


@extend_schema(tags=["lessons"])
class LessonMarkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Lesson marks, oldest entry first, with cursor pagination; filter by pupil, lesson, dates,
    code. To change one, write its lesson register (PUT, with If-Match)."""

    lookup_value_regex = "[^/]+"  # any id reaches the view: a bad one is a JSON 404
    serializer_class = LessonMarkSerializer
    filterset_class = LessonMarkFilter
    pagination_class = MarkCursorPagination
    permission_classes = PERMISSIONS

    def get_queryset(self):
        return visible_lesson_marks(self.request.user).select_related("code", "pupil", "register")

    def retrieve(self, request, *args, **kwargs):
        mark = self.get_object()
        return Response(LessonMarkSerializer(mark).data, headers={"ETag": lesson_mark_etag(mark)})

    @extend_schema(responses=LessonMarkHistorySerializer(many=True), summary="Every version of one lesson mark")
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        """Oldest first: who recorded each version, in what position, when and why."""
        mark = self.get_object()
        rows = LessonMark.history.filter(id=mark.pk).select_related("code").order_by("history_date", "history_id")
        return Response(LessonMarkHistorySerializer(rows, many=True).data)
