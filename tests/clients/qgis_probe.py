"""Run by Debian's python3 (which has QGIS), not by the test suite's: QGIS headless as an officer
uses it. Opens the OGC API Features provider on BASE/ogcapi (typed without the trailing slash) and a
vector tile layer on BASE/tiles/parcels, draws a 512 x 512 px view at Web Mercator zoom ZOOM centred
on LON LAT, and prints what it saw as JSON. Usage: qgis_probe.py BASE LON LAT ZOOM [PNG]"""
import json
import math
import sys

from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsMapRendererParallelJob, QgsMapSettings,
                       QgsRectangle, QgsVectorLayer, QgsVectorTileLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

HALF_WORLD = 20037508.342789244  # metres, EPSG:3857
SIZE = 512  # pixels

base, lon, lat, zoom = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
app = QgsApplication([], False)
app.initQgis()
seen = {}
features = QgsVectorLayer(f"url='{base}/ogcapi' typename='schools'", "schools", "OAPIF")
seen["oapif_valid"] = features.isValid()
seen["oapif_count"] = features.featureCount() if features.isValid() else None
tiles = QgsVectorTileLayer(f"type=xyz&url={base}/tiles/parcels/{{z}}/{{x}}/{{y}}.pbf&zmin=0&zmax=22", "parcels")
seen["tiles_valid"] = tiles.isValid()

half = SIZE / 2 * (2 * HALF_WORLD / 256 / 2**zoom)  # metres per pixel at the zoom, 256 px tiles
x = lon * HALF_WORLD / 180
y = math.log(math.tan((90 + lat) * math.pi / 360)) * HALF_WORLD / math.pi
settings = QgsMapSettings()
settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
settings.setOutputSize(QSize(SIZE, SIZE))
settings.setOutputDpi(96)
settings.setExtent(QgsRectangle(x - half, y - half, x + half, y + half))
settings.setBackgroundColor(QColor(255, 255, 255))
settings.setLayers([tiles])
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
image = job.renderedImage()
if len(sys.argv) > 5:
    image.save(sys.argv[5])
white = QColor(255, 255, 255).rgb()
samples = [image.pixelColor(i, j).rgb() for i in range(0, SIZE, 4) for j in range(0, SIZE, 4)]
seen["drawn_share"] = sum(1 for rgb in samples if rgb != white) / len(samples)
print(json.dumps(seen))
app.exitQgis()
