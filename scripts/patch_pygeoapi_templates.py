"""Write our copies of pygeoapi's HTML templates into ogcapi/templates.

pygeoapi's own pages pull Leaflet, Bootstrap, Swagger UI, ReDoc and Google fonts from unpkg, jsdelivr
and Google, and an OpenStreetMap base map; the province network is offline and our CSP blocks them.
These copies point at the vendored files under /static/vendor/ and /static/ogcapi/, draw the
province's own base map (boundaries and roads from the platform's vector tiles) under item maps
unless a base-map URL is configured, give every page a title, and fix what axe-core finds (contrast,
unnamed links and selects). Re-run after upgrading pygeoapi:
    .venv/bin/python scripts/patch_pygeoapi_templates.py
"""
import re
from pathlib import Path

import pygeoapi

SOURCE = Path(pygeoapi.__file__).parent / "templates"
TARGET = Path(__file__).resolve().parent.parent / "ogcapi" / "templates"
V = "/static/vendor"
SITE_TITLE = "{{ config['metadata']['identification']['title'] }}"
COLLECTION_TITLE = "{% for l in data['links'] if l.rel == 'collection' %}{{ l['title'] }}{% endfor %}"
# Leaflet pages: the province base is drawn from vector tiles (static/ogcapi/basemap.js).
BASE_SCRIPTS = (f'\n    <script src="{V}/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"></script>'
                '\n    <script src="/static/ogcapi/basemap.js"></script>')

COMMON = [
    (r"https://unpkg\.com/bootstrap@[\d.]+/dist/css/bootstrap\.min\.css", f"{V}/bootstrap/bootstrap.min.css"),
    (r"\s*<!--\[if lt IE 9\]>.*?<!\[endif\]-->", ""),
    (r"https://unpkg\.com/leaflet@[\d.]+/dist/leaflet\.(js|css)", V + r"/leaflet/leaflet.\1"),
    (r"https://unpkg\.com/leaflet\.markercluster/dist/leaflet\.markercluster-src\.js",
     f"{V}/leaflet.markercluster/leaflet.markercluster.js"),
    (r"https://unpkg\.com/leaflet\.markercluster/dist/(MarkerCluster(\.Default)?\.css)", V + r"/leaflet.markercluster/\1"),
    (r"https://unpkg\.com/swagger-ui-dist/(swagger-ui\.css|swagger-ui-bundle\.js|swagger-ui-standalone-preset\.js|favicon-32x32\.png)",
     V + r"/swagger-ui/\1"),
    (r'\s*<link rel="icon" type="image/png" href="https://unpkg\.com/swagger-ui-dist/favicon-16x16\.png"[^>]*>', ""),
    # Without a tile layer the map must state its zoom range itself (marker clustering needs it).
    (r"L\.map\('([\w-]+)'\)", r"L.map('\1', {maxZoom: 19})"),
    # A configured base map (GEO_BASEMAP_URL) or, by default, the province's own; never OpenStreetMap.
    (r"(\n\s*map\.addLayer\(new L\.TileLayer\(.*?\)\);)",
     r"\n    {% if config['server']['map']['url'] %}\1\n    {% else %}\n    provinceBase(map);\n    {% endif %}"),
    (r'(<script src="/static/vendor/leaflet/leaflet\.js"></script>)', r"\1" + BASE_SCRIPTS.replace("\\", "\\\\")),
]

