"""Who may write and what may be written: the editor's rights (the edit role, the `write` scope of
tokens, owner scoping: a utility edits only the assets it owns) and the checks of one feature's
values (the same field conversion, code lists and geometry checks as file imports). The writes
themselves go through layers/writes.py, the one write service."""
from __future__ import annotations

import json
from dataclasses import dataclass

import shapely
from pyproj import CRS

from .fields import RowConverter, match_fields, missing_required, target_fields
from .geometry_checks import GeometryChecker
from .errors import ImportRejected

from . import registry
from .registry import LayerSpec


class EditRefused(Exception):
    """An edit the platform refuses: HTTP status, OGC exception code, message for the client."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class Editor:
    """Who edits: roles, token scopes (None for a signed-in browser session), organisation, and the
    name the change log records."""

    roles: frozenset[str]
    scopes: frozenset[str] | None
    organisation: str | None
    name: str = ""

    @classmethod
    def of(cls, user) -> "Editor":
        scopes = getattr(user, "scopes", None)
        organisation = getattr(user, "organisation", None)
        if organisation is None and hasattr(user, "profile"):
            organisation = user.profile.organisation_id
        name = user.get_username() if getattr(user, "is_authenticated", False) else ""
        if getattr(user, "client_id", None):
            name = f"{name} ({user.client_id})"
        return cls(frozenset(registry.roles_of(user)), frozenset(scopes) if scopes is not None else None, organisation,
                   name)

    @classmethod
    def system(cls, name: str) -> "Editor":
        """The platform itself (a command run on the server, the demo seed): an administrator."""
        return cls(frozenset({registry.ROLE_ADMIN}), None, None, name)

    def owner_bound(self, spec: LayerSpec) -> bool:
        """True when only owner-scoped roles let this editor edit the layer (e.g. a utility)."""
        return bool(spec.owner_field) and not spec.editable_by(self.roles - set(spec.owner_scoped_roles))


def check_may_edit(spec: LayerSpec, editor: Editor) -> None:
    if not spec.editable_by(editor.roles):
        raise EditRefused(403, "Forbidden", "Bạn không được sửa lớp này. / You may not edit this layer.")
    if editor.scopes is not None and "write" not in editor.scopes:
        raise EditRefused(403, "InsufficientScope", "Mã truy cập thiếu quyền 'write'. / The token lacks the write scope.")
    if editor.owner_bound(spec) and not editor.organisation:
        raise EditRefused(403, "Forbidden", "Tài khoản không thuộc đơn vị nào. / No organisation for this account.")


def values_of(spec: LayerSpec, feature: dict, *, partial: bool) -> tuple[dict, str | None]:
    """Column values and hex EWKB (EPSG:4326) of a GeoJSON feature, checked like an import row."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise EditRefused(400, "InvalidParameterValue", "Cần một GeoJSON Feature. / A GeoJSON Feature is required.")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise EditRefused(400, "InvalidParameterValue", "properties phải là một đối tượng. / properties must be an object.")
    known = {t.column for t in target_fields(spec)}
    unknown = sorted(set(properties) - known - {spec.id_field})
    if unknown:
        raise EditRefused(400, "InvalidParameterValue", f"Cột không có trong lớp: {', '.join(unknown)}. / Unknown properties.")
    try:
        mapping = match_fields(list(properties), spec, {c: c for c in properties if c in known}, require=False)
    except ImportRejected as error:
        raise EditRefused(400, "InvalidParameterValue", str(error))
    missing = [] if partial else missing_required(spec, mapping)
    if missing:
        names = ", ".join(t.column for t in missing)
        raise EditRefused(400, "InvalidParameterValue", f"Thiếu thuộc tính bắt buộc: {names}. / Required properties "
                                                        f"missing: {names}.")
    converter = RowConverter(spec, mapping)
    values, problems = converter.convert(properties)
    if partial:
        values = {c: v for c, v in values.items() if c in mapping}
    ewkb = None
    if feature.get("geometry") is not None or not partial:
        try:
            wkb = shapely.to_wkb(shapely.from_geojson(json.dumps(feature.get("geometry"))))
        except (shapely.errors.ShapelyError, TypeError, ValueError):
            wkb = b"invalid"
        checked = GeometryChecker(CRS.from_epsg(4326), spec.geometry_type, max_vertices=spec.max_vertices).check([wkb])
        if checked.reasons[0]:
            problems.insert(0, checked.reasons[0])
        ewkb = checked.ewkb_hex[0]
    if problems:
        raise EditRefused(400, "InvalidParameterValue", "; ".join(problems))
    return values, ewkb


def check_owner(spec: LayerSpec, editor: Editor, *, existing=None, values: dict | None = None) -> None:
    if not editor.owner_bound(spec):
        return
    column = spec.model._meta.get_field(spec.owner_field).column
    if existing is not None and getattr(existing, f"{spec.owner_field}_id") != editor.organisation:
        raise EditRefused(403, "Forbidden", "Tài sản của đơn vị khác. / This asset belongs to another organisation.")
    if values is not None and values.get(column, editor.organisation) != editor.organisation:
        raise EditRefused(403, "Forbidden", "Chỉ ghi tài sản của đơn vị mình. / You may only write your own assets.")
    if values is not None:
        values[column] = editor.organisation


