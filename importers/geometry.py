"""Checking and converting a batch of geometries to what a layer stores: EPSG:4326, 2D, valid, of the
layer's type (single parts promoted to multi), inside the province. Vectorised with shapely 2."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer

from layers.geometry import PROVINCE_BBOX, STORAGE_SRID

# Accepted input types per stored type, and how a single part becomes the stored type.
ACCEPTED = {
    "MultiPolygon": {"Polygon", "MultiPolygon"},
    "MultiLineString": {"LineString", "MultiLineString"},
    "Point": {"Point"},
}
_DIMENSION = {"MultiPolygon": 2, "MultiLineString": 1, "Point": 0}


@dataclass
class GeometryResult:
    ewkb_hex: list[str | None]  # None where rejected
    reasons: list[str | None]  # why, where rejected
    repaired: int


class GeometryChecker:
    """Turns WKB in `source_crs` into hex EWKB (EPSG:4326) for a layer of `target_type`."""

    def __init__(self, source_crs: CRS, target_type: str, *, repair: bool = False, extent=PROVINCE_BBOX):
        self.target_type = target_type
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
        raw = np.array([w if isinstance(w, (bytes, bytearray)) else None for w in wkb], dtype=object)
        geoms = shapely.from_wkb(raw, on_invalid="ignore")
        for i in range(n):
            if wkb[i] is None:
                reasons[i] = "không có hình học (no geometry)"
            elif geoms[i] is None:
                reasons[i] = "hình học không đọc được (unreadable geometry)"
            elif shapely.is_empty(geoms[i]):
                reasons[i] = "hình học rỗng (empty geometry)"
        ok = np.array([r is None for r in reasons])
        geoms = np.where(ok, shapely.force_2d(np.where(ok, geoms, None)), None)  # Z and M dropped
        coords, index = shapely.get_coordinates(geoms, return_index=True)
        bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
        for i in bad:
            reasons[i] = "tọa độ NaN hoặc vô cực (NaN/Inf coordinates)"
            geoms[i] = None
        type_ids = shapely.get_type_id(geoms)
        names = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon",
                 7: "GeometryCollection"}
        for i in range(n):
            if reasons[i] is None and names.get(int(type_ids[i])) not in ACCEPTED[self.target_type]:
                reasons[i] = (f"kiểu {names.get(int(type_ids[i]), '?')} không hợp với lớp {self.target_type} "
                              "(wrong geometry type)")
                geoms[i] = None
        stored = self._to_storage(geoms)
        repaired = 0
        out: list[str | None] = [None] * n
        for i in range(n):
            if reasons[i] is not None:
                continue
            geom = stored[i]
            if geom is None or not np.isfinite(shapely.get_coordinates(geom)).all():
                reasons[i] = self._outside_reason(geoms[i], "tọa độ ngoài phạm vi của hệ tọa độ "
                                                            "(coordinates out of range for the CRS)")
                continue
            xmin, ymin, xmax, ymax = shapely.bounds(geom)
            if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
                reasons[i] = self._outside_reason(geoms[i], "tọa độ ngoài phạm vi kinh/vĩ độ (coordinates out of range)")
                continue
            if not shapely.is_valid(geom):
                why = shapely.is_valid_reason(geom)
                if not self.repair:
                    reasons[i] = f"hình học không hợp lệ: {why} (invalid geometry)"
                    continue
                geom = self._repaired(geom)
                if geom is None:
                    reasons[i] = f"hình học không hợp lệ, không sửa được: {why} (invalid, cannot repair)"
                    continue
                repaired += 1
            if not shapely.intersects(self.extent, shapely.envelope(geom)):
                reasons[i] = self._outside_reason(geoms[i], "nằm ngoài phạm vi tỉnh (outside the province's extent)")
                continue
            if self.target_type.startswith("Multi") and not shapely.get_type_id(geom) in (5, 6):
                geom = (shapely.multipolygons([geom]) if self.target_type == "MultiPolygon"
                        else shapely.multilinestrings([geom]))
            out[i] = shapely.to_wkb(shapely.set_srid(geom, STORAGE_SRID), hex=True, include_srid=True)
        return GeometryResult(out, reasons, repaired)

    def _repaired(self, geom):
        """make_valid, keeping only the parts of the layer's dimension; None when nothing is left."""
        fixed = shapely.make_valid(geom)
        parts = [p for p in shapely.get_parts(fixed) if shapely.get_dimensions(p) == _DIMENSION[self.target_type]]
        if not parts:
            return None
        if self.target_type == "MultiPolygon":
            polygons = [q for p in parts for q in shapely.get_parts(p)]
            return shapely.multipolygons(polygons)
        if self.target_type == "MultiLineString":
            return shapely.multilinestrings([q for p in parts for q in shapely.get_parts(p)])
        return parts[0]

    def _outside_reason(self, source_geom, otherwise: str) -> str:
        """`otherwise`, unless swapping x and y would bring the geometry into the province: then the
        officer is told the coordinates look swapped."""
        swapped = self._to_storage(np.array([shapely.transform(source_geom, lambda xy: xy[:, ::-1])]))[0]
        if swapped is not None and np.isfinite(shapely.get_coordinates(swapped)).all() \
                and shapely.intersects(self.extent, shapely.envelope(swapped)):
            return "nằm ngoài tỉnh, có vẻ đảo ngược kinh độ/vĩ độ (x/y) (outside the province: lat/lon swapped?)"
        return otherwise
