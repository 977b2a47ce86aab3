"""The layer registry: each layer of the province is declared once, here, by its app's layers.py.

pygeoapi's configuration, the web map's layer list and the read/edit permission table are all
generated from it; tests fail when anything drifts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from django.contrib.gis.db import models as gis_models
from django.db import models

# Roles are Django groups with these names; a department officer's group is "officer:<dept>".
ROLE_ADMIN = "admin"
ROLE_MANAGER = "manager"
ROLE_IOC = "ioc_operator"
ROLE_UTILITY = "utility"


def officer(department: str) -> str:
    return f"officer:{department}"


@dataclass(frozen=True)
class LayerSpec:
    """One published layer: its model plus what the platform needs to publish it."""

    id: str
    model: type[models.Model]
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    public: bool
    edit_roles: tuple[str, ...]
    read_roles: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    color: str = "#3366cc"
    # The map loads a layer's features only from this zoom on (big layers stay light).
    min_zoom: int = 0
    # Big polygon layers reach the map as vector tiles (/tiles/), the others as OGC API features.
    tiled: bool = False
    # A code-list column whose list has colours: the map fills features with them.
    color_by: str = ""
    geom_field: str = "geom"
    # Features belong to an organisation (column `owner_field`); editors whose right to edit comes
    # only from `owner_scoped_roles` edit only their own organisation's features.
    owner_field: str = ""
    owner_scoped_roles: tuple[str, ...] = ()
    # Other names officers' files use for a column (matched ignoring case and diacritics).
    field_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Code-list columns: column name -> code-list model, so clients can show names with codes.
    code_lists: dict[str, type[models.Model]] = field(default_factory=dict)
    # Features changed only through a workflow (its services module writes through layers.writes in
    # the actor's name after checking the step); raw edits are then for administrators only.
    workflow: str = ""

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def id_field(self) -> str:
        return self.model._meta.pk.column

    @property
    def geometry_field(self) -> gis_models.GeometryField:
        return self.model._meta.get_field(self.geom_field)

    @property
    def geometry_type(self) -> str:
        return self.geometry_field.geom_class.__name__  # "MultiPolygon", "Point", "MultiLineString"

    @property
    def srid(self) -> int:
        return self.geometry_field.srid

    @property
    def max_vertices(self) -> int:
        """The most vertices one feature may have (settings.GEO_MAX_VERTICES, per layer)."""
        from django.conf import settings

        return settings.GEO_MAX_VERTICES.get(self.id, settings.GEO_MAX_VERTICES["default"])

    def readable_by(self, roles: Iterable[str]) -> bool:
        roles = set(roles)
        return self.public or ROLE_ADMIN in roles or bool(roles & set(self.read_roles))

    def editable_by(self, roles: Iterable[str]) -> bool:
        roles = set(roles)
        return ROLE_ADMIN in roles or bool(roles & set(self.edit_roles))


class RegistryLocked(RuntimeError):
    pass


_layers: dict[str, LayerSpec] = {}
_locked = False


def register(spec: LayerSpec) -> LayerSpec:
    if _locked:
        raise RegistryLocked(f"layer {spec.id!r} registered after start-up")
    if spec.id in _layers:
        raise ValueError(f"layer {spec.id!r} registered twice")
    if not isinstance(spec.model._meta.get_field(spec.geom_field), gis_models.GeometryField):
        raise ValueError(f"layer {spec.id!r}: {spec.geom_field} is not a geometry field")
    if (spec.id_field, spec.geometry_field.column) != ("id", "geom"):
        raise ValueError(f"layer {spec.id!r}: the change log (layers/changelog.py) needs columns id and geom")
    _layers[spec.id] = spec
    return spec


def lock() -> None:
    global _locked
    _locked = True


def all_layers() -> list[LayerSpec]:
    """Layers in declaration order (the order of INSTALLED_APPS, then of each layers.py)."""
    return list(_layers.values())


def get(layer_id: str) -> LayerSpec:
    return _layers[layer_id]


def readable_layers(roles: Iterable[str]) -> list[LayerSpec]:
    roles = set(roles)
    return [spec for spec in _layers.values() if spec.readable_by(roles)]


def roles_of(user) -> set[str]:
    """The roles of a Django user (its group names; superusers are administrators) or of a bearer
    token (its roles claim, see accounts.tokens)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if hasattr(user, "token_roles"):
        return set(user.token_roles)
    roles = set(user.groups.values_list("name", flat=True))
    if user.is_superuser:
        roles.add(ROLE_ADMIN)
    return roles
