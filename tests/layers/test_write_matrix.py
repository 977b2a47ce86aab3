"""Every writer, refused or allowed by the same role × layer matrix (issue 10: one write service).

Writers: the OGC API (create, replace, delete; bearer tokens, as machine clients use it), the web
import (the data pages: upload → check → start) in append, replace and upsert, and the admin (add,
change, delete); plus reading the change feed, which follows the read rules of items.
Callers: anonymous, a signed-in user without roles, the officer of the layer's department, a
utility of the organisation that owns the feature written (BPW, the demo's water company) and a
utility of another organisation (PCBP), an administrator. Layers: public (parcels), internal and
owner-scoped (water_valves), internal without owners (cameras).

Every write targets a feature of the same subject: an existing one (replace, delete, upsert) or a
new one (create, append, replace) whose owner, on an owner-scoped layer, is BPW. The one rule,
written here from the layer specs: a caller may write when the layer is editable by its roles and,
when only an owner-scoped role lets it edit, the feature is its organisation's. Each cell runs in a
savepoint rolled back afterwards, so every caller starts from the same features.
"""
import json
import shutil
import time
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction
from jwcrypto import jwt

from accounts.models import Profile
from accounts.tokens import signing_key
from importers.records import job_state_read, upload_dir
from layers import registry
from layers.fields import target_fields
from tests.importers import corpus

pytestmark = pytest.mark.django_db
OWNER, OTHER = "BPW", "PCBP"  # the demo's valves are all BPW's
CALLERS = ("anonymous", "citizen", "officer", "utility_owner", "utility_other", "admin")


@dataclass(frozen=True)
class Layer:
    department: str  # the officers who edit it
    key: tuple[str, ...]  # the columns that identify a feature (upsert's key)
    column: str  # a text or number column the writes change
    value: object


LAYERS = {
    "parcels": Layer("land", ("commune_code", "map_sheet_no", "parcel_no"), "address", "Đã sửa bởi ma trận"),
    "water_valves": Layer("utilities", ("asset_code",), "diameter_mm", 777),
    "cameras": Layer("public_security", ("camera_code",), "road_name", "Đã sửa bởi ma trận"),
}
WRITES = ("api create", "api replace", "api delete", "import append", "import replace", "import upsert",
          "admin add", "admin change", "admin delete")


def roles_of(caller: str, layer: Layer) -> set[str]:
    return {"anonymous": set(), "citizen": set(), "officer": {registry.officer(layer.department)},
            "utility_owner": {registry.ROLE_UTILITY}, "utility_other": {registry.ROLE_UTILITY},
            "admin": {registry.ROLE_ADMIN}}[caller]


def organisation_of(caller: str) -> str | None:
    return {"utility_owner": OWNER, "utility_other": OTHER}.get(caller)


def may_write(caller: str, spec: registry.LayerSpec) -> bool:
    """The matrix: the layer's edit roles, and owner scoping of roles that edit only their own assets."""
    roles = roles_of(caller, LAYERS[spec.id])
    if not spec.editable_by(roles):
        return False
    only_as_owner = spec.owner_field and not spec.editable_by(roles - set(spec.owner_scoped_roles))
    return not only_as_owner or organisation_of(caller) == OWNER


def expected_read(caller: str, spec) -> int:
    if spec.readable_by(roles_of(caller, LAYERS[spec.id])):
        return 200
    return 404 if caller == "anonymous" else 403


# -- callers -----------------------------------------------------------------------------------------

@pytest.fixture
def users(db) -> dict[str, dict[str, User]]:
    """{layer id: {caller: a Django user}} (anonymous: None), each with its roles and organisation."""
    made = {}
    for layer_id, layer in LAYERS.items():
        made[layer_id] = {"anonymous": None}
        for caller in CALLERS[1:]:
            user = User.objects.create_user(f"{caller}-{layer_id}", password="x-unused-x")
            for role in roles_of(caller, layer):
                user.groups.add(Group.objects.get_or_create(name=role)[0])
            if organisation_of(caller):
                Profile.objects.update_or_create(user=user, defaults={"organisation_id": organisation_of(caller)})
            made[layer_id][caller] = user
    return made


def bearer(user: User | None, layer: Layer, caller: str) -> dict:
    """The caller's token, as the built-in provider issues it (roles, organisation, read and write scopes)."""
    if user is None:
        return {}
    now = int(time.time())
    claims = {"iss": "http://testserver/o", "aud": "binhphuoc-gis", "iat": now, "nbf": now, "exp": now + 600,
              "sub": str(user.pk), "client_id": "matrix", "scope": "read write",
              "roles": sorted(roles_of(caller, layer))}
    if organisation_of(caller):
        claims["org"] = organisation_of(caller)
    signed = jwt.JWT(header={"alg": "RS256", "typ": "at+jwt", "kid": signing_key().thumbprint()}, claims=claims)
    signed.make_signed_token(signing_key())
    return {"HTTP_AUTHORIZATION": f"Bearer {signed.serialize()}"}


