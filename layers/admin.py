"""The admin: code lists (every concrete CodeListEntry model, so a new list appears without extra
code), the platform's logs (read-only), and every layer of the registry, whose features officers
list, search and open by the same rules as everywhere else:

- who sees a layer and who edits it come from its spec (`readable_by`, `editable_by`), not from
  Django's per-model permissions: internal layers stay invisible to users without the role;
- every write goes through layers.writes (the one write service, the path the OGC API uses), so the same validation,
  code lists, geometry checks and owner scoping apply;
- geometries are GeoJSON text (EPSG:4326): the map widget of django.contrib.gis loads OpenLayers
  from the internet; each feature links to its OGC API page, which draws it on the province map;
- a feature's page lists its versions from the change log (layers.history) and restores an earlier
  one (layers.writes.feature_revert, after a confirmation); its form carries the version it was
  opened at, so saving over someone else's newer edit is refused instead of overwriting it.
"""
from __future__ import annotations

import datetime
import decimal
import json

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import unquote
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.module_loading import autodiscover_modules

from . import editing, history, registry, writes
from .formats import datetime_vi
from .models import CodeListEntry
from .text import fold
from .text import folded as folded_column


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


# -- who may enter the admin --------------------------------------------------------------------

def roles(request) -> set[str]:
    """The caller's roles, read once per request (the admin asks for each layer on every page)."""
    if not hasattr(request, "_admin_roles"):
        request._admin_roles = registry.roles_of(request.user) if request.user.is_active else set()
    return request._admin_roles


def editor(request) -> editing.Editor:
    if not hasattr(request, "_admin_editor"):
        request._admin_editor = editing.Editor.of(request.user)
    return request._admin_editor


def may_use_admin(user, user_roles: set[str] | None = None) -> bool:
    """Staff, and officers holding a role: inside, each sees the layers its roles allow."""
    user_roles = registry.roles_of(user) if user_roles is None else user_roles
    return user.is_active and (user.is_staff or bool(user_roles))


class SignInForm(AdminAuthenticationForm):
    """The admin's sign-in admits officers with a role, not only staff."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)
        if not may_use_admin(user):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})


# Django's default site admits staff only (AdminSite.has_permission); officers are not staff.
admin.site.has_permission = lambda request: may_use_admin(request.user, roles(request))
admin.site.site_header = admin.site.site_title = "Quản trị dữ liệu tỉnh Bình Phước"
admin.site.login_form = SignInForm


# -- layer features ------------------------------------------------------------------------------

def _property(field: models.Field, value):
    """A form value as the GeoJSON property layers.editing converts (a code for a code list)."""
    if isinstance(value, models.Model):
        return getattr(value, field.target_field.attname)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


class FeatureForm(forms.ModelForm):
    """A feature's attributes plus its geometry as GeoJSON; saved by layers.writes, which checks it."""

    geometry = forms.CharField(
        label="Hình học (GeoJSON, EPSG:4326) / Geometry", required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80, "spellcheck": "false"}),
        help_text="Để trống khi không đổi hình học. / Leave empty to keep the geometry.")
    # The feature's version when the page was opened: saving is refused if it has changed since.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    spec: registry.LayerSpec
    editor: editing.Editor

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["geometry"].required = True
            self.fields["geometry"].help_text = ""
        else:
            self.fields["version"].initial = history.current_version(self.spec, self.instance.pk)

    def clean_geometry(self):
        text = self.cleaned_data["geometry"].strip()
        if not text:
            return None
        try:
            geometry = json.loads(text)
        except ValueError:
            raise ValidationError("Không phải GeoJSON. / Not GeoJSON.")
        if not isinstance(geometry, dict):
            raise ValidationError("Cần một hình học GeoJSON. / A GeoJSON geometry is required.")
        return geometry

    def _post_clean(self):
        # The one write path: layers.writes validates (code lists, geometry, owner) and saves. The
        # model's own validation is not run a second time, and nothing is saved when it refuses.
        if self.errors:
            return
        properties = {}
        for name, value in self.cleaned_data.items():
            if name not in ("geometry", "version"):
                field = self.instance._meta.get_field(name)
                properties[field.column] = _property(field, value)
        feature = {"type": "Feature", "properties": properties, "geometry": self.cleaned_data.get("geometry")}
        opened = self.cleaned_data.get("version")
        try:
            if self.instance.pk is None:
                feature_id = writes.feature_create(spec=self.spec, editor=self.editor, feature=feature,
                                                    source=writes.ADMIN).feature_id
            else:
                feature_id = self.instance.pk
                writes.feature_replace(spec=self.spec, editor=self.editor, source=writes.ADMIN,
                                       feature_id=str(feature_id), feature=feature, partial=True,
                                       expected=None if opened is None else {opened})
        except writes.PreconditionFailed as stale:
            self.add_error(None, stale_message(opened, stale.current))
            return
        except editing.EditRefused as refused:
            self.add_error(None, str(refused))
            return
        self.instance = self.spec.model.objects.get(pk=feature_id)

    def save(self, commit=True):
        self.save_m2m = lambda: None  # layer models have no many-to-many columns
        return self.instance  # saved by layers.writes in _post_clean


