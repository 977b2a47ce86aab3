"""A vehicle reports where it is through the OGC API (Features Part 4 merge patch), and the next
question about an incident routes it from there."""
import json

import pytest
from django.utils.dateparse import parse_datetime

from dispatch import selectors
from dispatch.models import ResponseUnit
from layers.models import Change
from layers.registry import officer
from tests.layers.test_editing import bearer

pytestmark = pytest.mark.django_db


def patch(client, unit, body, roles):
    return client.patch(f"/ogcapi/collections/response_units/items/{unit.pk}", json.dumps(body),
                        content_type="application/merge-patch+json", **bearer(roles))


def test_a_fire_engine_reports_its_live_position_and_is_routed_from_there(client):
    engine = ResponseUnit.objects.filter(kind="fire", status="available").order_by("unit_code").first()
    station = engine.station.geom
    # 0.03° east and north of its station: about 3.3 km each way.
    moved = [round(station.x + 0.03, 6), round(station.y + 0.03, 6)]
    body = {"geometry": {"type": "Point", "coordinates": moved},
            "properties": {"position_at": "2026-12-03T09:15:00+07:00", "status": "dispatched"}}
    assert patch(client, engine, body, [officer("transport")]).status_code == 403  # not the transport officers'
    response = patch(client, engine, body, [officer("fire")])
    assert response.status_code == 204, response.content
    engine.refresh_from_db()
    assert [round(engine.geom.x, 6), round(engine.geom.y, 6)] == moved and engine.station.geom == station
    assert engine.position_at == parse_datetime("2026-12-03T02:15:00+00:00") and engine.status_id == "dispatched"
    assert Change.objects.filter(layer_id="response_units", feature_id=engine.pk).latest("id").source == "api"
    # Now busy: not offered; asked for every unit, it is routed from where it reported.
    assert engine.pk not in [u["id"] for u in selectors.nearest_units(lon=moved[0], lat=moved[1], limit=10)]
    found = {u["id"]: u for u in selectors.nearest_units(lon=moved[0], lat=moved[1], limit=10, only_available=False)}
    assert found[engine.pk]["straight_m"] == 0 and found[engine.pk]["position_at"].startswith("2026-12-03T02:15")
    # Back at the station: position_at cleared.
    back = {"geometry": {"type": "Point", "coordinates": [station.x, station.y]},
            "properties": {"position_at": None, "status": "available"}}
    assert patch(client, engine, back, [officer("fire")]).status_code == 204
    engine.refresh_from_db()
    assert engine.position_at is None and engine.geom == station


def test_a_bad_position_report_is_refused_clearly(client):
    engine = ResponseUnit.objects.filter(kind="fire").first()
    response = patch(client, engine, {"properties": {"position_at": "hôm qua"}}, [officer("fire")])
    assert response.status_code == 400 and "position_at" in response.json()["description"]