PAGES = {
    "_base.html": [
        # pygeoapi has no catalogue for our languages: the untranslated key would be the direction.
        (r'dir="\{% trans %\}text_direction\{% endtrans %\}"', 'dir="ltr"'),
        # Every page is titled "<page> – <platform>", the landing page included.
        (r"<title>.*?</title>",
         "<title>{% block title %}{% endblock %}{% if self.title() | trim %} – {% endif %}" + SITE_TITLE + "</title>"),
        (r'(<link rel="stylesheet" href="\{\{ config\[\'server\'\]\[\'url\'\] \}\}/static/css/default.css">)',
         r'\1\n    <link rel="stylesheet" href="/static/ogcapi/ogcapi.css">'),
        (r'(<img src="\{\{ logo \}\}")', r'\1 alt="' + SITE_TITLE.replace("\\", "\\\\") + '"'),
        (r'(<img src="[^"]*/static/img/pygeoapi.png")', r'\1 alt="pygeoapi"'),
        # pygeoapi's JSON-LD of features is not valid JSON, so the platform refuses f=jsonld for them
        # (ogcapi/params.py): feature pages neither link to it nor fetch it.
        (r"(\{% if config\['server'\]\['icon'\] %\})",
         "{% set features_page = data is mapping and data.get('type') in ('Feature', 'FeatureCollection') %}\n\\1"),
        (r"(\{% elif link\['rel'\] == 'alternate' and link\['type'\] and link\['type'\] == 'application/ld\+json')",
         r"\1 and not features_page"),
        (r"\{% if links_found\.jsonld == 0 %\}", "{% if links_found.jsonld == 0 and not features_page %}"),
        (r"\{% elif \(link\['rel'\]!=\"canonical\"\) %\}",
         "{% elif link['rel'] != 'canonical' and not (features_page and link['type'] == 'application/ld+json') %}"),
        (r"(\s*<script>\s*// Requests and embeds JSON-LD.*?</script>)", r"\n    {% if not features_page %}\1\n    {% endif %}"),
        # No contact address configured: no empty mailto link.
        (r'(\s*<li class="nav-item">\s*<a href="mailto:.*?</li>)',
         r"\n          {% if config['metadata']['contact']['email'] %}\1\n          {% endif %}"),
    ],
    "landing_page.html": [
        (r"(\s*<b>\{% trans %\}Email\{% endtrans %\}</b><br/>\s*<span><a href=\"mailto:.*?<br/>)",
         r"\n          {% if config['metadata']['contact']['email'] %}\1\n          {% endif %}"),
    ],
    "collections/collection.html": [],
    "collections/items/index.html": [
        (r"\{% block title %\}.*?\{% endblock %\}",
         "{% block title %}" + COLLECTION_TITLE + " – {% trans %}Items{% endtrans %}{% endblock %}"),
        (r"\{% trans %\}Limit\{% endtrans %\}:\s*<select id=\"limits\">",
         '<label for="limits">{% trans %}Limit{% endtrans %}:</label>\n                  <select id="limits">'),
    ],
    "collections/items/item.html": [
        (r"\{% for l in data\['links'\] %\}", "{% for l in data['links'] if l['type'] != 'application/ld+json' %}"),
        (r"\{% block title %\}\{\{ ptitle \}\}\{% endblock %\}",
         "{% block title %}" + COLLECTION_TITLE + " {{ ptitle }}{% endblock %}"),
    ],
    "openapi/swagger.html": [
        (r'<html lang="en">', '<html lang="{{ (locale|lower)[:2] }}">'),
        (r"<title>Swagger UI - ", "<title>Swagger UI – "),
        # Swagger UI's own markup fails axe-core (contrast, buttons inside buttons, unnamed selects):
        # our stylesheet and static/ogcapi/apidocs-a11y.js repair it once rendered.
        (r"(\s*</head>)", r'\n    <link rel="stylesheet" href="/static/ogcapi/swagger-fixes.css">\1'),
        (r"(\s*<script>\s*window\.onload)", r'\n    <script src="/static/ogcapi/apidocs-a11y.js"></script>\1'),
    ],
    "openapi/redoc.html": [
        (r"<html>", '<html lang="{{ (locale|lower)[:2] }}">'),
        (r"<title>ReDoc - ", "<title>ReDoc – "),
        (r'\s*<link href="https://fonts\.googleapis\.com/[^>]*>', '\n    <link rel="stylesheet" href="/static/ogcapi/redoc.css">'
                                                                '\n    <link rel="icon" href="data:,">'),
        # Started by static/ogcapi/redoc-init.js (theme with AA contrast, search off) and a11y repairs.
        (r"<redoc spec-url=(.*?)></redoc>", r'<main><div id="redoc" data-spec-url=\1></div></main>'),
        (r'<script src="https://cdn\.jsdelivr\.net/npm/redoc@next/bundles/redoc\.standalone\.js"> </script>',
         '<script src="/static/ogcapi/redoc/redoc.standalone.js"></script>\n'
         '    <script src="/static/ogcapi/redoc-init.js"></script>\n'
         '    <script src="/static/ogcapi/apidocs-a11y.js"></script>'),
    ],
}


def main():
    for name, replacements in PAGES.items():
        text = (SOURCE / name).read_text(encoding="utf-8")
        for pattern, replacement in [*COMMON, *replacements]:
            text = re.sub(pattern, replacement, text, flags=re.S)
        for pattern, _ in replacements:
            if re.search(pattern, (SOURCE / name).read_text(encoding="utf-8"), flags=re.S) is None:
                raise SystemExit(f"{name}: pygeoapi's template changed, no match for {pattern!r}")
        leftover = re.findall(r"https?://(?:unpkg|cdn|fonts)[^\s\"']*", text)
        if leftover:
            raise SystemExit(f"{name}: still loads from the internet: {leftover}")
        out = TARGET / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out.relative_to(TARGET.parent.parent)}")


if __name__ == "__main__":
    main()
