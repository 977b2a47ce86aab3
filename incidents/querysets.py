"""Reusable filters of incidents (EPSG:4326 storage; distances in metres on the geography)."""
from __future__ import annotations

import datetime as dt
import math

from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import BooleanField, Case, Q, Value, When


class IncidentQuerySet(models.QuerySet):
    def open(self) -> "IncidentQuerySet":
        """Still being worked: not closed, not merged into another report."""
        return self.filter(closed_at__isnull=True, merged_into__isnull=True)

    def overdue(self, now: dt.datetime) -> "IncidentQuerySet":
        """Open past their due time (computed, never stored)."""
        return self.open().filter(due_at__lt=now)

    def with_overdue(self, now: dt.datetime) -> "IncidentQuerySet":
        """Annotate `is_overdue`: open and past due at `now`."""
        return self.annotate(is_overdue=Case(
            When(Q(closed_at__isnull=True, merged_into__isnull=True, due_at__lt=now), then=Value(True)),
            default=Value(False), output_field=BooleanField()))

    def within_m(self, lon: float, lat: float, metres: float) -> "IncidentQuerySet":
        """Within `metres` (on the spheroid) of a point given in EPSG:4326 degrees: an index-backed
        prefilter in degrees (wide enough at the point's latitude), then the exact distance."""
        point = Point(lon, lat, srid=4326)
        margin = metres / (111_320 * max(math.cos(math.radians(lat)), 0.1))
        return self.filter(geom__dwithin=(point, margin)).filter(geom__distance_lte=(point, D(m=metres)))
