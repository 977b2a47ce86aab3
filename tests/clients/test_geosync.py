"""The reference sync client (clients/geosync) end to end against the platform under gunicorn, as a
water utility runs it: its machine client (utility, organisation BPW) mirrors water_valves into a
GeoPackage while an officer of the utilities department edits the same layer through the API, and
edits made in the GeoPackage with QGIS go back with If-Match. The client runs in its own process,
without Django, as on the utility's machine."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyogrio
import pytest
import requests

from clients.geosync import gpkg
from clients.geosync.api import Platform, version_of
from clients.geosync.mirror import Mirror
from tests.conftest import ROOT, run_manage

pytestmark = pytest.mark.django_db
COLLECTION = "water_valves"
ORGANISATION = "BPW"  # the water company owns the demo province's valves
QGIS_PYTHON = "/usr/bin/python3"  # Debian's, with QGIS and GDAL's Python utilities
VALIDATE_GPKG = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
# QGIS edits a GeoPackage layer as a user would (attribute form, move tool, add and delete feature).
QGIS_EDIT = """
import json, sys
from qgis.core import QgsApplication, QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
path, edits = sys.argv[1], json.loads(sys.argv[2])
layer = QgsVectorLayer(f"{path}|layername=water_valves", "valves", "ogr")
assert layer.isValid(), "QGIS could not open the GeoPackage"
layer.startEditing()
for fid, changes in edits.get("change", {}).items():
    for name, value in changes.items():
        assert layer.changeAttributeValue(int(fid), layer.fields().indexOf(name), value)
for fid, (x, y) in edits.get("move", {}).items():
    assert layer.changeGeometry(int(fid), QgsGeometry.fromPointXY(QgsPointXY(x, y)))
for fid in edits.get("delete", []):
    assert layer.deleteFeature(fid)
for new in edits.get("add", []):
    feature = QgsFeature(layer.fields())
    for name, value in new["properties"].items():
        feature.setAttribute(name, value)
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(*new["coordinates"])))
    assert layer.addFeature(feature)
committed = layer.commitChanges()
problems = [message for message in layer.commitErrors() if not message.startswith("SUCCESS")]
print(json.dumps({"committed": committed, "problems": problems}))
del layer  # before exitQgis, which otherwise crashes on the open dataset
app.exitQgis()
"""


class Officer:
    """An officer of the utilities department, signed in with a password, editing through the API
    (session cookie and CSRF token, as the web map does) with If-Match."""

    def __init__(self, base: str, username: str, password: str):
        self.base, self.http = base, requests.Session()
        self.http.get(f"{base}/accounts/login/", timeout=30)
        signed_in = self.http.post(f"{base}/accounts/login/", allow_redirects=False, timeout=30, data={
            "username": username, "password": password, "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
            "next": "/"})
        assert signed_in.status_code == 302, signed_in.text[:500]

    def _url(self, feature_id=None) -> str:
        return f"{self.base}/ogcapi/collections/{COLLECTION}/items" + (f"/{feature_id}" if feature_id else "")

    def _headers(self, **extra) -> dict:
        return {"X-CSRFToken": self.http.cookies["csrftoken"], **extra}

    def create(self, lon: float, lat: float, owner: str = ORGANISATION, **properties) -> int:
        feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {
            "asset_code": f"GS-{uuid.uuid4().hex[:10]}", "state": "open", "diameter_mm": 100, "owner": owner,
            "status": "operating", **properties}}
        response = self.http.post(self._url(), json=feature, headers=self._headers(), timeout=30)
        assert response.status_code == 201, response.text
        return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])

    def read(self, feature_id: int) -> tuple[dict, int] | None:
        response = self.http.get(self._url(feature_id), params={"f": "json"}, timeout=30)
        if response.status_code in (404, 410):
            return None
        assert response.status_code == 200, response.text
        return response.json(), version_of(response.headers["ETag"])

    def edit(self, feature_id: int, **properties) -> int:
        """PATCH the properties, If-Match the version just read: the new version."""
        _, version = self.read(feature_id)
        response = self.http.patch(self._url(feature_id), data=json.dumps({"properties": properties}), timeout=30,
                                   headers=self._headers(**{"If-Match": f'"{version}"',
                                                            "Content-Type": "application/merge-patch+json"}))
        assert response.status_code in (200, 204), response.text
        return version_of(response.headers["ETag"])

    def delete(self, feature_id: int) -> None:
        found = self.read(feature_id)
        if found:
            response = self.http.delete(self._url(feature_id), timeout=30,
                                        headers=self._headers(**{"If-Match": f'"{found[1]}"'}))
            assert response.status_code in (200, 204), response.text


@pytest.fixture(scope="module")
def utility(platform_url, test_db_env) -> dict:
    """The water company's sync job: a machine client (utility, BPW), as environment variables."""
    out = run_manage(test_db_env, "create_machine_client", "geosync-bpw", "--role", "utility",
                     "--organisation", ORGANISATION).stdout
    return {"GEOSYNC_CLIENT_ID": re.search(r"client_id=(\S+)", out).group(1),
            "GEOSYNC_CLIENT_SECRET": re.search(r"client_secret=(\S+)", out).group(1)}


