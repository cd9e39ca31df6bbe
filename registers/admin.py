"""Set-up screens for school administrators.

Every model keeps its history (django-simple-history), shown read-only: nothing is reverted
from the admin. Registers and marks are view-only here — they are written only by the
register service, which records the reason, name and position of every change — and
nothing that must be kept for six years (pupils, enrolments, registers, marks) can be
deleted."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdmin

from .models import (
    AcademicYear,
    ApiToken,
    AttendanceCode,
    Closure,
    Contact,
    Enrolment,
    Holiday,
    ImportRun,
    Mark,
    Notification,
    Pupil,
    Register,
    RegisterDeletion,
    RegisterTime,
    RegistrationGroup,
    RetentionRun,
    School,
    SchoolDay,
    Staff,
    SubReason,
    Term,
    Trust,
    YearRollover,
)

admin.site.site_header = "Attendance: school set-up"
admin.site.site_title = "Attendance set-up"
admin.site.index_title = "School set-up"


class HistoryAdmin(SimpleHistoryAdmin):
    """Shows each record's history; a historical version can be looked at, never restored.

    SIMPLE_HISTORY_REVERT_DISABLED hides the revert button, but django-simple-history's
    version page still saves a POSTed form; refuse it here so history is strictly read-only."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("History is read-only: a record cannot be reverted to an earlier version.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


class ViewOnlyAdmin(ReadOnlyAdmin, HistoryAdmin):
    """Records written elsewhere (the register service, the code table, the calendar)."""


