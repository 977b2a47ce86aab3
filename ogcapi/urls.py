"""OGC API routes under /ogcapi/. A trailing slash is optional everywhere (GDAL asks without one)."""
from pathlib import Path

import pygeoapi
from django.urls import re_path
from django.views.static import serve

from tiles import ogcapi as tiles_ogcapi

from . import changes, versions, views

ID = r"(?P<collection_id>[A-Za-z0-9_\-]+)"

urlpatterns = [
    re_path(r"^$", views.landing_page, name="ogcapi-landing"),
    re_path(r"^openapi/?$", views.openapi, name="ogcapi-openapi"),
    re_path(r"^conformance/?$", views.conformance, name="ogcapi-conformance"),
    re_path(r"^collections/?$", views.collections, name="ogcapi-collections"),
    re_path(rf"^collections/{ID}/?$", views.collections, name="ogcapi-collection"),
    re_path(rf"^collections/{ID}/schema/?$", views.collection_schema, name="ogcapi-schema"),
    re_path(rf"^collections/{ID}/queryables/?$", views.collection_queryables, name="ogcapi-queryables"),
    re_path(rf"^collections/{ID}/items/?$", views.collection_items, name="ogcapi-items"),
    re_path(rf"^collections/{ID}/items/(?P<item_id>[^/]+)/?$", views.collection_item, name="ogcapi-item"),
    re_path(rf"^collections/{ID}/items/(?P<item_id>[^/]+)/versions/?$", versions.item_versions,
            name="ogcapi-item-versions"),
    re_path(rf"^collections/{ID}/items/(?P<item_id>[^/]+)/versions/(?P<version>[0-9]+)/?$", versions.item_version,
            name="ogcapi-item-version"),
    re_path(rf"^collections/{ID}/items/(?P<item_id>[^/]+)/versions/(?P<version>[0-9]+)/revert/?$",
            versions.item_revert, name="ogcapi-item-revert"),
    re_path(rf"^collections/{ID}/changes/?$", changes.collection_changes, name="ogcapi-changes"),
    re_path(rf"^collections/{ID}/coverage/?$", views.collection_coverage, name="ogcapi-coverage"),
    re_path(rf"^collections/{ID}/tiles/?$", tiles_ogcapi.tilesets, name="ogcapi-tilesets"),
    re_path(rf"^collections/{ID}/tiles/(?P<tms>[A-Za-z0-9]+)/?$", tiles_ogcapi.tileset, name="ogcapi-tileset"),
    re_path(rf"^collections/{ID}/tiles/(?P<tms>[A-Za-z0-9]+)/(?P<z>\d+)/(?P<row>\d+)/(?P<col>\d+)/?$",
            tiles_ogcapi.tile, name="ogcapi-tile"),
    # pygeoapi's landing page links to TileMatrixSets, the standard spells tileMatrixSets: both answer.
    re_path(r"^[tT]ileMatrixSets/?$", tiles_ogcapi.tile_matrix_sets, name="ogcapi-tms-list"),
    re_path(r"^[tT]ileMatrixSets/(?P<tms>[A-Za-z0-9]+)/?$", tiles_ogcapi.tile_matrix_sets, name="ogcapi-tms"),
    # pygeoapi's own stylesheet and logo, used by its HTML pages.
    re_path(r"^static/(?P<path>.+)$", serve, {"document_root": Path(pygeoapi.__file__).parent / "static"}),
]