def stale_message(opened: int | None, current: int) -> str:
    return (f"Đối tượng đã bị người khác sửa sau khi bạn mở trang này (bạn mở phiên bản {opened}, nay là phiên bản "
            f"{current}); thay đổi của bạn chưa được lưu. Hãy tải lại trang để xem bản mới rồi sửa lại. / The feature "
            f"was changed by someone else since you opened it (you opened version {opened}, it is now version "
            f"{current}); your changes were not saved. Reload the page and edit it again.")


# -- a feature's versions (the change log) -------------------------------------------------------------

OPERATIONS = {"insert": "Thêm / Created", "update": "Sửa / Updated", "delete": "Xóa / Deleted"}
SOURCES = {writes.API: "API", writes.ADMIN: "Trang quản trị / Admin", writes.IMPORT: "Nhập tệp / Import",
           writes.SEED: "Dữ liệu mẫu / Demo seed", writes.REVERT: "Khôi phục phiên bản / Restore",
           writes.UNDO: "Hoàn tác lần nhập / Undone import", writes.PROCESS: "Xử lý / Process",
           "sql": "Ghi trực tiếp vào CSDL / Direct SQL"}
VERSIONS_SHOWN = 100


def feature_versions(spec: registry.LayerSpec, feature_id: int, *, with_actor: bool) -> list[dict]:
    """The feature's versions, newest first (at most VERSIONS_SHOWN, read by layers.history): version,
    time (dd/mm/yyyy HH:MM), operation and source in words, who (only when `with_actor`), import
    record, and whether it can be restored (an earlier version that is not a deletion)."""
    found, more = history.versions(spec, feature_id, limit=VERSIONS_SHOWN, newest_first=True)
    logged = [v for v in found if v.at is not None]  # (not the version 1 history gives a feature the log never saw)
    current = logged[0].version if logged and logged[0].op != "delete" else None
    versions = [{"version": v.version, "when": datetime_vi(v.at), "op": v.op, "operation": OPERATIONS.get(v.op, v.op),
                 "source": SOURCES.get(v.source, v.source), "record_id": v.record_id,
                 "who": (v.actor or "—") if with_actor else "",
                 "current": v.version == current, "restorable": v.op != "delete" and v.version != current}
                for v in logged]
    oldest = logged[-1] if logged else None
    if not more and (oldest is None or (oldest.op != "insert" and oldest.version and oldest.version > 1)):
        # The feature existed before the change log: its first version has no entry of its own.
        versions.append({"version": 1, "when": "", "op": "", "operation": "Có từ trước nhật ký / Before the log",
                         "source": "", "record_id": None, "who": "", "current": oldest is None,
                         "restorable": oldest is not None})
    return versions


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def _version_rows(spec: registry.LayerSpec, obj, state: dict) -> list[dict]:
    """Column by column: the value now and the value of the version to restore (geometry: whether it differs)."""
    geom_column = spec.geometry_field.column
    rows = []
    for field in spec.model._meta.concrete_fields:
        if field.primary_key or isinstance(field, models.GeneratedField):
            continue
        now = getattr(obj, field.attname)
        then = state.get(field.column)
        label = str(field.verbose_name)
        if field.column == geom_column:
            try:
                same = now is not None and then is not None and GEOSGeometry(then).equals_exact(now, 1e-9)
            except (GEOSException, ValueError, TypeError):
                same = False
            rows.append({"label": "Hình học / Geometry", "now": "", "then": "Như hiện tại / Unchanged" if same else
                         "Khác hiện tại / Different", "changed": not same})
            continue
        rows.append({"label": label, "now": _shown(now), "then": _shown(then), "changed": _shown(now) != _shown(then)})
    return rows


