"""Serializers of the REST API (`registers.api`): what goes in and out, nothing more.

Writes are validated here only for shape (types, lengths, required fields); the register's
own rules (code valid on the date, a school session, on roll, a reason for every change, no
conflicting edit) are the register service's, and its refusals come back per mark."""

from __future__ import annotations

from rest_framework import serializers

from .models import (
    SESSION_CHOICES,
    AcademicYear,
    Closure,
    Holiday,
    Mark,
    Pupil,
    Register,
    RegisterTime,
    RegistrationGroup,
    School,
    Term,
)
from .services import MAX_MINUTES_LATE

# --- errors ----------------------------------------------------------------------------------


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The field at fault, e.g. `marks[2].code`, or null")
    reason = serializers.CharField()
    index = serializers.IntegerField(required=False, help_text="For a batch: the position of the bad entry")
    pupil = serializers.IntegerField(required=False, allow_null=True)
    conflict = serializers.BooleanField(required=False, help_text="Someone else changed this mark meanwhile")


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True, required=False)


# --- schools and calendars -------------------------------------------------------------------


class SchoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["id", "urn", "name", "la_number", "establishment_number", "phase"]


class AcademicYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = AcademicYear
        fields = ["id", "name", "start_date", "end_date"]


class TermSerializer(serializers.ModelSerializer):
    academic_year = serializers.CharField(source="academic_year.name", read_only=True)

    class Meta:
        model = Term
        fields = ["id", "academic_year", "name", "start_date", "end_date"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "name", "start_date", "end_date"]


class ClosureSerializer(serializers.ModelSerializer):
    year_groups = serializers.ListField(child=serializers.IntegerField(), help_text="Empty for the whole school")

    class Meta:
        model = Closure
        fields = ["id", "date", "session", "kind", "reason", "year_groups"]


class RegisterTimeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegisterTime
        fields = ["phase", "session", "opens", "late_after", "closes"]


class CalendarSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    academic_years = AcademicYearSerializer(many=True)
    terms = TermSerializer(many=True)
    holidays = HolidaySerializer(many=True)
    closures = ClosureSerializer(many=True)
    register_times = RegisterTimeSerializer(many=True)


# --- groups and pupils -----------------------------------------------------------------------


YEAR_HELP = "National curriculum year; 0 for Reception"


class GroupSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(read_only=True, help_text=YEAR_HELP)  # the same schema on every database

    class Meta:
        model = RegistrationGroup
        fields = ["id", "school", "name", "year", "phase", "room"]


class PupilSerializer(serializers.ModelSerializer):
    forename = serializers.CharField(read_only=True, help_text="Preferred forename, else legal")
    surname = serializers.CharField(read_only=True, help_text="Preferred surname, else legal")
    year = serializers.IntegerField(read_only=True, help_text=YEAR_HELP)

    class Meta:
        model = Pupil
        fields = [
            "id",
            "school",
            "upn",
            "forename",
            "surname",
            "legal_forename",
            "legal_surname",
            "date_of_birth",
            "sex",
            "year",
            "group",
        ]


# --- marks -----------------------------------------------------------------------------------


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


# --- registers -------------------------------------------------------------------------------


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


# --- statistics ------------------------------------------------------------------------------


class DateRangeSerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="First day (inclusive)")
    date_to = serializers.DateField(help_text="Last day (inclusive)")

    def validate(self, attrs):
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": "must be on or after date_from."})
        return attrs


class CohortQuerySerializer(DateRangeSerializer):
    school = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    group = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    year = serializers.IntegerField(required=False, min_value=-1, max_value=14)


class FiguresSerializer(serializers.Serializer):
    possible = serializers.IntegerField()
    present = serializers.IntegerField()
    approved_activity = serializers.IntegerField()
    authorised = serializers.IntegerField()
    unauthorised = serializers.IntegerField()
    attended = serializers.IntegerField()
    absent = serializers.IntegerField()
    late_before_close = serializers.IntegerField(help_text="L")
    late_after_close = serializers.IntegerField(help_text="U")
    minutes_late = serializers.IntegerField()
    attendance_percent = serializers.FloatField(allow_null=True)
    absence_percent = serializers.FloatField(allow_null=True)
    authorised_percent = serializers.FloatField(allow_null=True)
    unauthorised_percent = serializers.FloatField(allow_null=True)
    persistent = serializers.BooleanField(help_text="Absent for 10 % or more of possible sessions")
    severe = serializers.BooleanField(help_text="Absent for 50 % or more of possible sessions")
    by_code = serializers.DictField(child=serializers.IntegerField())


class PupilStatisticsSerializer(serializers.Serializer):
    pupil = serializers.IntegerField()
    upn = serializers.CharField()
    name = serializers.CharField()
    group = serializers.IntegerField(allow_null=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    figures = FiguresSerializer()


class CohortStatisticsSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    group = serializers.IntegerField(allow_null=True)
    year = serializers.IntegerField(allow_null=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    suppressed = serializers.BooleanField(
        help_text="True when the cohort has fewer than 5 pupils and the reader sees aggregates only"
    )
    pupils = serializers.IntegerField(allow_null=True)
    persistent_absentees = serializers.IntegerField(allow_null=True)
    severe_absentees = serializers.IntegerField(allow_null=True)
    persistent_absence_percent = serializers.FloatField(allow_null=True)
    figures = FiguresSerializer(allow_null=True)


# --- kiosk -----------------------------------------------------------------------------------


class LateSignInSerializer(serializers.Serializer):
    upn = serializers.CharField(max_length=13, min_length=13, help_text="The pupil's Unique Pupil Number")
    session = serializers.ChoiceField(
        choices=SESSION_CHOICES, required=False, help_text="Default: the session under way at the school now"
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class LateSignInResultSerializer(serializers.Serializer):
    late = serializers.BooleanField(help_text="False when the pupil arrived before the late time (present)")
    mark = MarkSerializer()
