from django.contrib import admin
from oauth2_provider.admin import ApplicationAdmin as OAuthApplicationAdmin
from oauth2_provider.models import get_application_model

from layers.admin import ReadOnlyAdmin

from .audit import audit_record
from .models import AuditEvent, Profile


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log for administrators: read-only (the database refuses changes anyway)."""

    list_display = ("at", "kind", "actor", "subject", "ip")
    list_filter = ("kind",)
    search_fields = ("actor", "subject", "ip")
    date_hierarchy = "at"


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation")
    list_filter = ("organisation",)
    search_fields = ("user__username",)


class AuditedApplicationAdmin(OAuthApplicationAdmin):
    """Clients created by administrators in the admin are audited like those made by command."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            audit_record(AuditEvent.Kind.CLIENT_CREATED, request=request, subject=obj.name, client_id=obj.client_id,
                         grant=obj.authorization_grant_type, via="admin")


admin.site.unregister(get_application_model())
admin.site.register(get_application_model(), AuditedApplicationAdmin)