class LayerFeatureAdmin(admin.ModelAdmin):
    """The features of one registered layer (subclassed per layer with its `spec`)."""

    spec: registry.LayerSpec
    form = FeatureForm
    list_per_page = 50
    show_full_result_count = False  # one count(*) per page, not two (parcels run into millions)
    readonly_fields = ("on_map",)
    change_form_template = "admin/layers/feature_change_form.html"
    object_history_template = "admin/layers/feature_history.html"

    class Media:
        css = {"all": ("layers/admin.css",)}

    # Permissions: the layer's read and edit rules, for signed-in users only.
    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_authenticated and self.spec.readable_by(roles(request))

    def has_add_permission(self, request):
        return request.user.is_authenticated and self.spec.editable_by(roles(request))

    def has_change_permission(self, request, obj=None):
        if not self.has_add_permission(request):
            return False
        if obj is not None and editor(request).owner_bound(self.spec):  # a utility edits only its own assets
            return getattr(obj, f"{self.spec.owner_field}_id") == editor(request).organisation
        return True

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    # Forms and writes.
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"spec": self.spec, "editor": editor(request)})

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f not in ("geometry", "on_map", "version")]
        return [*fields, "geometry", *(["version", "on_map"] if obj is not None else [])]

    # A feature's versions: on its page, on the admin's "history" page, and restoring one.
    def get_urls(self):
        meta = self.model._meta
        restore = self.admin_site.admin_view(self.restore_view)
        return [path("<path:object_id>/versions/<int:version>/restore/", restore,
                     name=f"{meta.app_label}_{meta.model_name}_restore"), *super().get_urls()]

    def _versions_context(self, request, obj) -> dict:
        if obj is None:
            return {}
        meta = self.model._meta
        may_restore = self.has_change_permission(request, obj)
        versions = feature_versions(self.spec, obj.pk, with_actor=self.spec.editable_by(roles(request)))
        for version in versions:
            version["restorable"] = version["restorable"] and may_restore
            if version["restorable"]:
                version["restore_url"] = reverse(f"admin:{meta.app_label}_{meta.model_name}_restore",
                                                 args=[obj.pk, version["version"]])
        return {"feature_versions": versions, "versions_shown": VERSIONS_SHOWN, "show_who": self.spec.editable_by(
            roles(request))}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:  # opened, or shown again after a refused save
            context.update(self._versions_context(request, obj))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404 if obj is None else PermissionDenied
        return TemplateResponse(request, self.object_history_template, {
            **self.admin_site.each_context(request), "opts": self.model._meta, "object": obj,
            "title": f"Lịch sử phiên bản / Versions: {obj}", "subtitle": None, "module_name": str(
                self.model._meta.verbose_name_plural), **self._versions_context(request, obj)})

    def restore_view(self, request, object_id, version: int):
        """Restore an earlier version: GET shows it beside the feature as it is now and asks to
        confirm; POST (with the version the page showed as current) writes it as a new version."""
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        meta = self.model._meta
        change_url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        current = history.current_version(self.spec, obj.pk)
        if request.method == "POST":
            shown = request.POST.get("current", "")
            expected = {int(shown)} if shown.isascii() and shown.isdigit() else None
            try:
                written = writes.feature_revert(spec=self.spec, editor=editor(request), feature_id=obj.pk,
                                                version=version, expected=expected)
            except writes.PreconditionFailed as stale:
                messages.error(request, stale_message(int(shown), stale.current))
            except editing.EditRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, f"Đã khôi phục phiên bản {version}; đối tượng nay ở phiên bản "
                                          f"{written.version}. / Version {version} restored as version "
                                          f"{written.version}.")
            return HttpResponseRedirect(change_url)
        state = history.state_at_version(self.spec, obj.pk, version) if 0 < version < current else None
        if state is None:
            messages.error(request, f"Không có phiên bản {version} trước phiên bản hiện tại để khôi phục. / No "
                                    f"earlier version {version} to restore.")
            return HttpResponseRedirect(change_url)
        return TemplateResponse(request, "admin/layers/feature_restore.html", {
            **self.admin_site.each_context(request), "opts": meta, "object": obj, "version": version,
            "current": current, "rows": _version_rows(self.spec, obj, state), "change_url": change_url,
            "title": f"Khôi phục phiên bản {version} / Restore version {version}: {obj}", "subtitle": None})

    def save_model(self, request, obj, form, change):
        pass  # FeatureForm saved it through layers.writes

    def delete_model(self, request, obj):
        try:
            writes.feature_delete(spec=self.spec, editor=editor(request), feature_id=str(obj.pk), source=writes.ADMIN)
        except editing.EditRefused as refused:
            raise PermissionDenied(str(refused))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    # What the list and the read-only view show.
    def get_queryset(self, request):
        return super().get_queryset(request).defer(self.spec.geom_field)

    @admin.display(description="Hình học (GeoJSON) / Geometry")
    def geometry(self, obj):
        return getattr(obj, self.spec.geom_field).geojson if obj and obj.pk else ""

    @admin.display(description="Bản đồ / Map")
    def on_map(self, obj):
        if obj is None or obj.pk is None:
            return ""
        return format_html('<a href="/ogcapi/collections/{}/items/{}?f=html">Xem trên bản đồ / Show on the map</a>',
                           self.spec.id, obj.pk)

    def get_search_results(self, request, queryset, search_term):
        """Every word of the search must appear in some text column (with or without diacritics), a
        code list's or a linked unit's name, or equal a number column or the feature id."""
        words = fold(search_term).split()
        if not words:
            return queryset, False
        folded = {f"folded_{i}": folded_column(path) for i, path in enumerate(self.text_paths)}
        queryset = queryset.annotate(**folded)
        for word in words:
            match = Q()
            for alias in folded:
                match |= Q(**{f"{alias}__contains": word})
            if word.isdigit() and len(word) < 19:
                match |= Q(pk=int(word))
                for name in self.number_fields:
                    match |= Q(**{name: int(word)})
            queryset = queryset.filter(match)
        return queryset, False


