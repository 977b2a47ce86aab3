"""Shared SQL expressions for layers (geometry functions GeoDjango does not ship)."""
from django.contrib.gis.db.models import GeometryField
from django.db.models import Func, Value


def simplified(field: str, tolerance_deg: float) -> Func:
    """ST_SimplifyPreserveTopology of an EPSG:4326 column; tolerance in degrees (1e-4 ≈ 11 m)."""
    return Func(field, Value(tolerance_deg), function="ST_SimplifyPreserveTopology",
                output_field=GeometryField(srid=4326))
