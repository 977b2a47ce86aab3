"""Every role × every layer × read and write, generated from the registry: each cell asserted.

Roles come from the registry's specs plus every officer department, anonymous callers, a signed-in
citizen without roles and administrators. Callers use bearer tokens signed by the built-in provider.
Reads: items, one item, tiles and the change feed (same rules); writes: API create and delete.
The other writers (imports in every mode, the admin) and owner scoping: test_write_matrix.py."""
import json
import time

import pytest
from jwcrypto import jwt

from accounts.services import DEPARTMENTS
from accounts.tokens import signing_key
from layers.fields import target_fields
from layers import registry

pytestmark = pytest.mark.django_db
ORGANISATION = "PCBP"
ROLES = sorted({r for s in registry.all_layers() for r in (*s.read_roles, *s.edit_roles)}
               | {registry.officer(d) for d in DEPARTMENTS} | {registry.ROLE_ADMIN})
CALLERS = ["anonymous", "citizen", *ROLES]


def token(roles: list[str]) -> str:
    now = int(time.time())
    claims = {"iss": "http://testserver/o", "aud": "binhphuoc-gis", "iat": now, "nbf": now, "exp": now + 600,
              "sub": "matrix", "client_id": "matrix", "scope": "read write", "roles": roles, "org": ORGANISATION}
    signed = jwt.JWT(header={"alg": "RS256", "typ": "at+jwt", "kid": signing_key().thumbprint()}, claims=claims)
    signed.make_signed_token(signing_key())
    return signed.serialize()


def headers(caller: str) -> dict:
    if caller == "anonymous":
        return {}
    return {"HTTP_AUTHORIZATION": f"Bearer {token([] if caller == 'citizen' else [caller])}"}


def new_feature(spec: registry.LayerSpec) -> dict:
    """A valid feature for the layer: a copy of an existing one with fresh unique values."""
    existing = spec.model.objects.exclude(**({spec.owner_field: None} if spec.owner_field else {})).first()
    properties = {}
    for target in target_fields(spec):
        value = getattr(existing, target.field.attname)
        properties[target.column] = value.isoformat() if hasattr(value, "isoformat") else value
    for column in {c for unique in _unique_columns(spec) for c in unique}:
        field = next(t.field for t in target_fields(spec) if t.column == column)
        if field.get_internal_type() in ("CharField",):
            properties[column] = ("9" + str(time.time_ns())[-(field.max_length - 1):])[: field.max_length]
        else:
            properties[column] = 900_000 + time.time_ns() % 99_999
    if spec.owner_field:
        properties[spec.owner_field] = ORGANISATION
    return {"type": "Feature", "geometry": json.loads(existing.geom.geojson), "properties": properties}


def _unique_columns(spec):
    from importers.services import _unique_sets

    return [s for s in _unique_sets(spec) if len(s) == 1] + [s[-1:] for s in _unique_sets(spec) if len(s) > 1]


def expected_read(caller: str, spec) -> int:
    roles = set() if caller in ("anonymous", "citizen") else {caller}
    if spec.readable_by(roles):
        return 200
    return 404 if caller == "anonymous" else 403


def expected_write(caller: str, spec) -> int:
    roles = set() if caller in ("anonymous", "citizen") else {caller}
    if caller == "anonymous":
        return 401 if spec.readable_by(roles) else 404
    if not spec.readable_by(roles) or not spec.editable_by(roles):
        return 403
    return 201


@pytest.mark.parametrize("layer_id", [s.id for s in registry.all_layers()])
def test_every_role_reads_and_writes_exactly_what_the_registry_says(client, layer_id):
    spec = registry.get(layer_id)
    feature = new_feature(spec)
    for caller in CALLERS:
        read = client.get(f"/ogcapi/collections/{layer_id}/items", {"f": "json", "limit": 1}, **headers(caller))
        assert read.status_code == expected_read(caller, spec), (caller, "read", read.content[:200])
        item = client.get(f"/ogcapi/collections/{layer_id}/items/{spec.model.objects.first().pk}", {"f": "json"},
                          **headers(caller))
        assert item.status_code == expected_read(caller, spec), (caller, "read item")
        tile = client.get(f"/tiles/{layer_id}/0/0/0.pbf", **headers(caller))
        assert tile.status_code == expected_read(caller, spec), (caller, "tile")
        feed = client.get(f"/ogcapi/collections/{layer_id}/changes", {"since": "latest"}, **headers(caller))
        assert feed.status_code == expected_read(caller, spec), (caller, "change feed", feed.content[:200])
        wanted = expected_write(caller, spec)
        write = client.post(f"/ogcapi/collections/{layer_id}/items", json.dumps(feature),
                            content_type="application/geo+json", **headers(caller))
        assert write.status_code == wanted, (caller, "write", write.content[:300])
        if wanted == 201:
            created = write["Location"].rsplit("/", 1)[1]
            removed = client.delete(f"/ogcapi/collections/{layer_id}/items/{created}", **headers(caller))
            assert removed.status_code == 204, (caller, "delete", removed.content[:300])
            assert not spec.model.objects.filter(pk=created).exists()
