import json
import re

from django.conf import settings
from django.shortcuts import render

from geo.i18n import language_of, remember_language
from land.selectors import land_use_legend
from layers import registry
from layers.selectors import code_list_colors, code_list_names, field_labels
from places.selectors import admin_boundaries_geojson, communes_for_picking
from transport.selectors import roads_geojson

from .maps import PANEL_LAYER, Overlay, base_labels, outline_color, outlined_layers, province_bounds, province_map
from .texts import TEXTS

BASE_LAYERS = {"admin_units"}  # drawn as the base map, not as an overlay
_PINCH_ZOOM_BLOCKER = re.compile(r'<meta name="viewport"[^>]*user-scalable=no[^>]*>\s*')


def index(request):
    """The province map: the layers the caller may read, over the platform's own base map."""
    language = language_of(request)
    texts = TEXTS[language]
    specs = [s for s in registry.readable_layers(registry.roles_of(request.user)) if s.id not in BASE_LAYERS]
    names = code_list_names({m for s in specs for m in s.code_lists.values()}, language=language)
    colors = code_list_colors({s.code_lists[s.color_by] for s in specs if s.color_by})
    overlays = [
        Overlay(spec, spec.title_en if language == "en" else spec.title_vi, field_labels(spec, language=language),
                {column: names[model] for column, model in spec.code_lists.items()},
                colors.get(spec.code_lists.get(spec.color_by), {}))
        for spec in specs
    ]
    boundaries = admin_boundaries_geojson(levels=("district", "commune"))
    roads = roads_geojson(classes=("national", "provincial"))
    fmap = province_map(overlays=overlays, boundaries=boundaries, roads=roads, texts=texts,
                        basemap_url=settings.GEO_BASEMAP_URL, basemap_attribution=settings.GEO_BASEMAP_ATTRIBUTION)
    figure = fmap.get_root()
    figure.render()
    # folium's own <script> tags get the page's CSP nonce (no inline script runs without it); its
    # viewport tag, which forbids pinch-zoom, is dropped: the page's own lets people zoom.
    header = _PINCH_ZOOM_BLOCKER.sub("", figure.header.render()).replace(
        "<script", f'<script nonce="{request.csp_nonce}"')
    parcel_zoom = registry.get(PANEL_LAYER).min_zoom
    legend = [{**item, "outline": outline_color(item["color"])} for item in land_use_legend(language=language)]
    response = render(request, "webmap/index.html", {
        "t": texts, "lang": language, "other_lang": "en" if language == "vi" else "vi",
        "map_header": header, "map_html": figure.html.render(), "map_script": figure.script.render(),
        "map_name": fmap.get_name(), "legend": legend, "communes": communes_for_picking(),
        "outlined": bool(outlined_layers(overlays)), "labels": base_labels(boundaries=boundaries, roads=roads),
        "parcel_zoom": parcel_zoom, "province_bounds": json.dumps(province_bounds()),
        "lookup_texts": {**texts["lookup"],
                         "zoom_for_parcels": texts["lookup"]["zoom_for_parcels"].format(zoom=parcel_zoom)},
    })
    return remember_language(request, response)
