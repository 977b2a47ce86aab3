"""A feature's history through the OGC API: its versions (who only for editors), each version as
GeoJSON, the feature and the whole collection as they were at an instant (datetime=), 410 Gone
with a link to the last version of a deleted feature, and reverting to an earlier version."""
import datetime as dt
import json

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from layers.models import Change
from layers.registry import ROLE_UTILITY, officer
from tests.layers.test_editing import bearer
from tests.layers.test_optimistic_locking import ITEMS, created, poi, send, tourism
from tourism.models import TourismPoi
from utilities.models import WaterValve

pytestmark = pytest.mark.django_db
# A spot in the province with no seeded point of interest within 50 m.
HERE = [106.9512, 11.6512]
AROUND = "106.951,11.651,106.952,11.652"


def rfc3339(at) -> str:
    return at.isoformat().replace("+00:00", "Z")


def edit(client, url, **properties):
    response = send(client, "patch", url, {"properties": properties}, "application/merge-patch+json", **tourism())
    assert response.status_code == 204, response.content
    return response


def changes_of(url):
    return list(Change.objects.filter(layer_id="tourism_pois", feature_id=url.rsplit("/", 1)[1]).order_by("id"))


@pytest.fixture
def edited_five_times(client):
    """A point of interest created and edited five times: (its URL, its properties at versions 1-6)."""
    url = created(client, {**poi("Bản 1"), "geometry": {"type": "Point", "coordinates": HERE}})
    states = [{"name": "Bản 1", "category": "nature", "address": "Đồng Xoài", "description": ""}]
    for n in range(2, 7):
        change = {"name": f"Bản {n}"} if n % 2 else {"name": f"Bản {n}", "address": f"Số {n}"}
        edit(client, url, **change)
        states.append({**states[-1], **change})
    return url, states


def test_a_feature_edited_five_times_has_six_readable_versions_and_as_of_reads_match_them(client, edited_five_times):
    url, states = edited_five_times
    listed = client.get(f"{url}/versions").json()
    assert [(v["version"], v["op"]) for v in listed["versions"]] == [(1, "insert")] + [(n, "update") for n in range(2, 7)]
    for n, state in enumerate(states, start=1):
        version = client.get(f"{url}/versions/{n}")
        assert version.status_code == 200 and version["Content-Type"] == "application/geo+json"
        assert version.json()["properties"] == state and version.json()["version"] == n
        assert version.json()["geometry"] == {"type": "Point", "coordinates": HERE}
    # As of the instant of each change: the version it made, for the feature and in the collection.
    for n, change in enumerate(changes_of(url), start=1):
        at = rfc3339(change.at)
        feature = client.get(url, {"datetime": at})
        assert feature.status_code == 200 and feature.json()["properties"] == states[n - 1], n
        collection = client.get(ITEMS, {"datetime": at, "bbox": AROUND}).json()
        assert [f["properties"] for f in collection["features"]] == [states[n - 1]], n
    assert client.get(f"{url}/versions/7").status_code == 404
    assert client.get(f"{url}/versions/0").status_code == 404


def test_an_as_of_read_before_the_feature_existed_is_404_and_after_its_deletion_410(client, edited_five_times):
    url, states = edited_five_times
    just_before = rfc3339(changes_of(url)[0].at - dt.timedelta(microseconds=1))
    assert client.get(url, {"datetime": just_before}).status_code == 404
    assert client.get(ITEMS, {"datetime": just_before, "bbox": AROUND}).json()["features"] == []
    assert client.delete(url, **tourism()).status_code == 204
    gone = client.get(url)
    assert gone.status_code == 410 and gone.json()["code"] == "Gone"
    latest = next(link for link in gone.json()["links"] if link["rel"] == "latest-version")
    assert latest["href"].endswith(f"{url}/versions/6") and 'rel="latest-version"' in gone["Link"]
    assert client.get(latest["href"]).json()["properties"] == states[5]
    assert client.get(f"{url}/versions/7").status_code == 410  # the deletion's tombstone
    deleted_at = rfc3339(changes_of(url)[-1].at)
    assert client.get(url, {"datetime": deleted_at}).status_code == 410
    # Read as of just before the deletion, the feature is there, in the collection too.
    before = rfc3339(changes_of(url)[-2].at)
    assert client.get(url, {"datetime": before}).json()["properties"] == states[5]
    assert [f["id"] for f in client.get(ITEMS, {"datetime": before, "bbox": AROUND}).json()["features"]] == [
        int(url.rsplit("/", 1)[1])]
    assert client.get(ITEMS, {"datetime": deleted_at, "bbox": AROUND}).json()["features"] == []