def sign_in(client, user: User | None) -> None:
    client.logout()
    if user is not None:
        client.force_login(user)


# -- features ------------------------------------------------------------------------------------------

def subject(spec):
    """The existing feature the writes aim at (on an owner-scoped layer, one of the owner's)."""
    found = spec.model.objects.order_by("pk")
    return (found.filter(**{f"{spec.owner_field}_id": OWNER}) if spec.owner_field else found).first()


def properties_of(spec, instance) -> dict:
    values = {}
    for target in target_fields(spec):
        value = getattr(instance, target.field.attname)
        values[target.column] = value.isoformat() if hasattr(value, "isoformat") else value
    return values


def fresh(spec, instance, n: int) -> dict:
    """A new feature of the subject: the existing one's values with a new key (and the owner's organisation)."""
    properties = properties_of(spec, instance)
    for column in LAYERS[spec.id].key[-1:]:
        properties[column] = 990_000 + n if isinstance(properties[column], int) else f"MATRIX-{n}"
    return {"type": "Feature", "geometry": json.loads(instance.geom.geojson), "properties": properties}


def changed(spec, instance) -> dict:
    layer = LAYERS[spec.id]
    return {"type": "Feature", "geometry": json.loads(instance.geom.geojson),
            "properties": {**properties_of(spec, instance), layer.column: layer.value}}


def state(spec) -> tuple:
    """What a write could change: the features' ids and the subject's changed column."""
    layer = LAYERS[spec.id]
    column = next(t.field.attname for t in target_fields(spec) if t.column == layer.column)
    return (tuple(spec.model.objects.order_by("pk").values_list("pk", flat=True)),
            spec.model.objects.filter(pk=subject(spec).pk).values_list(column, flat=True).first())


@pytest.fixture
def foreign_valve(db):
    """A valve of the other organisation: no write of the owner's utility may touch it."""

    valve = subject(registry.get("water_valves"))
    valve.pk, valve.asset_code, valve.owner_id = None, "PCBP-V-MATRIX", OTHER
    valve.save()
    return valve


# -- the writers -----------------------------------------------------------------------------------------

def api_write(client, spec, action, user, caller, instance, n):
    auth = bearer(user, LAYERS[spec.id], caller)
    base = f"/ogcapi/collections/{spec.id}/items"
    if action == "create":
        return client.post(base, json.dumps(fresh(spec, instance, n)), content_type="application/geo+json", **auth)
    if action == "replace":
        return client.put(f"{base}/{instance.pk}", json.dumps(changed(spec, instance)),
                          content_type="application/geo+json", **auth)
    return client.delete(f"{base}/{instance.pk}", **auth)


def import_write(client, spec, mode, user, feature, path):
    """Upload `feature` as a file, check it, confirm it in `mode`: the status of the step that
    refused it, or the state of the import job."""
    corpus.geojson(path, [feature])
    sign_in(client, user)
    with open(path, "rb") as f:
        uploaded = client.post("/data/upload", {"file": f, "target": spec.id})
    if uploaded.status_code != 302 or not uploaded["Location"].startswith("/data/upload/"):
        return uploaded.status_code
    token = uploaded["Location"].split("/")[3]
    try:
        form = {"layer": spec.id, "mode": mode, "key": ",".join(LAYERS[spec.id].key)}
        checked = client.get(f"/data/upload/{token}/", form)
        if checked.status_code != 200:
            return checked.status_code
        started = client.post(f"/data/upload/{token}/start", {**form, "replace_confirmed": "yes"})
        if started.status_code != 302:
            return started.status_code
        return job_state_read(token)["state"]
    finally:
        shutil.rmtree(upload_dir(token), ignore_errors=True)


def admin_form(spec, properties: dict, geometry: dict | None) -> dict:
    names = {f.column: f.name for f in spec.model._meta.concrete_fields}
    return {**{names[c]: "" if v is None else v for c, v in properties.items()},
            "geometry": json.dumps(geometry) if geometry else ""}


def admin_write(client, spec, action, user, instance, n):
    sign_in(client, user)
    base = f"/admin/{spec.model._meta.app_label}/{spec.model._meta.model_name}"
    if action == "add":
        feature = fresh(spec, instance, n)
        return client.post(f"{base}/add/", admin_form(spec, feature["properties"], feature["geometry"]))
    if action == "change":
        properties = changed(spec, instance)["properties"]
        return client.post(f"{base}/{instance.pk}/change/", admin_form(spec, properties, None))
    return client.post(f"{base}/{instance.pk}/delete/", {"post": "yes"})