@pytest.fixture(scope="module")
def officer(platform_url, test_db_env):
    password = "Van-nuoc-geosync-2026"
    run_manage({**test_db_env, "GEO_NEW_PASSWORD": password}, "create_officer", "geosync-officer",
               "--department", "utilities")
    officer = Officer(platform_url, "geosync-officer", password)
    officer.created = []
    yield officer
    for feature_id in officer.created:  # leave the session's demo layer as it was
        officer.delete(feature_id)


@pytest.fixture(scope="module")
def valves(officer) -> list[int]:
    """Valves of this module's own, so the demo's valves stay as seeded for other tests."""
    made = [officer.create(106.88 + i / 1000, 11.53) for i in range(8)]
    officer.created.extend(made)
    return made


def geosync(utility: dict, *args: str, credentials: bool = True) -> subprocess.CompletedProcess:
    """`python -m clients.geosync args` in its own process, with no Django settings or database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    if credentials:
        env.update(utility)
    return subprocess.run([sys.executable, "-m", "clients.geosync", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def pull(utility, platform_url, path, *more) -> subprocess.CompletedProcess:
    done = geosync(utility, "pull", "--url", f"{platform_url}/ogcapi", "--collection", COLLECTION, "--gpkg",
                   str(path), *more)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def push(utility, path) -> subprocess.CompletedProcess:
    return geosync(utility, "push", "--gpkg", str(path))


@pytest.fixture(scope="module")
def first_copy(utility, platform_url, valves, tmp_path_factory) -> Path:
    """One full copy, which each test copies and brings up to date (the incremental path)."""
    path = tmp_path_factory.mktemp("geosync") / "valves.gpkg"
    pull(utility, platform_url, path)
    return path


@pytest.fixture
def mirror_file(first_copy, tmp_path) -> Path:
    path = tmp_path / "van.gpkg"
    shutil.copy(first_copy, path)
    return path


def platform(utility, platform_url, scope="read") -> Platform:
    return Platform(f"{platform_url}/ogcapi", client_id=utility["GEOSYNC_CLIENT_ID"],
                    client_secret=utility["GEOSYNC_CLIENT_SECRET"], scope=scope)


def _shape(properties: dict, x: float, y: float) -> tuple:
    return tuple(sorted((k, v) for k, v in properties.items())), (round(x, 9), round(y, 9))


def server_valves(utility, platform_url) -> dict[int, tuple]:
    """Every valve the utility reads, by id: (properties, coordinates)."""
    api = platform(utility, platform_url)
    return {f["id"]: _shape(f["properties"], *f["geometry"]["coordinates"])
            for page in api.feature_pages(COLLECTION, limit=1000) for f in page}


def mirrored_valves(path: Path) -> dict[int, tuple]:
    """Every valve of the GeoPackage as GDAL reads it, by server id (from the bookkeeping)."""
    frame = pyogrio.read_dataframe(path, layer=COLLECTION, fid_as_index=True)
    with sqlite3.connect(path) as db:
        server_id = dict(db.execute("SELECT fid, feature_id FROM geosync_features WHERE layer = ?", (COLLECTION,)))
    properties = [c for c in frame.columns if c != "geometry"]
    return {server_id[fid]: _shape({c: row[c] for c in properties}, row.geometry.x, row.geometry.y)
            for fid, row in frame.iterrows()}


def synced(path: Path, feature_id: int) -> tuple[int, int | None]:
    """(local fid, synced version) of a server feature in the GeoPackage."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT fid, version FROM geosync_features WHERE layer = ? AND feature_id = ?",
                          (COLLECTION, feature_id)).fetchone()


