"""The province web map, built with folium (Leaflet) and served with vendored assets only."""
from __future__ import annotations

import json

import folium
from branca.element import JavascriptLink
from django.templatetags.static import static
from folium.elements import JSCSSMixin
from folium.map import Layer
from jinja2 import Template

from layers.geometry import PROVINCE_BBOX
from layers.registry import LayerSpec


class OfflineMap(folium.Map):
    """folium.Map loading Leaflet from our static files instead of CDNs (and nothing else)."""

    default_js = [("leaflet", "vendor/leaflet/leaflet.js")]
    default_css = [("leaflet_css", "vendor/leaflet/leaflet.css")]

    def render(self, **kwargs):
        self.default_js = [(name, static(path)) for name, path in type(self).default_js]
        self.default_css = [(name, static(path)) for name, path in type(self).default_css]
        super().render(**kwargs)


class OgcApiLayer(JSCSSMixin, Layer):
    """An overlay drawing an OGC API Features collection of the platform (see ogc-layer.js)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.ogcFeatureLayer({{ this.items_url|tojson }}, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, spec: LayerSpec, *, title: str, labels: dict, code_lists: dict, show: bool):
        super().__init__(name=title, overlay=True, control=True, show=show)
        self._name = "OgcApiLayer"
        self.items_url = f"/ogcapi/collections/{spec.id}/items"
        self.options = {"minZoom": spec.min_zoom, "color": spec.color, "title": title,
                        "labels": labels, "codeLists": code_lists, "collection": spec.id}

    def render(self, **kwargs):
        self.get_root().header.add_child(JavascriptLink(static("webmap/ogc-layer.js")), name="ogc_layer")
        super().render(**kwargs)


def _feature_collection(rows: list[dict], properties: tuple[str, ...]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(row["geojson"]),
         "properties": {k: row[k] for k in properties}} for row in rows]}


def province_map(*, layers: list[tuple[LayerSpec, str, dict, dict]], boundaries: list[dict],
                 roads: list[dict], texts: dict, basemap_url: str = "", basemap_attribution: str = "") -> OfflineMap:
    """The map: a base drawn from the platform's own boundaries and roads (or a configured tile
    URL on the province network), one switchable overlay per layer: (spec, title, labels, code lists)."""
    minx, miny, maxx, maxy = PROVINCE_BBOX
    fmap = OfflineMap(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=9, tiles=None,
                      control_scale=True, min_zoom=7, max_zoom=19)
    if basemap_url:
        folium.TileLayer(basemap_url, attr=basemap_attribution, name=texts["external_base"], max_zoom=19).add_to(fmap)
    base = folium.FeatureGroup(name=texts["base"], overlay=not basemap_url, control=not basemap_url)
    folium.GeoJson(
        _feature_collection([b for b in boundaries if b["level_id"] != "province"], ("gso_code", "name", "level_id")),
        name="boundaries",
        style_function=lambda f: {
            "color": "#555" if f["properties"]["level_id"] == "district" else "#999",
            "weight": 2 if f["properties"]["level_id"] == "district" else 0.6,
            "fillColor": "#f7f4ea", "fillOpacity": 0.5 if f["properties"]["level_id"] == "district" else 0,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "gso_code"], labels=False),
        highlight_function=None,
        smooth_factor=1,
    ).add_to(base)
    folium.GeoJson(
        _feature_collection(roads, ("name", "road_class_id")),
        name="roads",
        style_function=lambda f: {"color": "#e67e22" if f["properties"]["road_class_id"] == "national" else "#f0b27a",
                                  "weight": 3 if f["properties"]["road_class_id"] == "national" else 2},
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(base)
    base.add_to(fmap)
    for spec, title, labels, code_lists in layers:
        OgcApiLayer(spec, title=title, labels=labels, code_lists=code_lists, show=spec.min_zoom < 10).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap
