"""The /data/ pages: upload, check (CRS, encoding, mapping, preview), confirm, follow, rejects; export."""
import io
import zipfile

import pytest
from django.contrib.auth.models import Group, User

from land.models import Parcel
from layers.registry import officer

from . import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def land_officer(sign_in_officer):
    return sign_in_officer("land", "can-bo-dia-chinh")


def upload(client, path, target="parcels"):
    with open(path, "rb") as f:
        return client.post("/data/upload", {"file": f, "target": target})


def test_sign_in_is_required(client):
    response = client.get("/data/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "Đăng nhập" in client.get("/accounts/login/").content.decode()


def test_upload_check_confirm_follow_and_download_rejects(client, land_officer, tmp_path):
    frame = corpus.parcel_squares(6)
    frame.loc[3, "LoaiDat"] = "XYZ"
    path = corpus.write_shapefile_zip(frame, tmp_path / "thua-dat.zip", encoding="tcvn3")
    response = upload(client, path)
    assert response.status_code == 302
    inspect_url = response["Location"]
    page = client.get(inspect_url).content.decode()
    assert "EPSG:9212" in page and "tcvn3" in page  # detected CRS and encoding
    assert 'name="map_parcel_no"' in page and '<option value="SoThua" selected>' in page  # field mapping
    assert "XYZ" in page  # validation preview names the bad row
    token = inspect_url.split("/")[3]
    before = Parcel.objects.count()
    response = client.post(f"/data/upload/{token}/start", {
        "layer": "parcels", "map_commune_code": "MaXa", "map_map_sheet_no": "SoTo", "map_parcel_no": "SoThua",
        "map_land_use_code": "LoaiDat", "map_address": "DiaChi", "encoding": "tcvn3", "mode": "append",
        "skip_invalid": "on"})
    assert response.status_code == 302 and response["Location"] == f"/data/jobs/{token}/"
    state = client.get(f"/data/jobs/{token}.json").json()
    assert state["state"] == "done" and state["accepted"] == 5 and state["rejected"] == 1
    assert Parcel.objects.count() == before + 5
    assert "Phường Tân Phú" in Parcel.objects.filter(map_sheet_no=900).values_list("address", flat=True)
    rejects = client.get(f"/data/imports/{state['record_id']}/rejects.csv")
    body = b"".join(rejects.streaming_content).decode("utf-8-sig")
    assert "XYZ" in body and "reason" in body.splitlines()[0]
    assert "thua-dat.zip" in client.get("/data/").content.decode()  # the import history


def test_unsure_encoding_lets_the_officer_choose(client, land_officer, tmp_path):
    frame = corpus.parcel_squares(1)
    frame["DiaChi"] = ["Tân"]
    response = upload(client, corpus.write_shapefile_zip(frame, tmp_path / "mo-ho.zip", encoding="cp1258"))
    page = client.get(response["Location"]).content.decode()
    assert 'name="encoding" value="cp1258"' in page and "Tân" in page and "Tõn" in page
    page = client.get(response["Location"] + "&encoding=cp1258").content.decode()
    assert "cp1258 (option)" in page


def test_officers_only_load_their_own_layers(client, land_officer, tmp_path):
    path = corpus.write_shapefile_zip(corpus.parcel_squares(1), tmp_path / "x.zip")
    assert upload(client, path, target="zoning").status_code == 403
    assert upload(client, path, target="raster").status_code == 403
    response = upload(client, path)
    other = User.objects.create_user("nguoi-khac", password="x-unused-x")
    other.groups.add(Group.objects.get(name=officer("land")))
    client.force_login(other)
    assert client.get(response["Location"]).status_code == 404  # someone else's upload


def test_export_download_respects_roles(client):
    response = client.get("/data/export", {"layer": "schools", "format": "gpkg", "crs": "9212"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('schools-9212.gpkg"')
    data = b"".join(response.streaming_content)
    assert data[:16] == b"SQLite format 3\x00"
    shp = client.get("/data/export", {"layer": "parcels", "format": "shp", "unit": "689"})
    names = zipfile.ZipFile(io.BytesIO(b"".join(shp.streaming_content))).namelist()
    assert "parcels.cpg" in names
    assert client.get("/data/export", {"layer": "water_pipes", "format": "gpkg"}).status_code == 404
    client.force_login(User.objects.create_user("dan", password="x-unused-x"))
    assert client.get("/data/export", {"layer": "water_pipes", "format": "gpkg"}).status_code == 403
    assert client.get("/data/export", {"layer": "schools", "format": "exe"}).status_code == 400
    assert client.get("/data/export", {"layer": "schools", "unit": "99999"}).status_code == 400