def test_the_collection_as_of_now_is_what_items_serve_with_the_same_columns_and_paging(client):
    """Seeded features (committed, so pygeoapi sees them): the as-of page equals the items page."""
    now = rfc3339(Change.objects.latest("id").at)
    served = client.get(ITEMS, {"limit": 5, "offset": 3}).json()
    as_of = client.get(ITEMS, {"limit": 5, "offset": 3, "datetime": now})
    assert as_of.status_code == 200 and as_of["Content-Type"] == "application/geo+json"
    document = as_of.json()
    assert document["numberReturned"] == 5 and document["type"] == "FeatureCollection"
    for mine, theirs in zip(document["features"], served["features"], strict=True):
        assert (mine["id"], mine["properties"]) == (theirs["id"], theirs["properties"])
        assert mine["geometry"]["coordinates"] == pytest.approx(theirs["geometry"]["coordinates"], abs=1e-12)
    following = next(link["href"] for link in document["links"] if link["rel"] == "next")
    assert "offset=8" in following and "datetime=" in following
    last = client.get(ITEMS, {"limit": 1000, "datetime": now}).json()
    assert last["numberReturned"] == TourismPoi.objects.count() and not any(
        link["rel"] == "next" for link in last["links"])


@pytest.mark.parametrize("value", ["2026-12-03", "2026-12-03T08:00:00", "../..", "2026-01-01T00:00:00Z/..",
                                   "yesterday", "2026-02-30T00:00:00Z", "2000-01-01T00:00:00Z"])
def test_datetime_is_one_instant_within_the_history_or_a_clear_400(client, value):
    for url in (ITEMS, f"{ITEMS}/{TourismPoi.objects.first().pk}"):
        response = client.get(url, {"datetime": value})
        assert response.status_code == 400 and response.json()["code"] == "InvalidParameterValue", (url, value)
    for query in ({"sortby": "name"}, {"f": "html"}, {"q": "hồ"}):
        refused = client.get(ITEMS, {"datetime": rfc3339(Change.objects.latest("id").at), **query})
        assert refused.status_code == 400, query


def test_who_made_a_version_is_shown_only_to_editors(client, edited_five_times):
    url, _ = edited_five_times
    anonymous = client.get(f"{url}/versions").json()["versions"]
    assert all("by" not in v for v in anonymous) and anonymous[0]["source"] == "api"
    assert anonymous[0]["time"].endswith("Z")
    editor = client.get(f"{url}/versions", **tourism()).json()["versions"]
    assert editor[0]["by"] == "t (t)"  # the token's user and client (tests/layers/test_editing.bearer)
    assert all("by" not in v for v in client.get(f"{url}/versions", **bearer([officer("land")])).json()["versions"])


def test_versions_are_paged_and_listed_in_a_bounded_number_of_queries(client, edited_five_times,
                                                                      django_assert_max_num_queries):
    url, _ = edited_five_times
    with django_assert_max_num_queries(4):
        page = client.get(f"{url}/versions", {"limit": 2, "offset": 2}).json()
    assert [v["version"] for v in page["versions"]] == [3, 4]
    following = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert [v["version"] for v in client.get(following).json()["versions"]] == [5, 6]
    assert not any(link["rel"] == "next" for link in client.get(following).json()["links"])
    for query in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"f": "html"}, {"x": 1}):
        assert client.get(f"{url}/versions", query).status_code == 400, query
    assert client.get(f"{ITEMS}/999999999/versions").status_code == 404
    seeded = TourismPoi.objects.order_by("pk").first()
    assert client.get(f"{ITEMS}/{seeded.pk}/versions").json()["versions"][0]["version"] == 1


def test_versions_of_internal_layers_follow_the_read_rules(client):
    valve = WaterValve.objects.first()
    url = f"/ogcapi/collections/water_valves/items/{valve.pk}"
    for tail in ("/versions", "/versions/1"):
        assert client.get(url + tail).status_code == 404  # anonymous: the layer does not exist
        assert client.get(url + tail, **bearer([officer("land")])).status_code == 403
        assert client.get(url + tail, **bearer([ROLE_UTILITY], org="BPW")).status_code == 200
    assert client.post(url + "/versions/1/revert", **bearer([officer("land")])).status_code == 403


def test_an_editor_reverts_a_feature_to_an_earlier_version_as_a_new_one(client, edited_five_times):
    url, states = edited_five_times
    revert = f"{url}/versions/2/revert"
    assert Client(enforce_csrf_checks=True).post(revert).status_code == 401
    assert client.post(revert, **bearer([officer("land")])).status_code == 403
    assert client.post(revert, HTTP_IF_MATCH='"5"', **tourism()).status_code == 412
    reverted = client.post(revert, HTTP_IF_MATCH='"6"', **tourism())
    assert reverted.status_code == 200 and reverted["ETag"] == '"7"'
    assert reverted.json()["version"] == 7 and reverted.json()["deleted"] is False
    assert client.get(f"{url}/versions/7").json()["properties"] == states[1]
    assert changes_of(url)[-1].source == "revert"
    assert client.post(f"{url}/versions/99/revert", **tourism()).status_code == 400
    assert client.get(f"{url}/versions/1/revert").status_code == 405


def test_a_browser_session_reverts_with_its_csrf_token():
    user = User.objects.create_user("du-lich", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=officer("tourism"))[0])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    url = created(Client())
    send(Client(), "patch", url, {"properties": {"name": "Đổi"}}, "application/merge-patch+json", **tourism())
    assert browser.post(f"{url}/versions/1/revert").status_code == 403
    browser.get("/data/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    answer = browser.post(f"{url}/versions/1/revert", HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 200 and json.loads(answer.content)["version"] == 3
    assert TourismPoi.objects.get(pk=url.rsplit("/", 1)[1]).name == "Hồ Suối Lam"
