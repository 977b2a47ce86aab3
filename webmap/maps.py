"""The province web map, built with folium (Leaflet) and served with vendored assets only."""
from __future__ import annotations

import json
from dataclasses import dataclass

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


@dataclass
class Overlay:
    """A layer as the map shows it: titles, field labels and code-list names in the page's language."""

    spec: LayerSpec
    title: str
    labels: dict[str, str]
    code_lists: dict[str, dict[str, str]]
    colors: dict[str, str]


PANEL_LAYER = "parcels"


class PlatformLayer(JSCSSMixin, Layer):
    """An overlay reading one layer of the platform: vector tiles from /tiles/ for tiled layers,
    OGC API features by bounding box otherwise (see static/webmap/layers.js)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.factory }}({{ this.url|tojson }}, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, overlay: Overlay, *, show: bool):
        super().__init__(name=overlay.title, overlay=True, control=True, show=show)
        self._name = "PlatformLayer"
        spec = overlay.spec
        self.tiled = spec.tiled
        self.factory = "L.platformTileLayer" if spec.tiled else "L.ogcFeatureLayer"
        self.url = f"/tiles/{spec.id}/{{z}}/{{x}}/{{y}}.pbf" if spec.tiled else f"/ogcapi/collections/{spec.id}/items"
        self.options = {"minZoom": spec.min_zoom, "color": spec.color, "title": overlay.title,
                        "labels": overlay.labels, "codeLists": overlay.code_lists, "collection": spec.id,
                        "colorBy": spec.color_by, "colors": overlay.colors,
                        # Parcels answer clicks with the look-up panel (static/webmap/lookup.js), not a popup.
                        "popups": spec.id != PANEL_LAYER}

    def render(self, **kwargs):
        header = self.get_root().header
        if self.tiled:
            header.add_child(JavascriptLink(static("vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js")),
                             name="vectorgrid")
        header.add_child(JavascriptLink(static("webmap/layers.js")), name="platform_layers")
        super().render(**kwargs)


def _feature_collection(rows: list[dict], properties: tuple[str, ...]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(row["geojson"]),
         "properties": {k: row[k] for k in properties}} for row in rows]}


def province_map(*, overlays: list[Overlay], boundaries: list[dict],
                 roads: list[dict], texts: dict, basemap_url: str = "", basemap_attribution: str = "") -> OfflineMap:
    """The map: a base drawn from the platform's own boundaries and roads (or a configured tile
    URL on the province network), one switchable overlay per layer."""
    minx, miny, maxx, maxy = PROVINCE_BBOX
    fmap = OfflineMap(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=9, tiles=None,
                      control_scale=True, min_zoom=7, max_zoom=19)
    if basemap_url:
        folium.TileLayer(basemap_url, attr=basemap_attribution, name=texts["external_base"], max_zoom=19).add_to(fmap)
    # The base sits under every overlay (tiles included) and lets clicks through to them.
    folium.map.CustomPane("base", z_index=150, pointer_events=False).add_to(fmap)
    base = folium.FeatureGroup(name=texts["base"], overlay=not basemap_url, control=not basemap_url)
    folium.GeoJson(
        _feature_collection([b for b in boundaries if b["level_id"] != "province"], ("gso_code", "name", "level_id")),
        name="boundaries",
        style_function=lambda f: {
            "color": "#555" if f["properties"]["level_id"] == "district" else "#999",
            "weight": 2 if f["properties"]["level_id"] == "district" else 0.6,
            "fillColor": "#f7f4ea", "fillOpacity": 0.5 if f["properties"]["level_id"] == "district" else 0,
        },
        smooth_factor=1,
        pane="base",
        interactive=False,
    ).add_to(base)
    folium.GeoJson(
        _feature_collection(roads, ("name", "road_class_id")),
        name="roads",
        style_function=lambda f: {"color": "#e67e22" if f["properties"]["road_class_id"] == "national" else "#f0b27a",
                                  "weight": 3 if f["properties"]["road_class_id"] == "national" else 2},
        pane="base",
        interactive=False,
    ).add_to(base)
    base.add_to(fmap)
    for overlay in overlays:
        PlatformLayer(overlay, show=overlay.spec.min_zoom < 10).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap
