"""/api/v1/pupils/sync/: keep the roll in step with the MIS. The same upsert as the pupil file on
the Imports page (`registers.imports.sync_pupils`): by UPN, idempotent (sending the same pupils
again changes nothing), all or nothing, with leavers when the request is the whole roll, marks
never touched, and `dry_run` for a preview."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from registers.imports import OUTCOME_LABELS, ImportRejected, PupilRecord, sync_pupils
from registers.models import Pupil
from registers.permissions import staff_of
from registers.upn import upn_problem
from registers.years import parse_year, year_code

from .authentication import actor_for, token_of
from .errors import ApiError
from .permissions import check

MAX_PUPILS = 5000
YEAR_HELP = "National curriculum year as the MIS writes it: N1, N2, R, 1–14 or X (a number 0–14 also does)"
PUPIL_FIELDS = (
    "legal_surname",
    "legal_forename",
    "preferred_forename",
    "preferred_surname",
    "date_of_birth",
    "sex",
    "year",
    "fsm",
    "sen",
    "eal",
    "looked_after",
    "ethnicity",
)


@extend_schema_field(OpenApiTypes.STR)
class YearField(serializers.Field):
    default_error_messages = {"invalid": "Give the year as N1, N2, R, 1–14 or X."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        try:
            return parse_year(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return year_code(value)


class SyncPupilSerializer(serializers.Serializer):
    """One pupil as the MIS has them. Leave a field out to keep what the school holds."""

    upn = serializers.CharField(min_length=13, max_length=13, help_text="The pupil's Unique Pupil Number")
    legal_surname = serializers.CharField(max_length=100)
    legal_forename = serializers.CharField(max_length=100)
    preferred_forename = serializers.CharField(max_length=100, required=False, allow_blank=True)
    preferred_surname = serializers.CharField(max_length=100, required=False, allow_blank=True)
    date_of_birth = serializers.DateField()
    sex = serializers.ChoiceField(choices=Pupil.Sex.choices)
    year = YearField(help_text=YEAR_HELP)
    group = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="Registration group name (created if the school has none by that name); blank for none",
    )
    admission_date = serializers.DateField(required=False, help_text="Required for a pupil new to the school")
    leaving_date = serializers.DateField(
        required=False, allow_null=True, help_text="The last day on roll; null if still on roll"
    )
    fsm = serializers.BooleanField(required=False, help_text="Eligible for free school meals")
    sen = serializers.ChoiceField(choices=Pupil.SEN.choices, required=False)
    eal = serializers.BooleanField(required=False)
    looked_after = serializers.BooleanField(required=False)
    ethnicity = serializers.RegexField(
        r"^([A-Z]{4})?$", required=False, allow_blank=True, help_text="The DfE four-letter code, e.g. WBRI"
    )

    def validate_upn(self, value):
        value = value.strip().upper()
        if problem := upn_problem(value):
            raise serializers.ValidationError(problem)
        return value


class PupilSyncSerializer(serializers.Serializer):
    pupils = SyncPupilSerializer(many=True, allow_empty=False, max_length=MAX_PUPILS)
    full_roll = serializers.BooleanField(
        default=False, help_text="The pupils sent are the whole roll: pupils on roll who are not sent leave"
    )
    leaving_date = serializers.DateField(required=False, help_text="With full_roll: the leavers' last day on roll")
    dry_run = serializers.BooleanField(default=False, help_text="Say what would change; write nothing")

    def validate(self, data):
        seen = {}
        for i, pupil in enumerate(data["pupils"]):
            if pupil["upn"] in seen:
                raise serializers.ValidationError(
                    {"pupils": {i: {"upn": [f"UPN {pupil['upn']} is also pupils[{seen[pupil['upn']]}]."]}}}
                )
            seen[pupil["upn"]] = i
        if data["full_roll"] and not data.get("leaving_date"):
            raise serializers.ValidationError({"leaving_date": ["Required with full_roll."]})
        return data


class SyncChangeSerializer(serializers.Serializer):
    thing = serializers.CharField(help_text="pupil, registration group …")
    outcome = serializers.ChoiceField(choices=[(k, v) for k, v in OUTCOME_LABELS.items() if k != "unchanged"])
    label = serializers.CharField()
    details = serializers.ListField(child=serializers.CharField())
    where = serializers.CharField(help_text="e.g. pupils[3]")


class OutcomeCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    changed = serializers.IntegerField()
    leaving = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class PupilSyncResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    import_run = serializers.IntegerField(allow_null=True, help_text="The record of this sync (none for a dry run)")
    counts = serializers.DictField(child=OutcomeCountsSerializer(), help_text="By kind of record")
    changes = SyncChangeSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


def _record(i: int, item: dict) -> PupilRecord:
    return PupilRecord(
        where=f"pupils[{i}]",
        line=None,
        upn=item["upn"],
        values={k: item[k] for k in PUPIL_FIELDS if k in item},
        group=item.get("group"),
        admission=item.get("admission_date"),
        leaving=item.get("leaving_date"),
        leaving_given="leaving_date" in item,
    )


def _field(where: str, message: str) -> str | None:
    """The request field a refusal is about: `pupils[3].admission_date`, or the pupil."""
    text = message.lower()
    if "already on roll" in text:
        suffix = ".admission_date"  # admitted twice over the same days
    elif "leaving date" in text:
        suffix = ".leaving_date"
    else:
        suffix = ".admission_date" if "admission" in text else ""
    return f"{where}{suffix}" if where else ("leaving_date" if "leaving date" in text else None)


@extend_schema(tags=["pupils"])
class PupilSyncView(APIView):
    @extend_schema(
        request=PupilSyncSerializer,
        responses={200: PupilSyncResultSerializer},
        summary="Keep the school's pupils in step with the MIS (upsert by UPN)",
    )
    def post(self, request):
        """Creates pupils new to the school (admitted on `admission_date`), updates the fields sent for
        pupils it holds (names, year, group, characteristics), records a `leaving_date`, and with
        `full_roll` records pupils on roll who are not sent as leaving on `leaving_date`. Matched by
        UPN; sending the same pupils again changes nothing. All or nothing: a refusal names each pupil
        (`pupils[i]`) and saves nothing. Marks are never touched; a leaving date before a pupil's last
        mark is refused. A write token, or the office, data manager, attendance officer or headteacher."""
        token = token_of(request.user)
        staff = staff_of(request.user) if token is None else None
        school = token.school if token is not None else (staff.school if staff is not None else None)
        if school is None:
            raise ApiError("Synchronise pupils with the school's API token.", status_code=403)
        check(request, "registers.api_sync_pupils", school, "You may not import pupils for this school.")
        body = PupilSyncSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        actor = actor_for(request.user)
        try:
            run, report = sync_pupils(
                school=school,
                records=[_record(i, item) for i, item in enumerate(data["pupils"])],
                actor=actor,
                source_name=actor.name,
                body=request.body,
                full_roll=data["full_roll"],
                leaving_date=data.get("leaving_date"),
                dry_run=data["dry_run"],
            )
        except ImportRejected as exc:
            n = len(exc.problems)
            raise ApiError(
                f"Nothing was saved: {n} problem{'s' if n != 1 else ''} with the pupils sent.",
                errors=[{"field": _field(p.where, p.message), "reason": p.message} for p in exc.problems],
            ) from None
        result = {
            "dry_run": data["dry_run"],
            "import_run": run.pk if run else None,
            "counts": dict(report.summary()),
            "changes": [vars(c) for c in report.changes],
            "notes": report.notes,
        }
        return Response(PupilSyncResultSerializer(result).data)
