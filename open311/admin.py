"""Khóa API Open311 in the admin: a new key is shown once, on the page right after it is made (never
stored, never put in a message cookie); afterwards only its prefix is known."""
from django.contrib import admin
from django.template.response import TemplateResponse

from incidents.models import ApiKey

from . import keys


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "active", "created_at", "created_by")
    list_filter = ("active",)
    search_fields = ("name", "prefix")
    fields = ("name", "active", "prefix", "created_at", "created_by")
    readonly_fields = ("prefix", "created_at", "created_by")

    def save_model(self, request, obj, form, change):
        if not change:
            key, obj.key_hash, obj.prefix = keys.api_key_new()
            obj.created_by = request.user
            request._open311_new_key = key
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        key = getattr(request, "_open311_new_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(request, "open311/key_created.html", {
            **self.admin_site.each_context(request), "title": "Khóa API mới / New API key", "api_key": obj,
            "key": key, "opts": self.model._meta})
        response["Cache-Control"] = "no-store"
        return response