def _text_paths(model) -> list[str]:
    """Text columns of a layer and the names/codes of what its foreign keys point at."""
    paths = []
    for field in model._meta.concrete_fields:
        if isinstance(field, (models.CharField, models.TextField)):
            paths.append(field.name)
        elif field.is_relation:
            related = {f.name for f in field.related_model._meta.concrete_fields
                       if isinstance(f, (models.CharField, models.TextField))}
            paths += [f"{field.name}__{name}" for name in ("code", "name", "name_vi", "name_en") if name in related]
    return paths


def layer_admin(spec: registry.LayerSpec) -> type[LayerFeatureAdmin]:
    """The admin class of a layer: its columns listed, its code lists as filters, searchable."""
    model = spec.model
    columns = [f for f in model._meta.concrete_fields
               if not f.primary_key and f.name != spec.geom_field and not isinstance(f, models.GeneratedField)]
    shown = [f.name for f in columns][:5]
    return type(f"{model.__name__}Admin", (LayerFeatureAdmin,), {
        "spec": spec,
        "exclude": (spec.geom_field,),  # edited as GeoJSON text (FeatureForm.geometry)
        "list_display": ("__str__", *shown),
        "list_select_related": tuple(name for name in shown if model._meta.get_field(name).is_relation),
        "list_filter": tuple(f.name for f in columns if f.is_relation and issubclass(f.related_model, CodeListEntry)),
        "search_fields": ("__folded__",),  # shows the search box; get_search_results does the matching
        "text_paths": _text_paths(model),
        "number_fields": [f.name for f in columns if isinstance(f, (models.IntegerField, models.BigIntegerField))],
        "raw_id_fields": tuple(f.name for f in columns if f.is_relation and not issubclass(f.related_model, CodeListEntry)
                               and f.related_model._meta.label != "places.AdminUnit"),
    })


# The admin is discovered before the layers app is ready: read every app's layers.py now (the
# layers app's ready() reads them again, from the import cache, and locks the registry).
autodiscover_modules("layers")
for spec in registry.all_layers():
    if not admin.site.is_registered(spec.model):
        admin.site.register(spec.model, layer_admin(spec))
