"""The province web map, built with folium (Leaflet) and served with vendored assets only."""
from __future__ import annotations

import colorsys
import json
from dataclasses import dataclass

import folium
from branca.element import JavascriptLink
from django.templatetags.static import static
from folium.elements import JSCSSMixin
from folium.map import Layer
from jinja2 import Template
from shapely.geometry import shape
from shapely.ops import polylabel

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
# How far beyond the province the map may be dragged, as a share of its size (Leaflet maxBounds).
OUTSIDE_MARGIN = 0.5


def outline_color(fill: str) -> str:
    """The darker shade of a land-use colour that outlines a zoning zone: the official fills are
    pale (drawn as outlines they vanish on the light base); the hue stays, the lightness halves."""
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    r, g, b = colorsys.hls_to_rgb(hue, lightness * 0.5, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (r, g, b)))


class PlatformLayer(JSCSSMixin, Layer):
    """An overlay reading one layer of the platform: vector tiles from /tiles/ for tiled layers,
    OGC API features by bounding box otherwise (see static/webmap/layers.js)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.factory }}({{ this.url|tojson }}, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, overlay: Overlay, *, show: bool, outline: bool, zoom_hint: str):
        super().__init__(name=overlay.title, overlay=True, control=True, show=show)
        self._name = "PlatformLayer"
        spec = overlay.spec
        self.tiled = spec.tiled
        self.factory = "L.platformTileLayer" if spec.tiled else "L.ogcFeatureLayer"
        self.url = f"/tiles/{spec.id}/{{z}}/{{x}}/{{y}}.pbf" if spec.tiled else f"/ogcapi/collections/{spec.id}/items"
        self.options = {"minZoom": spec.min_zoom, "color": spec.color, "title": overlay.title,
                        "labels": overlay.labels, "codeLists": overlay.code_lists, "collection": spec.id,
                        "colorBy": spec.color_by, "outline": outline,
                        "colors": {code: outline_color(c) for code, c in overlay.colors.items()} if outline
                        else overlay.colors,
                        # Said beside the layer's name in the layer list while the map is zoomed out too far.
                        "zoomHint": zoom_hint if spec.min_zoom else "",
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


_UNIT_PREFIXES = ("Thành phố ", "Thị xã ", "Thị trấn ", "Huyện ", "Phường ", "Xã ")
_ROAD_PREFIXES = {"Quốc lộ ": "QL", "Đường tỉnh ": "ĐT", "Tỉnh lộ ": "ĐT"}


def _short_unit_name(name: str) -> str:
    """"Huyện Bù Đăng" -> "Bù Đăng": on the map the style says the level, as on printed maps."""
    for prefix in _UNIT_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _short_road_name(name: str) -> str:
    """"Quốc lộ 13" -> "QL13", "Đường tỉnh 741" -> "ĐT741", as road signs write them."""
    for prefix, short in _ROAD_PREFIXES.items():
        if name.startswith(prefix):
            return short + name[len(prefix):].replace(" ", "")
    return name


def base_labels(*, boundaries: list[dict], roads: list[dict]) -> list[dict]:
    """The names drawn on the base map (static/webmap/labels.js places them and drops those that
    would overlap): each district and commune at the point farthest inside its largest part, each
    named road along its lines. Coordinates are [lat, lon] in EPSG:4326, as Leaflet takes them."""
    labels = []
    for unit in boundaries:
        if unit["level_id"] not in ("district", "commune") or not unit["name"]:
            continue
        area = shape(json.loads(unit["geojson"]))
        part = max(getattr(area, "geoms", [area]), key=lambda p: p.area)
        # polylabel's tolerance is in degrees (EPSG:4326): ~100 m, finer than a label can be placed.
        at = polylabel(part, tolerance=0.001)
        labels.append({"kind": unit["level_id"], "name": _short_unit_name(unit["name"]), "full": unit["name"],
                       "at": [round(at.y, 5), round(at.x, 5)]})
    for road in roads:
        if not road["name"]:
            continue
        line = shape(json.loads(road["geojson"]))
        parts = getattr(line, "geoms", [line])
        labels.append({"kind": road["road_class_id"], "name": _short_road_name(road["name"]), "full": road["name"],
                       "lines": [[[round(y, 5), round(x, 5)] for x, y, *_ in part.coords] for part in parts]})
    return labels


def province_bounds() -> list[list[float]]:
    """The province's bounding box as Leaflet takes it: [[south, west], [north, east]] (EPSG:4326)."""
    minx, miny, maxx, maxy = PROVINCE_BBOX
    return [[miny, minx], [maxy, maxx]]


def outlined_layers(overlays: list[Overlay]) -> set[str]:
    """Layers coloured by the parcels' code list (zoning by planned land use): drawn as coloured
    outlines so they read apart from the parcels, filled by the same palette, on top of each other."""
    by_parcels = {o.spec.code_lists.get(o.spec.color_by) for o in overlays if o.spec.id == PANEL_LAYER and o.spec.color_by}
    return {o.spec.id for o in overlays
            if o.spec.id != PANEL_LAYER and o.spec.color_by and o.spec.code_lists.get(o.spec.color_by) in by_parcels}


def province_map(*, overlays: list[Overlay], boundaries: list[dict],
                 roads: list[dict], texts: dict, basemap_url: str = "", basemap_attribution: str = "") -> OfflineMap:
    """The map: a base drawn from the platform's own boundaries and roads (or a configured tile
    URL on the province network), one switchable overlay per layer.

    The map's own zoom limits and maxBounds keep the province in reach: without them Leaflet takes
    the minimum zoom from the overlays (zoning's 12 locked people in) or lets them out to the world.
    The initial view is set by static/webmap/lookup.js (a shared link's view, or the province)."""
    minx, miny, maxx, maxy = PROVINCE_BBOX
    dx, dy = (maxx - minx) * OUTSIDE_MARGIN, (maxy - miny) * OUTSIDE_MARGIN
    # Leaflet map options as they are (folium's min_zoom/max_zoom would go to a base tile layer only).
    fmap = OfflineMap(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=9, tiles=None,
                      control_scale=True, minZoom=7, maxZoom=19,
                      maxBounds=[[miny - dy, minx - dx], [maxy + dy, maxx + dx]], maxBoundsViscosity=0.8)
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
    outlined = outlined_layers(overlays)
    for overlay in overlays:
        spec = overlay.spec
        PlatformLayer(
            overlay,
            # Parcels are the citizens' layer: on from the start, drawn from their own zoom on.
            show=spec.id == PANEL_LAYER or spec.min_zoom < 10,
            outline=spec.id in outlined,
            zoom_hint=texts["from_zoom"].format(zoom=spec.min_zoom),
        ).add_to(fmap)
    # Tile layers keep their own z-index (outlines above fills), whatever order they are switched on in.
    folium.LayerControl(collapsed=False, autoZIndex=False).add_to(fmap)
    return fmap
