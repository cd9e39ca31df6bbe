"""/api/v1/groups/{group_id}/registers/{date}/{session}/: a group's register for one session with
its marks (GET), and writing its marks (PUT) — by the register rule the register page follows
(`registers.taking.take_register`), guarded by the register's ETag or a date."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.http import http_date, parse_http_date_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from registers import timing
from registers.calendar import describe_non_school_day
from registers.models import AM, PM, SESSION_CHOICES, Register, SchoolDay
from registers.permissions import is_office_team
from registers.register_selectors import register_times, roll_with_marks
from registers.services import MAX_MINUTES_LATE
from registers.taking import MarkWish, TakenBy, Taker, Why, refusal_to_write, take_register

from .authentication import actor_for, token_of
from .errors import ApiError, ErrorSerializer, refused
from .permissions import check, visible_groups
from .preconditions import if_match_tags

EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2200, 12, 31)


def roll_pupils(roll) -> list[dict]:
    """A register's pupils with their marks, as the API shows them (a session's or a lesson's)."""
    return [
        {
            "pupil": p.pk,
            "upn": p.upn,
            "name": p.name,
            "mark": None
            if p.mark_id is None
            else {
                "id": p.mark_id,
                "code": p.mark_code,
                "category": p.mark_category,
                "minutes_late": p.mark_minutes,
                "comment": p.mark_comment,
                "version": p.mark_version,
                "source": p.mark_source,
                "recorded_by_name": p.mark_by,
                "recorded_by_position": p.mark_position,
                "recorded_at": p.mark_at,
            },
        }
        for p in roll
    ]


def roll_headers(roll, etag: str) -> dict:
    """The ETag of a register's marks, and when the latest of them was recorded."""
    headers = {"ETag": etag}
    stamps = [p.mark_at for p in roll if p.mark_id is not None]
    if stamps:
        headers["Last-Modified"] = http_date(max(stamps).timestamp())
    return headers


class RegisterMarkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    category = serializers.CharField()
    minutes_late = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()
    version = serializers.IntegerField()
    source = serializers.CharField()
    recorded_by_name = serializers.CharField()
    recorded_by_position = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class RegisterRowSerializer(serializers.Serializer):
    pupil = serializers.IntegerField()
    upn = serializers.CharField()
    name = serializers.CharField()
    mark = RegisterMarkSerializer(allow_null=True)


class RegisterSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null until the register is first written")
    school = serializers.IntegerField()
    group = serializers.IntegerField()
    group_name = serializers.CharField()
    date = serializers.DateField()
    session = serializers.ChoiceField(choices=SESSION_CHOICES)
    state = serializers.ChoiceField(choices=Register.State.choices)
    taken_at = serializers.DateTimeField(allow_null=True)
    opens = serializers.TimeField(allow_null=True)
    late_after = serializers.TimeField(allow_null=True)
    closes = serializers.TimeField(allow_null=True)
    is_open = serializers.BooleanField()
    is_closed = serializers.BooleanField()
    etag = serializers.CharField(help_text="Send it back as If-Match when you PUT")
    pupils = RegisterRowSerializer(many=True, help_text="The pupils on the group's roll that day, with their marks")


class RegisterMarkInputSerializer(serializers.Serializer):
    pupil = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    code = serializers.CharField(max_length=2, help_text="`/` or `\\` (present, either works), `L`, `N`, `C` …")
    minutes_late = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=MAX_MINUTES_LATE)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)
    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=2**31 - 1,
        help_text="The mark's version you last saw (0: no mark yet); a mismatch is a conflict (409)",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class RegisterWriteSerializer(serializers.Serializer):
    marks = RegisterMarkInputSerializer(many=True, max_length=500)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        default="",
        help_text="Why existing marks change (required for changes after the register closes)",
    )


class RegisterWriteResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    amended = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    register = RegisterSerializer()


