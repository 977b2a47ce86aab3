"""geosync: keeps a GeoPackage mirror of a platform layer for a utility, and sends back the edits
made in it. Runs on the utility's own machine with the standard library, requests and shapely:

    python -m clients.geosync pull --url https://gis.example/ogcapi --collection water_valves --gpkg van.gpkg
    python -m clients.geosync push --gpkg van.gpkg

See `python -m clients.geosync --help` and the README's "Sync client" section."""
