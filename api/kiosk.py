"""/api/v1/kiosk/late-arrivals/: a pupil who arrived late signs in by UPN (a reception kiosk); the
server's clock decides the mark, as at the office."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from registers import timing
from registers.models import PM, SESSION_CHOICES, Mark, Pupil
from registers.permissions import staff_of
from registers.register_selectors import register_times
from registers.services import MarkEntry, MarkValidationError, open_registers, record_marks

from .authentication import actor_for, office_source, token_of
from .errors import ApiError, problem_field
from .marks import MarkSerializer
from .permissions import check, visible_schools


class LateSignInSerializer(serializers.Serializer):
    upn = serializers.CharField(max_length=13, min_length=13, help_text="The pupil's Unique Pupil Number")
    session = serializers.ChoiceField(
        choices=SESSION_CHOICES, required=False, help_text="Default: the session under way at the school now"
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class LateSignInResultSerializer(serializers.Serializer):
    late = serializers.BooleanField(help_text="False when the pupil arrived before the late time (present)")
    mark = MarkSerializer()


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
        # Whoever may sign nobody in is refused before any UPN is looked up, and a pupil they may not
        # sign in is answered as an unknown UPN: the reply never says whether a UPN exists.
        check(request, "registers.api_sign_in_late", None, "You may not sign pupils in.")
        token = token_of(user)
        upn = data["upn"].strip().upper()
        if token is not None:
            school_id = token.school_id
        elif staff_of(user) is not None:
            school_id = staff_of(user).school_id
        else:
            school_id = visible_schools(user).filter(pupils__upn=upn).values_list("pk", flat=True).first()
        pupil = Pupil.objects.select_related("group", "school").filter(school_id=school_id, upn=upn).first()
        if pupil is None or not user.has_perm("registers.api_sign_in_late", pupil):
            raise ApiError("No pupil with this UPN at the school.", errors=[{"field": "upn", "reason": "unknown UPN"}])
        school = pupil.school
        now = timing.now()
        day = timezone.localtime(now).date()
        phase = pupil.group.phase if pupil.group_id else school.register_phases[0]
        session = data.get("session")
        if session is None:
            pm = register_times(school_id=school.pk, phase=phase, session=PM)
            session = timing.current_and_next_sessions(pm.opens if pm else None, now)[0]
        times = register_times(school_id=school.pk, phase=phase, session=session)
        if times is None:
            raise ApiError(f"No register times are set for {phase} {session}.", status_code=status.HTTP_409_CONFLICT)
        code, minutes = timing.arrival_mark(times, day, session, now)
        register = None
        if pupil.group_id:
            register = open_registers(school=school, wanted=[(pupil.group, day, session)], user=user)[
                (pupil.group_id, day, session)
            ]
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
                errors=[{"field": problem_field(p.message), "reason": p.message} for p in error.problems],
            )
        mark = Mark.objects.select_related("code", "pupil").get(pupil=pupil, date=day, session=session)
        result = {"late": code in ("L", "U"), "mark": mark}
        return Response(LateSignInResultSerializer(result).data, status=status.HTTP_201_CREATED)
