"""Shared geometry facts and helpers for every layer."""
from django.db.models import Q

STORAGE_SRID = 4326

# Province extent in EPSG:4326 (lon/lat, degrees), approximate, with a margin.
PROVINCE_BBOX = (106.35, 11.25, 107.55, 12.35)

# VN-2000 systems officers use: geographic, UTM 48N/49N, and the provincial TM-3 zones.
# Bình Phước's cadastral projection is EPSG:9212 (VN-2000 / TM-3 106-15).
VN2000_SRIDS = (4756, 3405, 3406, *range(5896, 5900), *range(9205, 9219))
BINH_PHUOC_TM3_SRID = 9212


def valid_geometry_check(model_name: str, field: str = "geom"):
    """A CheckConstraint condition keeping invalid or empty geometries out of the table."""
    from django.db.models import CheckConstraint

    return CheckConstraint(
        condition=Q(**{f"{field}__isvalid": True}) & Q(**{f"{field}__isempty": False}),
        name=f"{model_name}_{field}_valid",
    )
