"""The admin for records only their services may change (the register, letters, audit rows)."""

from django.contrib import admin

from .models import OutboxMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    """Seen in the admin, changed only by the code that owns them: nothing is added, changed or
    deleted here. Used by every app's admin for records written elsewhere."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """What is waiting for the broker (sent empty) after an outage; `manage.py resend_outbox`."""

    list_display = ("created_at", "task", "args", "sent_at", "done_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), ("done_at", admin.EmptyFieldListFilter), "task")
    date_hierarchy = "created_at"
