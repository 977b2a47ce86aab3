"""Optimistic locking of features through the OGC API (Features Part 4 with ETags): a single item
answers its version as a strong ETag, a conditional GET answers 304, PUT/PATCH/DELETE honour
If-Match (412 with the current ETag when the feature changed in between, 428 when required and
missing), PATCH takes JSON merge patches; two officers editing one feature at once lose nothing."""
import json
import threading

import pytest
from django.db import connection
from django.test import Client, override_settings

from layers import history, registry
from layers.models import Change
from layers.registry import officer
from tests.layers.test_editing import bearer
from tourism.models import TourismPoi

pytestmark = pytest.mark.django_db
ITEMS = "/ogcapi/collections/tourism_pois/items"


def tourism() -> dict:
    """A tourism officer's bearer token, made when used (tokens live 10 minutes; the suite runs longer)."""
    return bearer([officer("tourism")])


def poi(name="Hồ Suối Lam", **properties) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.95, 11.65]},
            "properties": {"name": name, "category": "nature", "address": "Đồng Xoài", **properties}}


def send(client, method, url, body=None, content_type="application/geo+json", **extra):
    return getattr(client, method)(url, json.dumps(body) if body is not None else None, content_type=content_type,
                                   **extra)


def created(client, feature=None) -> str:
    response = send(client, "post", ITEMS, feature or poi(), **tourism())
    assert response.status_code == 201 and response["ETag"] == '"1"'
    return response["Location"].removeprefix("http://testserver")


def test_a_single_item_answers_its_version_and_a_matching_if_none_match_gets_304(client, monkeypatch):
    seeded = TourismPoi.objects.order_by("pk").first()  # committed by the seed: pygeoapi serves it
    url = f"{ITEMS}/{seeded.pk}"
    version = history.current_version(registry.get("tourism_pois"), seeded.pk)
    for fmt in ("json", "html"):
        response = client.get(url, {"f": fmt})
        assert response.status_code == 200 and response["ETag"] == f'"{version}"', fmt
    compressed = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip" and compressed["ETag"] == f'W/"{version}"'
    # Unchanged: answered from the version alone, pygeoapi is not asked.
    monkeypatch.setattr("ogcapi.views.itemtypes_api.get_collection_item", None)
    for tags in (f'"{version}"', f'W/"{version}"', f'"999", "{version}"', "*"):
        not_modified = client.get(url, HTTP_IF_NONE_MATCH=tags)
        assert not_modified.status_code == 304 and not_modified["ETag"] == f'"{version}"', tags
    assert client.get(f"{ITEMS}/999999999", HTTP_IF_NONE_MATCH="*").status_code == 404


def test_edits_answer_the_new_etag_and_a_stale_if_match_gets_412_with_the_current_one(client):
    url = created(client)
    assert send(client, "patch", url, {"properties": {"name": "A"}}, "application/merge-patch+json",
                HTTP_IF_MATCH='"1"', **tourism())["ETag"] == '"2"'
    stale = send(client, "put", url, poi("B"), HTTP_IF_MATCH='"1"', **tourism())
    assert stale.status_code == 412 and stale["ETag"] == '"2"' and stale.json()["code"] == "PreconditionFailed"
    assert TourismPoi.objects.get(pk=url.rsplit("/", 1)[1]).name == "A"  # the stale edit changed nothing
    # Compressed answers carried W/"2"; several tags, one of them current; * for "whatever it is now".
    for tags, expected in (('W/"2"', '"3"'), ('"1", "3"', '"4"'), ("*", '"5"')):
        response = send(client, "put", url, poi(f"C {tags}"), HTTP_IF_MATCH=tags, **tourism())
        assert (response.status_code, response["ETag"]) == (204, expected), tags
    assert send(client, "patch", url, {"properties": {"name": "D"}}, "application/merge-patch+json",
                HTTP_IF_MATCH='"not-a-version"', **tourism()).status_code == 412
    assert send(client, "patch", url, {"properties": {"name": "D"}}, "application/merge-patch+json",
                HTTP_IF_MATCH="5", **tourism()).status_code == 400  # not an entity tag at all
    assert client.delete(url, HTTP_IF_MATCH='"4"', **tourism()).status_code == 412
    assert client.delete(url, HTTP_IF_MATCH='"5"', **tourism()).status_code == 204
    assert not TourismPoi.objects.filter(pk=url.rsplit("/", 1)[1]).exists()


@override_settings(GEO_REQUIRE_IF_MATCH=True)
def test_when_the_setting_requires_if_match_an_edit_without_it_gets_428(client):
    url = created(client)  # creating needs no If-Match: there is nothing to have read
    for method, body in (("put", poi("E")), ("patch", {"properties": {"name": "E"}}), ("delete", None)):
        response = send(client, method, url, body, "application/merge-patch+json" if method == "patch"
                        else "application/geo+json", **tourism())
        assert response.status_code == 428 and response.json()["code"] == "PreconditionRequired", method
    assert send(client, "patch", url, {"properties": {"name": "E"}}, "application/merge-patch+json",
                HTTP_IF_MATCH='"1"', **tourism()).status_code == 204
    assert client.delete(url, HTTP_IF_MATCH='"2"', **tourism()).status_code == 204


