"""Registering the VN-2000 coordinate systems PostGIS's spatial_ref_sys lacks (e.g. EPSG:9212)."""
import warnings

from pyproj import CRS

from .geometry import VN2000_SRIDS


def register_missing_srids(cursor, srids=VN2000_SRIDS) -> list[int]:
    """Insert the EPSG definitions (from PROJ's database) of `srids` not yet in spatial_ref_sys."""
    cursor.execute("SELECT srid FROM spatial_ref_sys WHERE srid = ANY(%s)", [list(srids)])
    present = {row[0] for row in cursor.fetchall()}
    added = []
    for srid in srids:
        if srid in present:
            continue
        crs = CRS.from_epsg(srid)
        with warnings.catch_warnings():  # PROJ strings are lossy; PostGIS uses srtext first anyway
            warnings.simplefilter("ignore", UserWarning)
            proj4 = crs.to_proj4()
        cursor.execute(
            "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) "
            "VALUES (%s, 'EPSG', %s, %s, %s)",
            [srid, srid, crs.to_wkt("WKT1_GDAL"), proj4],
        )
        added.append(srid)
    return added