def conflicts(path: Path) -> list[dict]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM sync_conflicts ORDER BY id")]


def cursor_of(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT cursor FROM geosync_state").fetchone()[0]


def feed_holds(utility, platform_url, since: str, *expected: tuple[str, int]) -> None:
    """Wait until the change feed after `since` holds the `expected` (op, id) changes. The feed hands
    out a change once every older transaction of the database cluster has ended; other work on the
    machine (imports, benchmarks) may keep one open a while. Not a timing check: it waits."""
    api, deadline = platform(utility, platform_url), time.monotonic() + 600
    while True:
        seen, cursor = set(), since
        while True:
            page = api.changes(COLLECTION, cursor, limit=1000)
            seen |= {(change["op"], change["id"]) for change in page["changes"]}
            if not page["more"]:
                break
            cursor = page["next"]
        if set(expected) <= seen:
            return
        assert time.monotonic() < deadline, f"{set(expected) - seen} never reached the change feed"
        time.sleep(0.5)


def edit_locally(path: Path, sql: str, *parameters) -> None:
    """An edit made with another SQLite program (GDAL's ST_ functions registered, as QGIS has them)."""
    db = gpkg.connect(str(path))
    db.execute(sql, parameters)
    db.close()


def qgis_edit(path: Path, **edits) -> None:
    if not Path("/usr/lib/python3/dist-packages/qgis").is_dir():
        pytest.fail("QGIS missing: make test installs Debian's python3-qgis and qgis-providers")
    done = subprocess.run([QGIS_PYTHON, "-c", QGIS_EDIT, str(path), json.dumps(edits)], capture_output=True, text=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"committed": True, "problems": []}


def test_the_client_imports_neither_django_nor_the_platform():
    platform_packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"clients", "tests"}
    probe = ("import sys, clients.geosync.cli; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:]) | "
             "{m for m in sys.modules if m.split('.')[0] == 'django'}))")
    done = subprocess.run([sys.executable, "-c", probe, *platform_packages], cwd=ROOT, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"})
    assert done.returncode == 0 and "layers" in platform_packages, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_first_pull_is_a_geopackage_gdal_and_qgis_open(utility, platform_url, first_copy):
    mirror = mirrored_valves(first_copy)
    assert mirror == server_valves(utility, platform_url)
    info = pyogrio.read_info(first_copy, layer=COLLECTION)
    assert info["crs"] == "EPSG:4326" and info["geometry_type"] == "Point" and info["features"] == len(mirror)
    # the model's field order, as the collection's schema lists them
    assert list(info["fields"]) == ["asset_code", "owner", "status", "state", "diameter_mm"]
    # GDAL's own GeoPackage validator (the OGC requirements: tables, blobs, SRS, R-tree extension).
    validated = subprocess.run([QGIS_PYTHON, VALIDATE_GPKG, str(first_copy)], capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    index = subprocess.run(["ogrinfo", "-ro", "-q", str(first_copy), "-sql",
                            f"SELECT HasSpatialIndex('{COLLECTION}', 'geom')"],
                           capture_output=True, text=True)
    assert "HasSpatialIndex (Integer) = 1" in index.stdout, index.stdout + index.stderr
    # The conflicts table is a layer too, so a QGIS user sees it next to the valves.
    assert set(pyogrio.list_layers(first_copy)[:, 0]) == {COLLECTION, "sync_conflicts"}


def test_pull_says_what_it_did_in_vietnamese_and_english(utility, platform_url, valves, tmp_path):
    path = tmp_path / "moi.gpkg"
    done = pull(utility, platform_url, path)
    total = len(server_valves(utility, platform_url))
    assert f"Đã sao chép toàn bộ {total:,} đối tượng".replace(",", ".") in done.stdout
    assert f"Copied all {total:,} features" in done.stdout
    again = pull(utility, platform_url, path)  # pulled after --url and --collection once, the file knows them
    assert "thêm 0, sửa 0, xóa 0" in again.stdout and "0 inserted, 0 updated, 0 deleted" in again.stdout
    assert geosync(utility, "pull", "--gpkg", str(path)).returncode == 0
    anonymous = geosync(utility, "pull", "--gpkg", str(path), credentials=False)
    assert anonymous.returncode == 1 and "GEOSYNC_CLIENT_ID" in anonymous.stderr  # internal layer: 404 anonymously
    assert "Traceback" not in anonymous.stderr


def test_the_mirror_follows_a_server_side_delete_insert_and_edit(utility, platform_url, officer, valves,
                                                                  mirror_file):
    pull(utility, platform_url, mirror_file)
    deleted, edited = valves[0], valves[1]
    officer.delete(deleted)
    inserted = officer.create(106.95, 11.6, diameter_mm=300)
    officer.created.append(inserted)
    version = officer.edit(edited, state="closed", diameter_mm=250)
    feed_holds(utility, platform_url, cursor_of(mirror_file), ("delete", deleted), ("insert", inserted),
               ("update", edited))
    done = pull(utility, platform_url, mirror_file)
    assert "thêm 1, sửa 1, xóa 1" in done.stdout and "1 inserted, 1 updated, 1 deleted" in done.stdout
    mirror = mirrored_valves(mirror_file)
    assert mirror == server_valves(utility, platform_url)
    assert deleted not in mirror and dict(mirror[inserted][0])["diameter_mm"] == 300
    assert dict(mirror[edited][0])["state"] == "closed" and synced(mirror_file, edited)[1] == version


def test_local_edits_made_in_qgis_are_pushed_with_if_match(utility, platform_url, officer, valves, mirror_file):
    pull(utility, platform_url, mirror_file)
    changed, removed = valves[2], valves[3]
    changed_fid, _ = synced(mirror_file, changed)
    changed_version = officer.read(changed)[1]
    qgis_edit(mirror_file, change={str(changed_fid): {"state": "closed", "diameter_mm": 125}},
              move={str(changed_fid): [106.9012, 11.5345]}, delete=[synced(mirror_file, removed)[0]],
              add=[{"properties": {"asset_code": f"GS-QGIS-{uuid.uuid4().hex[:6]}", "state": "open",
                                   "diameter_mm": 80, "owner": ORGANISATION, "status": "operating"},
                    "coordinates": [106.9021, 11.5351]}])
    status = geosync(utility, "status", "--gpkg", str(mirror_file))
    assert "1 dòng mới, 1 dòng sửa, 1 dòng xóa" in status.stdout and "1 new, 1 edited, 1 deleted" in status.stdout
    done = push(utility, mirror_file)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "thêm 1, sửa 1, xóa 1; 0 xung đột" in done.stdout and "1 created, 1 updated, 1 deleted" in done.stdout
    feature, version = officer.read(changed)
    assert feature["properties"]["state"] == "closed" and feature["properties"]["diameter_mm"] == 125
    assert feature["geometry"]["coordinates"] == [106.9012, 11.5345]
    assert version > changed_version and synced(mirror_file, changed)[1] == version  # the ETag was kept
    assert officer.read(removed) is None
    with sqlite3.connect(mirror_file) as db:
        [created] = db.execute("SELECT s.feature_id FROM water_valves t JOIN geosync_features s "
                               "ON s.fid = t.fid WHERE t.asset_code LIKE 'GS-QGIS-%'").fetchone()
    officer.created.append(created)
    assert officer.read(created)[0]["properties"]["diameter_mm"] == 80
    assert push(utility, mirror_file).stdout.startswith(f"{mirror_file} → {COLLECTION}: thêm 0, sửa 0, xóa 0;")
    again = pull(utility, platform_url, mirror_file)  # its own edits come back through the feed: nothing to apply
    assert "sửa 0, xóa 0, giữ 0" in again.stdout
    assert mirrored_valves(mirror_file) == server_valves(utility, platform_url)


def test_a_feature_edited_on_both_sides_is_a_conflict_not_an_overwrite(utility, platform_url, officer, valves,
                                                                        mirror_file):
    pull(utility, platform_url, mirror_file)
    both = valves[4]
    fid, local_version = synced(mirror_file, both)
    edit_locally(mirror_file, "UPDATE water_valves SET diameter_mm = 111 WHERE fid = ?", fid)
    officer_version = officer.edit(both, diameter_mm=222, state="closed")
    done = push(utility, mirror_file)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "1 xung đột" in done.stdout and "1 conflicts" in done.stdout and "Traceback" not in done.stderr
    feature, version = officer.read(both)
    assert feature["properties"]["diameter_mm"] == 222 and version == officer_version  # the officer's edit stays
    [conflict] = conflicts(mirror_file)
    assert conflict["kind"] == "changed_on_server" and conflict["local_fid"] == fid
    assert conflict["feature_id"] == both and conflict["resolved_at"] is None
    assert (conflict["local_version"], conflict["server_version"]) == (local_version, officer_version)
    assert json.loads(conflict["local_geojson"])["properties"]["diameter_mm"] == 111
    assert json.loads(conflict["server_geojson"])["properties"]["diameter_mm"] == 222
    assert "changed on the server" in conflict["message"] and "đã được sửa trên máy chủ" in conflict["message"]
    # A pull keeps the local edit (the user decides), and pushing again records the same conflict once.
    feed_holds(utility, platform_url, cursor_of(mirror_file), ("update", both))
    assert "giữ 1 bản sửa cục bộ" in pull(utility, platform_url, mirror_file).stdout
    assert push(utility, mirror_file).returncode == 2 and len(conflicts(mirror_file)) == 1
    with sqlite3.connect(mirror_file) as db:
        assert db.execute("SELECT diameter_mm FROM water_valves WHERE fid = ?", (fid,)).fetchone() == (111,)
    # Keeping the server's feature ends the conflict; the mirror equals the server again.
    resolved = geosync(utility, "resolve", "--gpkg", str(mirror_file), "--fid", str(fid), "--keep", "server")
    assert resolved.returncode == 0, resolved.stderr
    assert conflicts(mirror_file)[0]["resolved_at"] is not None
    assert geosync(utility, "status", "--gpkg", str(mirror_file)).returncode == 0
    assert mirrored_valves(mirror_file) == server_valves(utility, platform_url)


def test_keeping_the_local_side_of_a_conflict_sends_it_at_the_next_push(utility, platform_url, officer, valves,
                                                                        mirror_file):
    pull(utility, platform_url, mirror_file)
    both = valves[5]
    fid, _ = synced(mirror_file, both)
    edit_locally(mirror_file, "UPDATE water_valves SET state = 'closed' WHERE fid = ?", fid)
    officer.edit(both, diameter_mm=275)
    assert push(utility, mirror_file).returncode == 2
    assert geosync(utility, "resolve", "--gpkg", str(mirror_file), "--fid", str(fid), "--keep", "local").returncode == 0
    done = push(utility, mirror_file)
    assert done.returncode == 0 and "1 updated" in done.stdout, done.stdout + done.stderr
    assert officer.read(both)[0]["properties"]["state"] == "closed"


def test_an_edit_of_another_organisations_valve_is_refused_and_reported(utility, platform_url, officer, valves,
                                                                         mirror_file):
    foreign = officer.create(106.97, 11.61, owner="PCBP")  # the power company's, which the water company reads
    officer.created.append(foreign)
    feed_holds(utility, platform_url, cursor_of(mirror_file), ("insert", foreign))
    pull(utility, platform_url, mirror_file)
    own = valves[6]
    edit_locally(mirror_file, "UPDATE water_valves SET state = 'closed' WHERE fid = ?", synced(mirror_file, foreign)[0])
    edit_locally(mirror_file, "UPDATE water_valves SET diameter_mm = 160 WHERE fid = ?", synced(mirror_file, own)[0])
    done = push(utility, mirror_file)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "This asset belongs to another organisation" in done.stderr and "1 errors" in done.stdout
    assert officer.read(foreign)[0]["properties"]["state"] == "open"  # refused: unchanged on the server
    assert officer.read(own)[0]["properties"]["diameter_mm"] == 160  # the other edit still went through
    [refused] = conflicts(mirror_file)
    assert refused["kind"] == "refused" and refused["feature_id"] == foreign and "HTTP 403" in refused["message"]


def test_a_mirror_behind_the_compaction_horizon_copies_the_layer_again(utility, platform_url, officer, test_db_env,
                                                                        valves, mirror_file):
    gone = officer.create(106.99, 11.62)
    officer.created.append(gone)
    feed_holds(utility, platform_url, cursor_of(mirror_file), ("insert", gone))
    pull(utility, platform_url, mirror_file)
    twice = valves[7]
    officer.edit(twice, diameter_mm=310)
    officer.edit(twice, diameter_mm=320)  # its first edit is no longer its latest change: compaction removes it
    officer.delete(gone)
    cursor = cursor_of(mirror_file)
    # The feed hands out a change once no older transaction of the cluster is still open; compact only
    # then, as a 365-day retention always does (what is compacted now was already deliverable).
    feed_holds(utility, platform_url, cursor, ("update", twice), ("delete", gone))
    api = platform(utility, platform_url)
    run_manage(test_db_env, "compact_change_log", "--days", "0", "--layer", COLLECTION)
    behind = requests.get(f"{platform_url}/ogcapi/collections/{COLLECTION}/changes", params={"since": cursor},
                          headers={"Authorization": f"Bearer {api.token()}"}, timeout=30)
    assert behind.status_code == 410
    done = pull(utility, platform_url, mirror_file)
    assert "Đã sao chép toàn bộ" in done.stdout and "Copied all" in done.stdout and "xóa 1" in done.stdout
    mirror = mirrored_valves(mirror_file)
    assert mirror == server_valves(utility, platform_url) and gone not in mirror
    assert dict(mirror[twice][0])["diameter_mm"] == 320


class EditedBetweenPages(Platform):
    """The platform, with an officer's edit landing between two pages of the client's full copy."""

    def __init__(self, *args, before_offset: int, edit, **kwargs):
        super().__init__(*args, **kwargs)
        self.before_offset, self.edit = before_offset, edit

    def get_json(self, url: str, **params) -> dict:
        if self.edit and f"offset={self.before_offset}&" in url + "&":
            self.edit()
            self.edit = None
        return super().get_json(url, **params)


def test_a_feature_skipped_by_the_paging_of_a_copy_during_a_delete_is_fetched(utility, platform_url, officer,
                                                                              tmp_path):
    # Items are paged by offset in id order; a delete of a feature already copied moves every later
    # feature one place up, so the page after it starts one feature too far. This module's new
    # valves have the highest ids: a page boundary is put among them and one is deleted before it.
    made = [officer.create(107.0 + i / 1000, 11.63) for i in range(6)]
    officer.created.extend(made)
    total = len(server_valves(utility, platform_url))  # `made` are at positions total-6 ... total-1
    boundary = next(m for m in range(total - 4, total) if m % 3 == 0)  # 3 pages of ≤ 1.000 end there
    skipped = made[boundary - (total - 6)]  # at position `boundary` until made[0] goes
    before = platform(utility, platform_url).changes(COLLECTION, "latest", limit=1)["next"]

    def delete_first():
        officer.delete(made[0])
        feed_holds(utility, platform_url, before, ("delete", made[0]))

    api = EditedBetweenPages(f"{platform_url}/ogcapi", client_id=utility["GEOSYNC_CLIENT_ID"],
                             client_secret=utility["GEOSYNC_CLIENT_SECRET"], before_offset=boundary,
                             edit=delete_first)
    mirror = Mirror.open(str(tmp_path / "race.gpkg"), COLLECTION)
    pulled = mirror.pull(api, COLLECTION, page_size=boundary // 3)
    mirror.close()
    assert api.edit is None, "the edit did not land between the pages"
    assert pulled.copied == total - 1  # the copy itself missed `skipped` ...
    mirrored = mirrored_valves(tmp_path / "race.gpkg")
    assert skipped in mirrored and made[0] not in mirrored  # ... and the client fetched it
    assert mirrored == server_valves(utility, platform_url)
    assert pulled.deleted == 1


def test_a_token_is_fetched_again_when_it_expires_or_is_refused(utility, platform_url):
    api = platform(utility, platform_url)
    assert api.get_json(f"collections/{COLLECTION}", f="json")["id"] == COLLECTION
    assert api.tokens_fetched == 1 and api.token_url == f"{platform_url}/o/token/"  # found by discovery
    api.get_json(f"collections/{COLLECTION}", f="json")
    assert api.tokens_fetched == 1  # still valid: reused
    api._expires_at = 0  # expired (tokens live 15 minutes)
    api.get_json(f"collections/{COLLECTION}", f="json")
    assert api.tokens_fetched == 2
    api._token = "eyJ.revoked.token"  # the server refuses it (401): a new one, and the request again
    assert api.get_json(f"collections/{COLLECTION}", f="json")["id"] == COLLECTION
    assert api.tokens_fetched == 3
    wrong = Platform(f"{platform_url}/ogcapi", client_id=utility["GEOSYNC_CLIENT_ID"], client_secret="not-it")
    with pytest.raises(Exception, match="access token"):
        wrong.get_json(f"collections/{COLLECTION}")
