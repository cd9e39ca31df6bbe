"""The admin for records only their services may change (the register, letters, audit rows)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Seen in the admin, changed only by the code that owns them: nothing is added, changed or
    deleted here. Used by every app's admin for records written elsewhere."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
