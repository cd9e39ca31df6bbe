"""The school's follow-up and leave policy (rows it edits, audited), and read-only records."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdmin

from .models import (
    AbsenceReport,
    AssessmentPeriod,
    ContactAttempt,
    EmailDelivery,
    FollowUpPolicy,
    FollowUpStep,
    LeaveRequest,
)


class FollowUpStepInline(admin.TabularInline):
    model = FollowUpStep
    extra = 1


@admin.register(FollowUpPolicy)
class FollowUpPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["school", "preset", "leave_notice_days", "n_resolve_school_days", "cme_referral_school_days"]
    filter_horizontal = ["leave_deciders"]
    inlines = [FollowUpStepInline]


@admin.register(AssessmentPeriod)
class AssessmentPeriodAdmin(SimpleHistoryAdmin):
    list_display = ["name", "school", "start_date", "end_date"]


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Records of what was said and decided change only through the services."""


@admin.register(AbsenceReport)
class AbsenceReportAdmin(ReadOnlyHistoryAdmin):
    list_display = ["pupil", "start_date", "end_date", "reason", "status", "created_at"]
    list_filter = ["status", "reason"]


@admin.register(LeaveRequest)
class LeaveRequestAdmin(ReadOnlyHistoryAdmin):
    list_display = ["pupil", "start_date", "end_date", "circumstance", "status", "decided_by_name"]
    list_filter = ["status", "circumstance"]


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyHistoryAdmin):
    list_display = ["pupil", "action", "channel", "outcome", "made_by_name", "made_at"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["to", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    readonly_fields = ["to", "subject", "body", "status", "attempts", "last_error", "created_at", "sent_at"]
