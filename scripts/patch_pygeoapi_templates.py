"""Write offline copies of the pygeoapi HTML templates that load from CDNs into layers/ogcapi/templates.

pygeoapi's own pages pull Leaflet, Bootstrap and Swagger UI from unpkg/cdnjs and an OpenStreetMap base
map; the province network is offline, so these copies point at the vendored files under /static/vendor/
and draw a base map only when one is configured. Re-run after upgrading pygeoapi:
    .venv/bin/python scripts/patch_pygeoapi_templates.py
"""
import re
from pathlib import Path

import pygeoapi

SOURCE = Path(pygeoapi.__file__).parent / "templates"
TARGET = Path(__file__).resolve().parent.parent / "layers" / "ogcapi" / "templates"
FILES = ["_base.html", "collections/collection.html", "collections/items/index.html",
         "collections/items/item.html", "openapi/swagger.html"]
V = "/static/vendor"
REPLACEMENTS = [
    (r"https://unpkg\.com/bootstrap@[\d.]+/dist/css/bootstrap\.min\.css", f"{V}/bootstrap/bootstrap.min.css"),
    (r"\s*<!--\[if lt IE 9\]>.*?<!\[endif\]-->", ""),
    (r"https://unpkg\.com/leaflet@[\d.]+/dist/leaflet\.(js|css)", V + r"/leaflet/leaflet.\1"),
    (r"https://unpkg\.com/leaflet\.markercluster/dist/leaflet\.markercluster-src\.js",
     f"{V}/leaflet.markercluster/leaflet.markercluster.js"),
    (r"https://unpkg\.com/leaflet\.markercluster/dist/(MarkerCluster(\.Default)?\.css)", V + r"/leaflet.markercluster/\1"),
    (r"https://unpkg\.com/swagger-ui-dist/(swagger-ui\.css|swagger-ui-bundle\.js|swagger-ui-standalone-preset\.js|favicon-32x32\.png)",
     V + r"/swagger-ui/\1"),
    (r'\s*<link rel="icon" type="image/png" href="https://unpkg\.com/swagger-ui-dist/favicon-16x16\.png"[^>]*>', ""),
    # The base map only when one is configured (GEO_BASEMAP_URL); never OpenStreetMap by default.
    # Without a tile layer the map must state its zoom range itself (marker clustering needs it).
    (r"L\.map\('([\w-]+)'\)", r"L.map('\1', {maxZoom: 19})"),
    (r"(\n\s*map\.addLayer\(new L\.TileLayer\(.*?\)\);)", r"\n    {% if config['server']['map']['url'] %}\1\n    {% endif %}"),
]


def main():
    for name in FILES:
        text = (SOURCE / name).read_text(encoding="utf-8")
        for pattern, replacement in REPLACEMENTS:
            text = re.sub(pattern, replacement, text, flags=re.S)
        leftover = re.findall(r"https?://(?:unpkg|cdn|fonts)[^\s\"']*", text)
        if leftover:
            raise SystemExit(f"{name}: still loads from the internet: {leftover}")
        out = TARGET / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out.relative_to(TARGET.parent.parent.parent)}")


if __name__ == "__main__":
    main()
