"""Letters in the admin: letterheads to set a school up; templates, batches and letters to look
at. Templates change through the letters pages (which check them in the sandbox and keep each
version); letters and batches are records and cannot be changed here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdmin

from .models import Batch, Letter, Letterhead, LetterTemplate, LetterTemplateVersion


@admin.register(Letterhead)
class LetterheadAdmin(SimpleHistoryAdmin):
    list_display = ["school", "signatory_name", "signatory_position", "font"]
    exclude = ["logo", "logo_content_type"]  # a logo is checked by the letterhead page


class VersionInline(admin.TabularInline):
    model = LetterTemplateVersion
    fields = ["version", "subject", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LetterTemplate)
class LetterTemplateAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ["title", "key", "school", "kind", "version", "active", "updated_at"]
    list_filter = ["kind", "active"]
    inlines = [VersionInline]


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["template", "school", "status", "total", "done", "failed", "delivery", "created_at"]
    list_filter = ["status", "delivery"]


@admin.register(Letter)
class LetterAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ["subject", "pupil", "school", "template_version", "delivery", "produced_at", "sent_at"]
    list_filter = ["delivery"]
    exclude = ["html", "data"]
