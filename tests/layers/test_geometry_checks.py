"""layers/geometry_checks.py's shortcuts give what the plain shapely calls give: hex EWKB as GEOS writes
it with the SRID, 2D whatever came in, and "outside the province" exactly when the envelope misses it."""
import numpy as np
import shapely
from pyproj import CRS

from layers.geometry import PROVINCE_BBOX, STORAGE_SRID
from layers.geometry_checks import GeometryChecker

WGS84 = CRS.from_epsg(4326)


def geos_ewkb(geom) -> str:
    return shapely.to_wkb(shapely.set_srid(geom, STORAGE_SRID), hex=True, include_srid=True).upper()


def test_the_hex_ewkb_is_what_geos_writes_with_the_srid():
    polygon = shapely.Polygon([(106.8, 11.5), (106.81, 11.5), (106.81, 11.51), (106.8, 11.5)])
    multi = shapely.MultiPolygon([polygon, shapely.affinity.translate(polygon, 0.02)])
    line = shapely.LineString([(106.8, 11.5), (106.9, 11.6)])
    cases = [("MultiPolygon", polygon, shapely.MultiPolygon([polygon])), ("MultiPolygon", multi, multi),
             ("MultiLineString", line, shapely.MultiLineString([line])),
             ("Point", shapely.Point(106.9, 11.5), shapely.Point(106.9, 11.5)),
             ("Point", shapely.Point(106.9, 11.5, 42.0), shapely.Point(106.9, 11.5))]  # Z dropped
    for target_type, given, stored in cases:
        checked = GeometryChecker(WGS84, target_type).check([shapely.to_wkb(given)])
        assert checked.reasons == [None], (target_type, given)
        assert checked.ewkb_hex[0].upper() == geos_ewkb(stored), (target_type, given)


def test_outside_the_province_is_decided_by_the_envelope_as_before():
    x0, y0, x1, y1 = PROVINCE_BBOX
    checker = GeometryChecker(WGS84, "Point")
    edge = [shapely.Point(x0, y0), shapely.Point(x1, y1), shapely.Point(x0 - 1e-9, y0), shapely.Point(x1, y1 + 1e-9)]
    # A line whose envelope reaches into the box though the line itself does not
    corner = shapely.LineString([(x0 - 0.1, y0 + 0.05), (x0 + 0.05, y0 - 0.1)])
    checked = checker.check([shapely.to_wkb(g) for g in edge])
    expected = [bool(shapely.intersects(checker.extent, shapely.envelope(g))) for g in edge]
    assert [reason is None for reason in checked.reasons] == expected == [True, True, False, False]
    lines = GeometryChecker(WGS84, "MultiLineString").check([shapely.to_wkb(corner)])
    assert lines.reasons == [None] and np.all(shapely.intersects(checker.extent, shapely.envelope(corner)))
