"""The data-loss hole of issue 10, closed on the web importer: an account that may edit a utility
layer only as its owner (a utility of one organisation) could upload a file in `replace` mode into
`water_valves` and delete every other organisation's valves. Now its imports, in every mode, touch
only its organisation's features (layers.writes): rows of another organisation are refused as
rejects, replace deletes only its own valves, an upsert key naming another organisation's valve is
refused, and rows without an owner are stamped with its organisation. Proved through the pages an
officer uses: upload, check, confirm (and the replace confirmation). The demo province's valves all
belong to the water company (BPW); the account is the power company's (PCBP)."""
import html
import re

import pytest
from django.contrib.auth.models import Group, User

from accounts.models import Profile
from importers.records import job_state_read
from layers.registry import ROLE_UTILITY
from utilities.models import WaterValve

from . import corpus

pytestmark = pytest.mark.django_db

OTHER, OWN = "BPW", "PCBP"


@pytest.fixture
def pcbp_utility(client):
    """A signed-in account of the power company (PCBP), with the utility role only."""
    user = User.objects.create_user("pcbp-nap", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=ROLE_UTILITY)[0])
    Profile.objects.update_or_create(user=user, defaults={"organisation_id": OWN})
    client.force_login(user)
    return user


@pytest.fixture
def own_valves(db):
    """Two valves PCBP already has in the layer, before its import."""
    return [WaterValve.objects.create(asset_code=f"PCBP-OLD-{i}", owner_id=OWN, status_id="operating", state="open",
                                      diameter_mm=80, geom=f"SRID=4326;POINT({106.880 + i * 1e-4} 11.530)")
            for i in range(2)]


def valves(codes, *, owner: str | None = None, diameter: int = 100) -> list[dict]:
    """Valves with these asset codes, 10 m apart; with an `owner` column only when given."""
    features = []
    for i, code in enumerate(codes):
        properties = {"asset_code": code, "status": "operating", "state": "open", "diameter_mm": diameter}
        if owner is not None:
            properties["owner"] = owner[i] if isinstance(owner, list) else owner
        features.append({"type": "Feature", "properties": properties,
                         "geometry": {"type": "Point", "coordinates": [106.884 + i * 1e-4, 11.535]}})
    return features


def other_organisations_valves() -> dict:
    """Every valve not PCBP's, column by column (geometry as EWKB): compared before and after."""
    rows = WaterValve.objects.exclude(owner_id=OWN).values_list("id", "asset_code", "owner_id", "status_id", "state",
                                                                 "diameter_mm", "geom")
    return {row[0]: (*row[1:6], bytes(row[6].ewkb)) for row in rows}


def upload(client, uploads, tmp_path, features, name: str) -> str:
    path = corpus.geojson(tmp_path / name, features)
    with open(path, "rb") as f:
        response = client.post("/data/upload", {"file": f, "target": "water_valves"})
    assert response.status_code == 302, response.content
    uploads.append(response["Location"].split("/")[3])
    return uploads[-1]


def check(client, token: str, **params) -> str:
    response = client.get(f"/data/upload/{token}/", {"layer": "water_valves", **params})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="preview-title"' in page, text_of(page)[:600]  # the check ran: the owner column is not asked for
    return page


