"""Importing and exporting GIS files into the layers (shapefile, GeoPackage, GeoJSON, CSV, rasters):
the capability of issue 3, built on the layer registry."""
