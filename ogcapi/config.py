"""pygeoapi's configuration, generated from the layer registry (never edited by hand).

The committed `pygeoapi-config.yml` holds `${...}` placeholders for what differs between machines
(public URL, base map); `load()` fills them in from Django's settings. Layers are served by
ogcapi.provider.LayerProvider through Django's own database connections: the configuration holds
no database connection and no credentials.
"""
from __future__ import annotations

import copy
from pathlib import Path
from string import Template

import yaml
from django.conf import settings

from layers import registry
from layers.geometry import BINH_PHUOC_TM3_SRID, PROVINCE_BBOX

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
OUTPUT_CRS = [CRS84] + [f"http://www.opengis.net/def/crs/EPSG/0/{srid}"
                        for srid in (4326, 3857, BINH_PHUOC_TM3_SRID, 3405)]
PROVIDER = "ogcapi.provider.LayerProvider"  # loaded by pygeoapi by dotted path
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"  # <language>/LC_MESSAGES/messages.mo
HEADER = ("# Generated from the layer registry by `python manage.py generate_pygeoapi_config`.\n"
          "# Do not edit: change the layer's spec in <app>/layers.py and regenerate.\n")


def _lang(vi: str, en: str) -> dict:
    return {"vi": vi, "en": en}


def _resource(spec: registry.LayerSpec) -> dict:
    return {
        "type": "collection",
        "title": _lang(spec.title_vi, spec.title_en),
        "description": _lang(spec.description_vi, spec.description_en),
        "keywords": list(spec.keywords),
        "links": [],
        "extents": {"spatial": {"bbox": list(PROVINCE_BBOX), "crs": CRS84}},
        "providers": [{
            "type": "feature",
            "name": PROVIDER,
            "data": {"layer": spec.id},
            "id_field": spec.id_field,
            "table": spec.table,
            "geom_field": spec.geometry_field.column,
            "crs": OUTPUT_CRS,
            "storage_crs": CRS84,
            # Writes (Part 4) are served by the platform (layers.editing), never by pygeoapi itself;
            # this tells pygeoapi to advertise them in the conformance and OpenAPI documents.
            "editable": bool(spec.edit_roles),
        }],
    }


def generate() -> dict:
    """The full configuration (every registered layer), with placeholders."""
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": 8000},
            "url": "${OGCAPI_URL}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": False,
            "languages": ["vi", "en"],
            "cors": True,
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": 1000, "on_exceed": "throttle"},
            "map": {"url": "${BASEMAP_URL}", "attribution": "${BASEMAP_ATTRIBUTION}"},
            "templates": {"path": "${TEMPLATES_DIR}"},
            "locale_dir": "${LOCALE_DIR}",  # the Vietnamese strings of the HTML pages
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": _lang("Nền tảng dữ liệu không gian tỉnh Bình Phước",
                               "Bình Phước province spatial data platform"),
                "description": _lang("Các lớp dữ liệu không gian của tỉnh theo chuẩn OGC API.",
                                     "The province's spatial layers through OGC API."),
                "keywords": _lang(["GIS", "Bình Phước", "OGC API"], ["GIS", "Bình Phước", "OGC API"]),
                "keywords_type": "theme",
                "terms_of_service": "https://creativecommons.org/licenses/by/4.0/",
                "url": "https://binhphuoc.gov.vn",
            },
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "Ủy ban nhân dân tỉnh Bình Phước", "url": "https://binhphuoc.gov.vn"},
            "contact": {"name": "Sở Thông tin và Truyền thông", "position": "", "address": "",
                        "city": "Đồng Xoài", "stateorprovince": "Bình Phước", "postalcode": "",
                        "country": "Việt Nam", "phone": "", "fax": "", "email": "", "url": "",
                        "hours": "", "instructions": "", "role": "pointOfContact"},
        },
        "resources": {spec.id: _resource(spec) for spec in registry.all_layers()},
    }


def render_yaml(config: dict | None = None) -> str:
    return HEADER + yaml.safe_dump(config or generate(), allow_unicode=True, sort_keys=False, width=110)


def committed_yaml() -> str:
    return Path(settings.PYGEOAPI_CONFIG_FILE).read_text(encoding="utf-8")


def _fill(node, values: dict):
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, str) and "${" in node:
        return Template(node).substitute(values)
    return node


def coverage_resource(title: str, kind_label: str, path: str, bbox: tuple) -> dict:
    """A raster of the catalogue as a pygeoapi coverage collection (rasterio provider, COG file)."""
    return {
        "type": "collection",
        "title": title,
        "description": kind_label,
        "keywords": ["raster", kind_label],
        "links": [],
        "extents": {"spatial": {"bbox": list(bbox), "crs": CRS84}},
        "providers": [{"type": "coverage", "name": "rasterio", "data": path,
                       "format": {"name": "GTiff", "mimetype": "application/x-geotiff"}}],
    }


def load(*, base_url: str, collection_ids: set[str] | None = None, coverages: list[dict] = ()) -> dict:
    """The committed configuration made concrete for this process: `base_url` for links, only
    `collection_ids` when given, plus the raster `coverages` (resources from coverage_resource) of
    the catalogue."""
    values = {
        "OGCAPI_URL": base_url.rstrip("/"),
        "BASEMAP_URL": settings.GEO_BASEMAP_URL, "BASEMAP_ATTRIBUTION": settings.GEO_BASEMAP_ATTRIBUTION,
        "TEMPLATES_DIR": str(TEMPLATES_DIR), "LOCALE_DIR": str(LOCALE_DIR),
    }
    config = _fill(yaml.safe_load(committed_yaml()), values)
    if collection_ids is not None:
        config["resources"] = {k: v for k, v in config["resources"].items() if k in collection_ids}
    for coverage in coverages:
        config["resources"][coverage["id"]] = coverage_resource(**{k: v for k, v in coverage.items() if k != "id"})
    return copy.deepcopy(config)