def test_patch_takes_a_merge_patch_where_null_clears_a_property(client):
    url = created(client, poi(description="Hồ nước"))
    pk = url.rsplit("/", 1)[1]
    response = send(client, "patch", url, {"properties": {"description": None, "name": "Hồ Suối Lam mới"}},
                    "application/merge-patch+json", **tourism())
    assert response.status_code == 204
    saved = TourismPoi.objects.get(pk=pk)
    # description is text without NULL: cleared to ""; the geometry, left out, is kept.
    assert (saved.name, saved.description, saved.address) == ("Hồ Suối Lam mới", "", "Đồng Xoài")
    assert saved.geom.coords == (106.95, 11.65)
    assert send(client, "patch", url, {"properties": {"address": None}}, "application/json",
                **tourism()).status_code == 204
    assert TourismPoi.objects.get(pk=pk).address == ""
    moved = {"geometry": {"type": "Point", "coordinates": [106.96, 11.66]}}
    assert send(client, "patch", url, moved, "application/merge-patch+json", **tourism()).status_code == 204
    assert TourismPoi.objects.get(pk=pk).geom.coords == (106.96, 11.66)
    for body, words in (({"geometry": None}, "hình học"), ({"properties": {"name": None}}, "name"),
                        ({"properties": None}, "null"), ([1, 2], "JSON"), ({"type": "Point"}, "Feature")):
        refused = send(client, "patch", url, body, "application/merge-patch+json", **tourism())
        assert refused.status_code == 400 and words in refused.json()["description"], body
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        refused = send(client, "patch", url, {"properties": {"name": "F"}}, content_type, **tourism())
        assert refused.status_code == 415 and refused.json()["code"] == "UnsupportedMediaType", content_type
    assert TourismPoi.objects.get(pk=pk).name == "Hồ Suối Lam mới"


def _in_thread(work):
    """Run `work()` in a thread of its own, with its own database connection (committed writes)."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        finally:
            connection.close()
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome["value"]


def test_two_officers_editing_one_feature_with_the_same_etag_exactly_one_wins_and_nothing_is_lost():
    """Two threads, two connections, committed transactions: both read version 1 and send their
    edit at the same moment (a barrier); one wins, the other gets 412 and the current ETag, reads
    again and applies its edit on top: both edits are in the feature, as versions 2 and 3."""
    url = _in_thread(lambda: created(Client()))
    pk = int(url.rsplit("/", 1)[1])
    barrier = threading.Barrier(2)
    answers = {}

    def officer_edits(who, properties):
        try:
            client = Client()
            seen = client.get(url)["ETag"]
            barrier.wait(timeout=60)
            response = send(client, "patch", url, {"properties": properties}, "application/merge-patch+json",
                            HTTP_IF_MATCH=seen, **tourism())
            if response.status_code == 412:  # read again, edit again on top of the other's change
                answers[who + " first"] = (412, response["ETag"])
                response = send(client, "patch", url, {"properties": properties}, "application/merge-patch+json",
                                HTTP_IF_MATCH=response["ETag"], **tourism())
            answers[who] = (response.status_code, response["ETag"])
        finally:
            connection.close()
    threads = [threading.Thread(target=officer_edits, args=("name", {"name": "Hồ Suối Lam (đã đổi tên)"})),
               threading.Thread(target=officer_edits, args=("address", {"address": "Phường Tân Bình"}))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        losers = [key for key in answers if key.endswith(" first")]
        assert len(losers) == 1 and answers[losers[0]] == (412, '"2"'), answers
        assert sorted(answers[k] for k in ("name", "address")) == [(204, '"2"'), (204, '"3"')]

        def final():
            feature = Client().get(url).json()  # through pygeoapi, from its own connection
            return feature["properties"], [c.version for c in Change.objects.filter(
                layer_id="tourism_pois", feature_id=pk).order_by("id")]
        properties, versions = _in_thread(final)
        assert (properties["name"], properties["address"]) == ("Hồ Suối Lam (đã đổi tên)", "Phường Tân Bình")
        assert versions == [1, 2, 3]
    finally:
        _in_thread(lambda: Client().delete(url, **tourism()))  # committed: leave the layer as it was


def test_the_openapi_document_describes_etags_preconditions_versions_and_the_change_feed(client):
    document = client.get("/ogcapi/openapi", {"f": "json"}).json()
    paths, components = document["paths"], document["components"]
    item = paths["/collections/tourism_pois/items/{featureId}"]
    assert {"304", "410"} <= set(item["get"]["responses"]) and "as-of" in item["get"]["description"]
    assert components["responses"]["VersionedFeature"]["headers"]["ETag"]
    for method in ("put", "patch", "delete"):
        assert {"412", "428"} <= set(item[method]["responses"]), method
        assert {"$ref": "#/components/parameters/If-Match"} in item[method]["parameters"], method
    assert item["patch"]["requestBody"]["content"]["application/merge-patch+json"]["schema"] == {
        "$ref": "#/components/schemas/mergePatch"} and "415" in item["patch"]["responses"]
    assert components["responses"]["PreconditionFailed"]["headers"]["ETag"]
    assert "datetime" in paths["/collections/tourism_pois/items"]["get"]["description"]
    assert "/collections/tourism_pois/items/{featureId}/versions/{version}/revert" in paths
    assert "410" in paths["/collections/tourism_pois/items/{featureId}/versions/{version}"]["get"]["responses"]
    changes = paths["/collections/tourism_pois/changes"]["get"]
    assert [p["name"] for p in changes["parameters"]] == ["limit"] and "since=latest" in changes["description"]
    assert {"200", "400", "404", "410"} <= set(changes["responses"])
    assert "/collections/water_valves/changes" not in paths  # internal: not in an anonymous caller's document
