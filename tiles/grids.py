"""The two tile matrix sets tiles are cut in (OGC Two Dimensional Tile Matrix Set, 17-083r4 annex D):

- WebMercatorQuad, the grid of web maps, Leaflet and QGIS (z/x/y, EPSG:3857);
- WorldCRS84Quad, in longitude/latitude degrees, the grid GDAL's OGCAPI driver prefers: it computes
  the tiles to read from the collection's extent, which is given in degrees.

A grid knows each zoom's tiles (their count and envelope) and how it lines up with the other: a
WorldCRS84Quad level shows what WebMercatorQuad shows one zoom deeper (same metres per pixel near the
equator), so layers keep one minimum zoom, the Web Mercator one."""
from __future__ import annotations

import math
from dataclasses import dataclass

HALF_WORLD = 20037508.3427892  # metres, EPSG:3857
MERCATOR_SCALE_Z0 = 559082264.0287178  # scale denominator of zoom 0 (0.28 mm pixels)
CRS84_SCALE_Z0 = 279541132.0143589
TILE_SIZE = 256
MAX_ZOOM = 22  # Web Mercator zooms served (0..22)


@dataclass(frozen=True)
class Grid:
    id: str
    uri: str
    crs: str
    title: str
    zoom_offset: int  # level of this grid = Web Mercator zoom + zoom_offset

    @property
    def max_level(self) -> int:
        return MAX_ZOOM + self.zoom_offset

    def level_of(self, mercator_zoom: int) -> int:
        return max(0, mercator_zoom + self.zoom_offset)

    def mercator_zoom(self, level: int) -> int:
        return level - self.zoom_offset

    def matrix_size(self, level: int) -> tuple[int, int]:
        """(columns, rows) of a level."""
        if self.id == WEB_MERCATOR.id:
            return 2**level, 2**level
        return 2 ** (level + 1), 2**level

    def contains(self, level: int, row: int, col: int) -> bool:
        columns, rows = self.matrix_size(level) if 0 <= level <= self.max_level else (0, 0)
        return 0 <= row < rows and 0 <= col < columns

    def degrees_envelope(self, level: int, col: int, row: int) -> tuple[float, float, float, float]:
        """A WorldCRS84Quad tile's (west, south, east, north) in degrees."""
        size = 180.0 / 2**level
        west, north = -180.0 + col * size, 90.0 - row * size
        return west, north - size, west + size, north

    def tile_width_degrees(self, level: int) -> float:
        """How many degrees of longitude a tile of the level spans."""
        return 360.0 / 2**level if self.id == WEB_MERCATOR.id else 180.0 / 2**level

    def cell_size(self, level: int) -> float:
        """Size of a pixel in the grid's CRS units."""
        if self.id == WEB_MERCATOR.id:
            return 2 * HALF_WORLD / TILE_SIZE / 2**level
        return 180.0 / TILE_SIZE / 2**level

    def scale_denominator(self, level: int) -> float:
        return (MERCATOR_SCALE_Z0 if self.id == WEB_MERCATOR.id else CRS84_SCALE_Z0) / 2**level

    def origin(self) -> list[float]:
        return [-HALF_WORLD, HALF_WORLD] if self.id == WEB_MERCATOR.id else [-180.0, 90.0]

    def bounding_box(self) -> tuple[list[float], list[float]]:
        if self.id == WEB_MERCATOR.id:
            return [-HALF_WORLD, -HALF_WORLD], [HALF_WORLD, HALF_WORLD]
        return [-180.0, -90.0], [180.0, 90.0]

    def limits(self, level: int, bbox: tuple[float, float, float, float]) -> dict:
        """The rows and columns of a level covering a (west, south, east, north) box in degrees."""
        west, south, east, north = bbox
        columns, rows = self.matrix_size(level)
        if self.id == WEB_MERCATOR.id:
            def column(lon):
                return int((lon + 180) / 360 * columns)

            def row(lat):
                return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * rows)
        else:
            size = 180.0 / 2**level

            def column(lon):
                return int((lon + 180) / size)

            def row(lat):
                return int((90 - lat) / size)

        def clamp(value, count):
            return min(count - 1, max(0, value))

        return {"tileMatrix": str(level), "minTileRow": clamp(row(north), rows), "maxTileRow": clamp(row(south), rows),
                "minTileCol": clamp(column(west), columns), "maxTileCol": clamp(column(east), columns)}


WEB_MERCATOR = Grid("WebMercatorQuad", "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
                    "http://www.opengis.net/def/crs/EPSG/0/3857", "Google Maps Compatible for the World", 0)
WORLD_CRS84 = Grid("WorldCRS84Quad", "http://www.opengis.net/def/tilematrixset/OGC/1.0/WorldCRS84Quad",
                   "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84 for the World", -1)
GRIDS = {grid.id: grid for grid in (WEB_MERCATOR, WORLD_CRS84)}
