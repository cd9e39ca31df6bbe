from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdmin

from .models import ExportLog, LocalBenchmark, NationalBenchmark, PreviousSchoolAttendance


@admin.register(NationalBenchmark)
class NationalBenchmarkAdmin(SimpleHistoryAdmin):
    list_display = [
        "academic_year",
        "phase",
        "overall_absence",
        "authorised_absence",
        "unauthorised_absence",
        "persistent_absence",
        "severe_absence",
    ]
    list_filter = ["phase"]


@admin.register(LocalBenchmark)
class LocalBenchmarkAdmin(SimpleHistoryAdmin):
    list_display = ["school", "label", "academic_year", "phase", "overall_absence", "persistent_absence"]


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    """The audit of exports: read-only."""

    list_display = ["created_at", "user_name", "position", "school", "kind", "description", "pupils"]
    list_filter = ["kind", "school"]


@admin.register(PreviousSchoolAttendance)
class PreviousSchoolAttendanceAdmin(SimpleHistoryAdmin):
    list_display = ["pupil", "source_name", "year", "sessions_possible", "sessions_attended"]
    readonly_fields = ["imported_at", "imported_by"]
