"""Checking and converting a batch of geometries to what a layer stores: EPSG:4326, 2D, valid, of the
layer's type (single parts promoted to multi), inside the province. Vectorised with shapely 2: the
per-row Python work is only for the rows that fail."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer

from .formats import whole_number_vi as _vn
from .geometry import PROVINCE_BBOX, STORAGE_SRID

# Accepted input types per stored type (shapely type ids), and the dimension the layer keeps.
TYPE_NAMES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon",
              7: "GeometryCollection"}
ACCEPTED = {"MultiPolygon": {3, 6}, "MultiLineString": {1, 5}, "Point": {0}}
_DIMENSION = {"MultiPolygon": 2, "MultiLineString": 1, "Point": 0}


_SRID_FLAG_AND_SRID = "20" + STORAGE_SRID.to_bytes(4, "little").hex()


def _ewkb_hex(geoms: np.ndarray, ok: np.ndarray) -> list[str | None]:
    """Hex EWKB with the storage SRID of the 2D geometries where `ok` (None elsewhere), as
    `to_wkb(set_srid(g), hex=True, include_srid=True)` writes it in a quarter of the time: GEOS's binary
    WKB, little-endian, made hex by Python, the SRID flag set in the type's high byte (0 for 2D types)
    and the SRID after it."""
    binary = shapely.to_wkb(geoms, hex=False, byte_order=1, output_dimension=2, include_srid=False)
    out: list[str | None] = []
    for wkb, good in zip(binary, ok):
        if good:
            text = wkb.hex()
            out.append(text[:8] + _SRID_FLAG_AND_SRID + text[10:])
        else:
            out.append(None)
    return out


@dataclass
class GeometryResult:
    ewkb_hex: list[str | None]  # None where rejected
    reasons: list[str | None]  # why, where rejected
    repaired: int


class GeometryChecker:
    """Turns WKB in `source_crs` into hex EWKB (EPSG:4326) for a layer of `target_type`."""

    def __init__(self, source_crs: CRS, target_type: str, *, repair: bool = False, extent=PROVINCE_BBOX,
                 max_vertices: int | None = None):
        self.target_type = target_type
        self.max_vertices = max_vertices
        self.repair = repair
        self.extent = shapely.box(*extent)
        target = CRS.from_epsg(STORAGE_SRID)
        self.transformer = None if source_crs.equals(target, ignore_axis_order=True) else \
            Transformer.from_crs(source_crs, target, always_xy=True)

    def _to_storage(self, geoms: np.ndarray) -> np.ndarray:
        if self.transformer is None:
            return geoms
        return shapely.transform(geoms, lambda xy: np.column_stack(self.transformer.transform(xy[:, 0], xy[:, 1],
                                                                                              errcheck=False)))

    def check(self, wkb: list[bytes | None]) -> GeometryResult:
        n = len(wkb)
        reasons: list[str | None] = [None] * n

        def reject(mask: np.ndarray, why) -> None:
            for i in np.flatnonzero(mask):
                if reasons[i] is None:
                    reasons[i] = why(i) if callable(why) else why

        raw = np.array([w if isinstance(w, (bytes, bytearray)) else None for w in wkb], dtype=object)
        source = shapely.from_wkb(raw, on_invalid="ignore")
        reject(np.array([w is None for w in wkb]), "không có hình học (no geometry)")
        reject(shapely.is_missing(source), "hình học không đọc được (unreadable geometry)")
        reject(shapely.is_empty(source), "hình học rỗng (empty geometry)")
        if self.max_vertices is not None:
            # Before any other work on them: a million-vertex parcel would cost seconds per look-up.
            vertices = shapely.get_num_coordinates(source)
            reject(vertices > self.max_vertices,
                   lambda i: f"có {_vn(vertices[i])} đỉnh, vượt giới hạn {_vn(self.max_vertices)} đỉnh của lớp "
                             f"(too many vertices: {_vn(vertices[i])} > {_vn(self.max_vertices)})")
            source = np.where(vertices > self.max_vertices, None, source)
        if shapely.has_z(source).any() or shapely.has_m(source).any():
            source = shapely.force_2d(source)  # Z and M dropped (a copy of every geometry: only when needed)
        coords, index = shapely.get_coordinates(source, return_index=True)
        not_finite = np.isin(np.arange(n), index[~np.isfinite(coords).all(axis=1)])
        reject(not_finite, "tọa độ NaN hoặc vô cực (NaN/Inf coordinates)")
        types = shapely.get_type_id(source)
        reject(~np.isin(types, list(ACCEPTED[self.target_type])) & ~shapely.is_missing(source),
               lambda i: f"kiểu {TYPE_NAMES.get(int(types[i]), '?')} không hợp với lớp {self.target_type} "
                         "(wrong geometry type)")
        ok = np.array([r is None for r in reasons])
        stored = self._to_storage(np.where(ok, source, None))
        if self.transformer is None:
            broken = not_finite  # the same coordinates
        else:
            coords, index = shapely.get_coordinates(stored, return_index=True)
            broken = np.isin(np.arange(n), index[~np.isfinite(coords).all(axis=1)])
        bounds = shapely.bounds(stored)
        with np.errstate(invalid="ignore"):
            out_of_range = (bounds[:, 0] < -180) | (bounds[:, 2] > 180) | (bounds[:, 1] < -90) | (bounds[:, 3] > 90)
        reject(ok & broken, lambda i: self._outside_reason(
            source[i], "tọa độ ngoài phạm vi của hệ tọa độ (coordinates out of range for the CRS)"))
        reject(ok & out_of_range, lambda i: self._outside_reason(
            source[i], "tọa độ ngoài phạm vi kinh/vĩ độ (coordinates out of range)"))
        ok = np.array([r is None for r in reasons])
        stored = np.where(ok, stored, None)
        repaired = 0
        for i in np.flatnonzero(ok & ~shapely.is_valid(stored)):
            why = shapely.is_valid_reason(stored[i])
            fixed = self._repaired(stored[i]) if self.repair else None
            if fixed is None:
                reasons[i] = (f"hình học không hợp lệ, không sửa được: {why} (invalid, cannot repair)" if self.repair
                              else f"hình học không hợp lệ: {why} (invalid geometry)")
                stored[i] = None
            else:
                stored[i] = fixed
                bounds[i] = shapely.bounds(fixed)
                repaired += 1
        ok = np.array([r is None for r in reasons])
        # Envelopes meet the extent's box when their bounds overlap: compared as numbers, no geometry made.
        x0, y0, x1, y1 = self.extent.bounds
        with np.errstate(invalid="ignore"):
            outside = ok & ~((bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0))
        reject(outside, lambda i: self._outside_reason(source[i], "nằm ngoài phạm vi tỉnh (outside the province's extent)"))
        ok &= ~outside
        stored = np.where(ok, stored, None)
        if self.target_type != "Point":
            single = ok & np.isin(shapely.get_type_id(stored), (1, 3))
            if single.any():
                make = shapely.multipolygons if self.target_type == "MultiPolygon" else shapely.multilinestrings
                stored[single] = make(stored[single], indices=np.arange(int(single.sum())))
        return GeometryResult(_ewkb_hex(stored, ok), reasons, repaired)

    def _repaired(self, geom):
        """make_valid, keeping only the parts of the layer's dimension; None when nothing is left."""
        fixed = shapely.make_valid(geom)
        parts = [q for p in shapely.get_parts(fixed) if shapely.get_dimensions(p) == _DIMENSION[self.target_type]
                 for q in shapely.get_parts(p)]
        if not parts:
            return None
        if self.target_type == "MultiPolygon":
            return shapely.multipolygons(parts)
        if self.target_type == "MultiLineString":
            return shapely.multilinestrings(parts)
        return parts[0]

    def _outside_reason(self, source_geom, otherwise: str) -> str:
        """`otherwise`, unless swapping x and y would bring the geometry into the province: then the
        officer is told the coordinates look swapped."""
        swapped = self._to_storage(np.array([shapely.transform(source_geom, lambda xy: xy[:, ::-1])]))[0]
        if swapped is not None and np.isfinite(shapely.get_coordinates(swapped)).all() \
                and shapely.intersects(self.extent, shapely.envelope(swapped)):
            return "nằm ngoài tỉnh, có vẻ đảo ngược kinh độ/vĩ độ (x/y) (outside the province: lat/lon swapped?)"
        return otherwise