def confirm(client, token: str, mode: str, **fields) -> dict:
    """Confirm the check in `mode` (replace: through its confirmation page); the job's final state."""
    data = {"layer": "water_valves", "mode": mode, **fields}
    if mode == "upsert":
        data["key"] = "asset_code"
    answer = client.post(f"/data/upload/{token}/start", data)
    if mode == "replace":
        assert answer.status_code == 200 and "replace_confirmed" in answer.content.decode()
        answer = client.post(f"/data/upload/{token}/start", {**data, "replace_confirmed": "yes"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return job_state_read(token)


def text_of(page: str) -> str:
    """The page's visible text, roughly: tags removed, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1])).split())


@pytest.mark.parametrize("mode", ["append", "replace", "upsert"])
def test_a_utility_import_in_every_mode_changes_no_valve_of_another_organisation(
        mode, client, pcbp_utility, own_valves, uploads, tmp_path):
    before = other_organisations_valves()
    assert len(before) > 1000 and {row[1] for row in before.values()} == {OTHER}  # the demo's valves: all BPW's
    # No owner column: every row becomes PCBP's. The upsert updates PCBP-OLD-0 and adds the others.
    codes = ["PCBP-OLD-0", "PCBP-NEW-1", "PCBP-NEW-2"] if mode == "upsert" else [f"PCBP-NEW-{i}" for i in range(3)]
    token = upload(client, uploads, tmp_path, valves(codes, diameter=150), f"van-{mode}.geojson")
    check(client, token)
    state = confirm(client, token, mode)
    assert state["state"] == "done" and state["accepted"] == 3, state

    assert other_organisations_valves() == before  # every BPW valve as it was, column by column
    own = dict(WaterValve.objects.filter(owner_id=OWN).values_list("asset_code", "diameter_mm"))
    expected = {
        "append": {"PCBP-OLD-0": 80, "PCBP-OLD-1": 80, "PCBP-NEW-0": 150, "PCBP-NEW-1": 150, "PCBP-NEW-2": 150},
        "replace": {"PCBP-NEW-0": 150, "PCBP-NEW-1": 150, "PCBP-NEW-2": 150},  # only PCBP's old valves went
        "upsert": {"PCBP-OLD-0": 150, "PCBP-OLD-1": 80, "PCBP-NEW-1": 150, "PCBP-NEW-2": 150},
    }[mode]
    assert own == expected
    assert not WaterValve.objects.filter(asset_code__startswith="PCBP-").exclude(owner_id=OWN).exists()


@pytest.mark.parametrize("mode", ["append", "replace", "upsert"])
def test_rows_naming_another_organisation_are_refused_and_nothing_of_it_is_touched(
        mode, client, pcbp_utility, own_valves, uploads, tmp_path):
    before = other_organisations_valves()
    total = WaterValve.objects.count()
    features = valves(["PCBP-X-0", "PCBP-X-1", "PCBP-X-2"], owner=[OTHER, OWN, OTHER])
    token = upload(client, uploads, tmp_path, features, f"chu-khac-{mode}.geojson")
    page = text_of(check(client, token))
    assert "Loại 2" in page and "#1: thuộc đơn vị khác" in page and "#3: thuộc đơn vị khác" in page

    refused = confirm(client, token, mode)  # without "skip invalid rows": nothing at all is written
    assert refused["state"] == "rejected"
    assert WaterValve.objects.count() == total and other_organisations_valves() == before

    retry = upload(client, uploads, tmp_path, features, f"chu-khac-{mode}-2.geojson")
    check(client, retry)
    loaded = confirm(client, retry, mode, skip_invalid="on")
    assert loaded["state"] == "done" and (loaded["accepted"], loaded["rejected"]) == (1, 2)
    assert other_organisations_valves() == before
    assert set(WaterValve.objects.filter(asset_code__startswith="PCBP-X").values_list("asset_code", "owner_id")) == {
        ("PCBP-X-1", OWN)}
    assert WaterValve.objects.filter(asset_code__startswith="PCBP-OLD").count() == (0 if mode == "replace" else 2)


def test_an_upsert_whose_key_names_another_organisations_valve_is_refused(client, pcbp_utility, uploads, tmp_path):
    theirs = WaterValve.objects.filter(owner_id=OTHER).order_by("pk").first()
    before = other_organisations_valves()
    token = upload(client, uploads, tmp_path, valves([theirs.asset_code, "PCBP-U-1"], diameter=999), "khoa.geojson")
    page = text_of(check(client, token, mode="upsert", key="asset_code"))
    assert "Loại 1" in page
    state = confirm(client, token, "upsert", skip_invalid="on")
    assert state["state"] == "done" and (state["accepted"], state["rejected"]) == (1, 1)
    assert any("đơn vị khác" in reason for _, reason in state["reasons"])
    assert other_organisations_valves() == before  # its diameter is not 999, its owner still BPW
    assert WaterValve.objects.get(asset_code="PCBP-U-1").owner_id == OWN


def test_the_replace_confirmation_says_only_the_organisations_features_are_replaced(
        client, pcbp_utility, own_valves, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, valves(["PCBP-R-0"]), "thay.geojson")
    page = text_of(check(client, token))
    assert "Thay thế đối tượng của đơn vị" in page and "đối tượng của đơn vị khác được giữ nguyên" in page
    data = {"layer": "water_valves", "mode": "replace"}
    asked = text_of(client.post(f"/data/upload/{token}/start", data).content.decode())
    assert "Xác nhận thay thế đối tượng của đơn vị" in asked
    assert ("2 đối tượng của đơn vị Công ty Điện lực Bình Phước (PCBP) đang có trong lớp Van nước sẽ bị xóa" in asked)
    assert "Chỉ đối tượng của đơn vị bạn được thay thế" in asked and "Xóa 2 đối tượng và nạp tệp" in asked
    english = text_of(client.post(f"/data/upload/{token}/start?lang=en", data).content.decode())
    assert "The 2 features of Bình Phước Power Company (PCBP) now in layer Water valves will be deleted" in english
    assert "Only your organisation's features are replaced" in english
    assert WaterValve.objects.filter(owner_id=OWN).count() == 2 and job_state_read(token) is None  # asked only


def test_an_account_without_an_organisation_may_not_import_into_an_owned_layer(client, uploads, tmp_path):
    user = User.objects.create_user("tien-ich-khong-don-vi", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=ROLE_UTILITY)[0])
    client.force_login(user)
    token = upload(client, uploads, tmp_path, valves(["NOORG-0"]), "khong-don-vi.geojson")
    refused = client.get(f"/data/upload/{token}/", {"layer": "water_valves"})
    assert refused.status_code == 403 and "chưa thuộc đơn vị nào" in refused.content.decode()
    assert client.post(f"/data/upload/{token}/start", {"layer": "water_valves", "mode": "append"}).status_code == 403
    assert not WaterValve.objects.filter(asset_code="NOORG-0").exists()