class NoDeleteAdmin(HistoryAdmin):
    """Records kept for the retention period: corrected, never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Trust)
class TrustAdmin(HistoryAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(School)
class SchoolAdmin(HistoryAdmin):
    list_display = ["name", "urn", "la_number", "establishment_number", "phase", "trust"]
    list_filter = ["phase", "trust"]
    search_fields = ["name", "urn"]


class RegisterTimeForm(forms.ModelForm):
    class Meta:
        model = RegisterTime
        fields = ["school", "phase", "session", "opens", "late_after", "closes"]

    def clean(self):
        cleaned = super().clean()
        if all(cleaned.get(f) for f in ("school", "phase", "session", "opens", "closes")):
            edited = RegisterTime(**{f: cleaned[f] for f in ("school", "phase", "session", "opens", "closes")})
            others = RegisterTime.objects.filter(school=cleaned["school"]).exclude(
                phase=cleaned["phase"], session=cleaned["session"]
            )
            if problem := RegisterTime.unequal_lengths([*others, edited]):
                raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return cleaned


@admin.register(RegisterTime)
class RegisterTimeAdmin(HistoryAdmin):
    form = RegisterTimeForm
    list_display = ["school", "phase", "session", "opens", "late_after", "closes"]
    list_filter = ["school", "phase", "session"]


@admin.register(AcademicYear)
class AcademicYearAdmin(HistoryAdmin):
    list_display = ["name", "school", "start_date", "end_date"]
    list_filter = ["school"]
    date_hierarchy = "start_date"


@admin.register(Term)
class TermAdmin(HistoryAdmin):
    list_display = ["name", "academic_year", "school", "start_date", "end_date"]
    list_filter = ["school", "academic_year__name"]
    date_hierarchy = "start_date"


@admin.register(Holiday)
class HolidayAdmin(HistoryAdmin):
    list_display = ["name", "school", "start_date", "end_date"]
    list_filter = ["school"]
    date_hierarchy = "start_date"


@admin.register(Closure)
class ClosureAdmin(HistoryAdmin):
    list_display = ["date", "session", "kind", "reason", "school"]
    list_filter = ["school", "kind", "session"]
    search_fields = ["reason"]
    date_hierarchy = "date"


@admin.register(SchoolDay)
class SchoolDayAdmin(ReadOnlyAdmin):
    """Derived from the calendar (terms, holidays, INSET days, bank holidays): view only."""

    list_display = ["date", "school", "term", "week_number", "half_term"]
    list_filter = ["school", "term__name", "half_term"]
    date_hierarchy = "date"


@admin.register(RegistrationGroup)
class RegistrationGroupAdmin(HistoryAdmin):
    list_display = ["name", "year", "phase", "room", "school", "teacher_names"]
    list_filter = ["school", "year", "phase"]
    search_fields = ["name", "room", "teachers__user__last_name"]
    filter_horizontal = ["teachers"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teachers__user")

    @admin.display(description="Teachers")
    def teacher_names(self, obj):
        return ", ".join(t.display_name for t in obj.teachers.all()) or "–"


@admin.register(Staff)
class StaffAdmin(HistoryAdmin):
    list_display = ["display_name", "position", "school", "trust", "username", "email"]
    list_filter = ["position", "school", "trust"]
    search_fields = ["user__first_name", "user__last_name", "user__username", "user__email"]
    list_select_related = ["user", "school", "trust"]
    autocomplete_fields = ["user"]

    @admin.display(description="Username", ordering="user__username")
    def username(self, obj):
        return obj.user.get_username()

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj):
        return obj.user.email


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    can_delete = False

    def has_delete_permission(self, request, obj=None):
        return False


class ContactInline(admin.StackedInline):
    model = Contact
    extra = 0
    fields = [
        ("priority", "title", "forename", "surname", "relationship"),
        ("parental_responsibility", "lives_with_pupil"),
        ("telephone", "other_telephones", "email"),
        ("address", "postcode"),
        "user",
    ]
    raw_id_fields = ["user"]


@admin.register(Pupil)
class PupilAdmin(NoDeleteAdmin):
    list_display = ["legal_surname", "legal_forename", "preferred_forename", "upn", "year", "group", "school"]
    list_display_links = ["legal_surname", "legal_forename"]
    list_filter = ["school", "year", "group", "sen", "fsm", "eal", "looked_after"]
    search_fields = ["legal_surname", "legal_forename", "preferred_forename", "preferred_surname", "upn"]
    list_select_related = ["group", "school"]
    inlines = [EnrolmentInline, ContactInline]
    fieldsets = [
        (None, {"fields": ["school", "upn", "year", "group"]}),
        (
            "Name",
            {"fields": [("legal_forename", "legal_surname"), ("preferred_forename", "preferred_surname"), "pronoun"]},
        ),
        ("About the pupil", {"fields": [("date_of_birth", "sex"), "ethnicity", "medical_note"]}),
        (
            "Characteristics",
            {
                "fields": [
                    ("fsm", "eal"),
                    "sen",
                    ("looked_after", "previously_looked_after"),
                    ("child_in_need", "young_carer"),
                ]
            },
        ),
    ]


@admin.register(Enrolment)
class EnrolmentAdmin(NoDeleteAdmin):
    list_display = ["pupil", "admission_date", "leaving_date", "registration"]
    list_filter = ["registration", "pupil__school"]
    search_fields = ["pupil__legal_surname", "pupil__legal_forename", "pupil__upn"]
    list_select_related = ["pupil"]
    raw_id_fields = ["pupil"]
    date_hierarchy = "admission_date"


@admin.register(Contact)
class ContactAdmin(HistoryAdmin):
    list_display = ["__str__", "pupil", "priority", "telephone", "email", "parental_responsibility"]
    list_filter = ["pupil__school", "parental_responsibility", "relationship"]
    search_fields = ["surname", "forename", "email", "telephone", "pupil__legal_surname", "pupil__upn"]
    list_select_related = ["pupil"]
    raw_id_fields = ["pupil", "user"]


@admin.register(SubReason)
class SubReasonAdmin(HistoryAdmin):
    list_display = ["code", "label", "school"]
    list_filter = ["school", "code"]
    search_fields = ["label"]


@admin.register(AttendanceCode)
class AttendanceCodeAdmin(ReadOnlyAdmin):
    """The national code set, loaded from the reference table: read-only."""

    list_display = [
        "code",
        "meaning",
        "category",
        "possible",
        "penalty_threshold",
        "deletion_ground",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["category", "possible", "penalty_threshold"]
    search_fields = ["code", "meaning"]


@admin.register(Register)
class RegisterAdmin(ViewOnlyAdmin):
    list_display = ["date", "session", "group", "state", "taken_by", "taken_at", "taken_on_behalf_of"]
    list_filter = ["school", "state", "session", "group"]
    search_fields = ["group__name"]
    list_select_related = ["group", "taken_by", "taken_on_behalf_of__user"]
    date_hierarchy = "date"


@admin.register(Mark)
class MarkAdmin(ViewOnlyAdmin):
    list_display = [
        "date",
        "session",
        "pupil",
        "code",
        "minutes_late",
        "version",
        "recorded_by_name",
        "recorded_by_position",
        "recorded_at",
        "source",
    ]
    list_filter = ["school", "session", "source", "code__category", "code__code"]
    search_fields = ["pupil__legal_surname", "pupil__legal_forename", "pupil__upn", "recorded_by_name", "reason"]
    list_select_related = ["pupil", "code"]
    raw_id_fields = ["pupil", "register", "recorded_by"]
    date_hierarchy = "date"
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Reminders sent to teachers (missing registers): a record of what was sent, view only."""

    list_display = ["created_at", "recipient", "message", "sent_by", "read_at"]
    list_filter = ["read_at"]
    search_fields = ["message", "recipient__username", "recipient__last_name"]
    list_select_related = ["recipient", "sent_by"]
    date_hierarchy = "created_at"


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Integration tokens are issued with `manage.py create_api_token` (the raw token is shown
    once, there); here they can be seen and revoked, never edited or deleted."""

    list_display = ["name", "school", "scope", "key_prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["school", "scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "key_prefix"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_revoke_permission(self, request):
        return request.user.is_superuser

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()
        self.message_user(request, f"Revoked {queryset.count()} token(s).")


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """Every file imported from the MIS (Imports page or command line): who, when, which file
    (name and SHA-256), what it did. Written only by the import services; view only."""

    list_display = ["uploaded_at", "school", "kind", "file_name", "status", "uploaded_by_name", "via"]
    list_filter = ["school", "kind", "status", "via"]
    search_fields = ["file_name", "sha256", "uploaded_by_name"]
    list_select_related = ["school"]
    date_hierarchy = "uploaded_at"
    exclude = ["file"]


# --- the roll and retention (registers/leaving.py, rollover.py, retention.py) ----------------


@admin.register(RegisterDeletion)
class RegisterDeletionAdmin(ViewOnlyAdmin):
    list_display = ["pupil", "ground", "deleted_on", "notify_la", "recorded_by_name", "recorded_at"]
    list_filter = ["ground", "notify_la"]


@admin.register(YearRollover)
class YearRolloverAdmin(ViewOnlyAdmin):
    list_display = ["school", "from_year", "to_year", "leaving_date", "applied_by_name", "applied_at"]


@admin.register(RetentionRun)
class RetentionRunAdmin(ViewOnlyAdmin):
    """The report of each retention run: what went, per record type."""

    list_display = ["ran_at", "today", "counts"]