def admin_refused(response) -> bool:
    """The admin's refusals: sign in first, 403, or the form again with the service's refusal on it."""
    return (response.status_code == 302 and "/login/" in response["Location"]) or response.status_code == 403 or (
        response.status_code == 200 and "errornote" in response.content.decode())


# -- the matrix ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer_id", list(LAYERS))
def test_every_writer_follows_the_same_role_matrix(client, users, foreign_valve, tmp_path, layer_id):
    spec = registry.get(layer_id)
    instance = subject(spec)
    observed, expected, n = {}, {}, 0
    others = list(spec.model.objects.exclude(**{f"{spec.owner_field}_id": OWNER}).values()) \
        if spec.owner_field else []
    for caller in CALLERS:
        user = users[layer_id][caller]
        for write in WRITES:
            n += 1
            writer, action = write.split()
            with transaction.atomic():
                before = state(spec)
                if writer == "api":
                    response = api_write(client, spec, action, user, caller, instance, n)
                    answer = response.status_code
                    refused = answer in (401, 403, 404)
                elif writer == "import":
                    feature = changed(spec, instance) if action == "upsert" else fresh(spec, instance, n)
                    answer = import_write(client, spec, action, user, feature, tmp_path / f"{n}.geojson")
                    refused = answer in (302, 400, 403, "rejected")  # 302: to the sign-in page
                else:
                    response = admin_write(client, spec, action, user, instance, n)
                    answer, refused = response.status_code, admin_refused(response)
                written = state(spec) != before
                if others and caller.startswith("utility"):  # its writes never touch another organisation's
                    assert list(spec.model.objects.exclude(**{f"{spec.owner_field}_id": OWNER}).values()) == others, \
                        (caller, write)
                transaction.set_rollback(True)
            # A refusal writes nothing and says so; an allowed write writes and says nothing else.
            assert written != refused, (caller, write, answer, written)
            observed[caller, write] = "written" if written else "refused"
            expected[caller, write] = "written" if may_write(caller, spec) else "refused"
    assert observed == expected


def test_a_utility_import_in_every_mode_changes_no_other_organisations_feature(client, users, foreign_valve,
                                                                               tmp_path):
    """The data-loss hole of issue 10: PCBP's utility imports its own valves in every mode; the water
    company's (BPW's) valves stay exactly as they were, and a row keyed to one of them is refused."""
    spec = registry.get("water_valves")
    bpw = spec.model.objects.filter(owner_id=OWNER)
    before = list(bpw.order_by("pk").values())
    own = fresh(spec, foreign_valve, 1)
    own["properties"]["owner"] = OTHER
    mine = changed(spec, foreign_valve)
    for mode, feature in (("append", own), ("replace", own), ("upsert", mine)):
        with transaction.atomic():
            assert import_write(client, spec, mode, users["water_valves"]["utility_other"], feature,
                                tmp_path / f"{mode}.geojson") == "done", mode
            assert list(bpw.order_by("pk").values()) == before, mode
            transaction.set_rollback(True)
    theirs = changed(spec, subject(spec))
    theirs["properties"]["owner"] = OTHER  # claims BPW's valve for PCBP by its asset code
    path = corpus.geojson(tmp_path / "claim.geojson", [theirs])
    sign_in(client, users["water_valves"]["utility_other"])
    with open(path, "rb") as f:
        token = client.post("/data/upload", {"file": f, "target": spec.id})["Location"].split("/")[3]
    try:
        form = {"layer": spec.id, "mode": "upsert", "key": "asset_code"}
        check = client.get(f"/data/upload/{token}/", form)
        assert check.status_code == 200 and check.context["report"].rejected == 1
        assert "đơn vị khác" in check.context["report"].reasons[0][1]
        assert client.post(f"/data/upload/{token}/start", form).status_code == 400  # nothing to load
    finally:
        shutil.rmtree(upload_dir(token), ignore_errors=True)
    assert list(bpw.order_by("pk").values()) == before


@pytest.mark.parametrize("layer_id", list(LAYERS))
def test_the_change_feed_follows_the_read_rules_of_items(client, users, layer_id):
    spec = registry.get(layer_id)
    for caller in CALLERS:
        auth = bearer(users[layer_id][caller], LAYERS[layer_id], caller)
        items = client.get(f"/ogcapi/collections/{layer_id}/items", {"f": "json", "limit": 1}, **auth)
        feed = client.get(f"/ogcapi/collections/{layer_id}/changes", {"since": "latest"}, **auth)
        assert items.status_code == feed.status_code == expected_read(caller, spec), (caller, feed.content[:200])
