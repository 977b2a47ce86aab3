"""Administrators keep the code lists (land-use codes, school levels ...) in the admin: every
concrete CodeListEntry model is registered here, so a new code list appears without extra code."""
from django.apps import apps
from django.contrib import admin

from .models import CodeListEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs the platform keeps (imports, audit): administrators read them, nobody edits them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CodeListAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "name_en", "sort_order")
    search_fields = ("code", "name_vi", "name_en")
    ordering = ("sort_order", "code")


for model in apps.get_models():
    if issubclass(model, CodeListEntry):
        admin.site.register(model, CodeListAdmin)
