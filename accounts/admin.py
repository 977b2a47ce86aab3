from django.contrib import admin

from .models import AuditEvent, Profile


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log for administrators: read-only (the database refuses changes anyway)."""

    list_display = ("at", "kind", "actor", "subject", "ip")
    list_filter = ("kind",)
    search_fields = ("actor", "subject", "ip")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation")
    list_filter = ("organisation",)
    search_fields = ("user__username",)