REGISTER_PARAMETERS = [
    OpenApiParameter("group_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Registration group id"),
    OpenApiParameter("date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="The session's date"),
    OpenApiParameter("session", OpenApiTypes.STR, OpenApiParameter.PATH, enum=[AM, PM]),
]


def register_etag(roll) -> str:
    text = ";".join(f"{p.pk}:{p.mark_id or 0}:{p.mark_version or 0}" for p in roll)
    return '"register-' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def taker_of(user, group) -> TakenBy:
    """A token writes as its integration; the office team and administrators as the office; anyone
    else the register permission lets in is a teacher of the group."""
    if token_of(user) is not None:
        kind = Taker.INTEGRATION
    elif user.is_superuser or is_office_team(user, group):
        kind = Taker.OFFICE
    else:
        kind = Taker.TEACHER
    return TakenBy(kind, actor_for(user))


def refusal_error(refusal) -> exceptions.APIException:
    """A refusal of the whole register, as the API reports it."""
    if refusal.kind in (Why.NOT_OPEN, Why.CLOSED):
        return exceptions.PermissionDenied(refusal.message)
    if refusal.kind == Why.NOT_A_SCHOOL_DAY:
        return exceptions.NotFound(refusal.message)
    return ApiError(refusal.message, status_code=status.HTTP_409_CONFLICT)


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
        register.school, register.group = group.school, group
        if not SchoolDay.objects.filter(school_id=group.school_id, date=day).exists():
            why = describe_non_school_day(group.school, day)
            raise exceptions.NotFound(f"There is no register: {why}.")
        register.is_school_day = True
        return group, day, register

    def _representation(self, group, day, register, roll, times, now):
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
            "etag": register_etag(roll),
            "pupils": roll_pupils(roll),
        }
        return RegisterSerializer(data).data

    def _headers(self, roll) -> dict:
        return roll_headers(roll, register_etag(roll))

    @extend_schema(parameters=REGISTER_PARAMETERS, responses=RegisterSerializer, summary="Read a register")
    def get(self, request, group_id, date, session):
        group, day, register = self._load(request, group_id, date, session)
        check(request, "registers.api_view_register", register, "You may not see this register.")
        roll = roll_with_marks(register)
        times = register_times(school_id=group.school_id, phase=group.phase, session=register.session)
        data = self._representation(group, day, register, roll, times, timing.now())
        return Response(data, headers=self._headers(roll))

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
        times = register_times(school_id=group.school_id, phase=group.phase, session=register.session)
        now = timing.now()
        taken_by = taker_of(request.user, group)
        refusal = refusal_to_write(register=register, times=times, taken_by=taken_by, now=now)
        if refusal is not None:
            raise refusal_error(refusal)
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
        with transaction.atomic():
            roll = roll_with_marks(register, lock=True)
            self._check_unchanged(roll, tags, unmodified_since)
            result = take_register(
                register=register,
                times=times,
                roll=roll,
                wishes=wishes,
                taken_by=taken_by,
                now=now,
                reason=body.validated_data["reason"].strip(),
            )
        if result.refusals:
            whole = [r for r in result.refusals if r.pupil_id is None]
            raise refusal_error(whole[0]) if whole else refused(result.refusals)
        roll = roll_with_marks(result.register)
        data = {
            "created": len(result.created),
            "amended": len(result.amended),
            "unchanged": len(result.unchanged),
            "register": self._representation(group, day, result.register, roll, times, now),
        }
        return Response(data, headers=self._headers(roll))

    def _check_unchanged(self, roll, tags, unmodified_since):
        """412 if the register changed since the client's ETag (If-Match) or date (If-Unmodified-Since)."""
        etag = register_etag(roll)
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
                    errors=[{"field": "If-Unmodified-Since", "reason": "expected e.g. Tue, 15 Nov 1994 08:12:31 GMT"}],
                )
            changed = [p for p in roll if p.mark_id is not None and int(p.mark_at.timestamp()) > since]
            if changed:
                raise ApiError(
                    "The register has changed since the given date; nothing was saved. GET it again.",
                    status_code=status.HTTP_412_PRECONDITION_FAILED,
                )
