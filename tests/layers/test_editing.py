"""Editing through the API (OGC API Features Part 4): a utility edits only its own assets, tokens need
the write scope, bad features get clear 4xx errors, browser sessions need their CSRF token."""
import json
import time

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from jwcrypto import jwt

from accounts.tokens import signing_key
from land.models import Parcel
from layers.registry import ROLE_UTILITY, officer
from utilities.models import PowerPole, WaterValve

pytestmark = pytest.mark.django_db


def bearer(roles, *, org=None, scope="read write"):
    now = int(time.time())
    claims = {"iss": "http://testserver/o", "aud": "binhphuoc-gis", "iat": now, "nbf": now, "exp": now + 600,
              "sub": "t", "client_id": "t", "scope": scope, "roles": roles, **({"org": org} if org else {})}
    signed = jwt.JWT(header={"alg": "RS256", "typ": "at+jwt", "kid": signing_key().thumbprint()}, claims=claims)
    signed.make_signed_token(signing_key())
    return {"HTTP_AUTHORIZATION": f"Bearer {signed.serialize()}"}


def pole(owner="PCBP", code=None):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.885, 11.536]},
            "properties": {"asset_code": code or f"COT-T-{time.time_ns()}", "owner": owner, "status": "operating",
                           "voltage_kv": 22}}


def send(client, method, url, body=None, **extra):
    return getattr(client, method)(url, json.dumps(body) if body is not None else None,
                                   content_type="application/geo+json", **extra)


def test_a_utility_writes_only_its_own_assets(client):
    power = bearer([ROLE_UTILITY], org="PCBP")
    created = send(client, "post", "/ogcapi/collections/power_poles/items", pole(), **power)
    assert created.status_code == 201
    pk = created["Location"].rsplit("/", 1)[1]
    assert PowerPole.objects.get(pk=pk).owner_id == "PCBP"
    refused = send(client, "post", "/ogcapi/collections/power_poles/items", pole(owner="BPW"), **power)
    assert refused.status_code == 403 and refused.json()["code"] == "Forbidden"
    water_valve = WaterValve.objects.filter(owner="BPW").first()
    assert send(client, "patch", f"/ogcapi/collections/water_valves/items/{water_valve.pk}",
                {"type": "Feature", "geometry": None, "properties": {"state": "closed"}}, **power).status_code == 403
    assert client.delete(f"/ogcapi/collections/water_valves/items/{water_valve.pk}", **power).status_code == 403
    water = bearer([ROLE_UTILITY], org="BPW")
    assert send(client, "patch", f"/ogcapi/collections/water_valves/items/{water_valve.pk}",
                {"type": "Feature", "geometry": None, "properties": {"state": "closed"}}, **water).status_code == 204
    assert WaterValve.objects.get(pk=water_valve.pk).state == "closed"
    # officer:utilities (the department) edits every utility's assets.
    department = bearer([officer("utilities")])
    assert send(client, "post", "/ogcapi/collections/power_poles/items", pole(owner="BPW"), **department).status_code == 201


def test_tokens_need_the_write_scope(client):
    response = send(client, "post", "/ogcapi/collections/power_poles/items", pole(),
                    **bearer([ROLE_UTILITY], org="PCBP", scope="read"))
    assert response.status_code == 403 and response.json()["code"] == "InsufficientScope"


def test_bad_features_get_clear_errors(client):
    land = bearer([officer("land")])
    parcel = Parcel.objects.first()
    url = f"/ogcapi/collections/parcels/items/{parcel.pk}"
    bow_tie = {"type": "Polygon", "coordinates": [[[106.9, 11.5], [106.91, 11.51], [106.91, 11.5], [106.9, 11.51],
                                                   [106.9, 11.5]]]}
    cases = [
        ({"type": "Feature", "geometry": bow_tie, "properties": {}}, 400, "không hợp lệ"),
        ({"type": "Feature", "geometry": None, "properties": {"land_use_code": "XYZ"}}, 400, "danh mục"),
        ({"type": "Feature", "geometry": None, "properties": {"nope": 1}}, 400, "nope"),
        ({"type": "Point"}, 400, "Feature"),
    ]
    for body, status, words in cases:
        response = send(client, "patch", url, body, **land)
        assert response.status_code == status and words in response.json()["description"], body
    other = Parcel.objects.exclude(pk=parcel.pk).filter(commune_id=parcel.commune_id).first()
    clash = {"type": "Feature", "geometry": None, "properties": {"map_sheet_no": other.map_sheet_no,
                                                                  "parcel_no": other.parcel_no}}
    assert send(client, "patch", url, clash, **land).status_code == 409
    assert send(client, "patch", url, "not json", **land).status_code == 400
    assert client.delete("/ogcapi/collections/parcels/items/999999999", **land).status_code == 404
    good = {"type": "Feature", "geometry": None, "properties": {"address": "Số 1 Hùng Vương, Tân Phú"}}
    assert send(client, "patch", url, good, **land).status_code == 204
    assert Parcel.objects.get(pk=parcel.pk).address == "Số 1 Hùng Vương, Tân Phú"


def test_browser_sessions_need_the_csrf_token():
    user = User.objects.create_user("dat-dai", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=officer("land"))[0])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    parcel = Parcel.objects.first()
    body = {"type": "Feature", "geometry": None, "properties": {"address": "x"}}
    assert send(strict, "patch", f"/ogcapi/collections/parcels/items/{parcel.pk}", body).status_code == 403
    strict.get("/data/")  # sets the CSRF cookie
    token = strict.cookies["csrftoken"].value
    assert send(strict, "patch", f"/ogcapi/collections/parcels/items/{parcel.pk}", body,
                HTTP_X_CSRFTOKEN=token).status_code == 204
