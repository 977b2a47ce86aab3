"""The data-loss hole of issue 10, closed on the web importer: an account that may edit a utility
layer only as its owner (a utility of one organisation) could upload a file in `replace` mode into
`water_valves` and delete every other organisation's valves. Now such an account only adds features
of its own organisation: replace and upsert are refused (403, nothing written), and every row it adds
is stamped with its organisation whatever the file says."""
import shutil

import pytest
from django.contrib.auth.models import Group, User

from accounts.models import Profile
from importers.records import job_state_read, upload_dir
from layers.registry import ROLE_UTILITY
from utilities.models import WaterValve

from . import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def pcbp_utility(client):
    """A signed-in account of the power company (PCBP), with the utility role only."""
    user = User.objects.create_user("pcbp-nap", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=ROLE_UTILITY)[0])
    Profile.objects.update_or_create(user=user, defaults={"organisation_id": "PCBP"})
    client.force_login(user)
    return user


@pytest.fixture
def valves_file(tmp_path):
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.884 + i * 1e-4, 11.535]},
                 "properties": {"asset_code": f"PCBP-V{i}", "owner": "BPW", "status": "operating",
                                "state": "open", "diameter_mm": 100}} for i in range(3)]
    return corpus.geojson(tmp_path / "van.geojson", features)


def upload(client, path) -> str:
    with open(path, "rb") as f:
        response = client.post("/data/upload", {"file": f, "target": "water_valves"})
    assert response.status_code == 302, response.content
    return response["Location"].split("/")[3]


def test_a_utility_cannot_replace_or_upsert_other_organisations_valves(client, pcbp_utility, valves_file):
    before = WaterValve.objects.count()
    assert before > 0 and not WaterValve.objects.filter(owner_id="PCBP").exists()  # all BPW's
    token = upload(client, valves_file)
    try:
        for mode in ("replace", "upsert"):
            check = client.get(f"/data/upload/{token}/", {"layer": "water_valves", "mode": mode})
            assert check.status_code == 403 and "chỉ được thêm đối tượng của đơn vị mình" in check.content.decode()
            start = client.post(f"/data/upload/{token}/start", {"layer": "water_valves", "mode": mode,
                                                                 "key": "asset_code", "replace_confirmed": "yes"})
            assert start.status_code == 403
        assert WaterValve.objects.count() == before and job_state_read(token) is None
    finally:
        shutil.rmtree(upload_dir(token), ignore_errors=True)


def test_a_utility_adds_valves_stamped_with_its_own_organisation(client, pcbp_utility, valves_file):
    token = upload(client, valves_file)
    try:
        check = client.get(f"/data/upload/{token}/", {"layer": "water_valves"})
        assert check.status_code == 200
        started = client.post(f"/data/upload/{token}/start", {"layer": "water_valves", "mode": "append"})
        assert started.status_code == 302 and job_state_read(token)["state"] == "done"
        added = WaterValve.objects.filter(asset_code__startswith="PCBP-V")
        assert added.count() == 3 and set(added.values_list("owner_id", flat=True)) == {"PCBP"}  # not BPW
    finally:
        shutil.rmtree(upload_dir(token), ignore_errors=True)
