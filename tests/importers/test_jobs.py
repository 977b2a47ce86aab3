"""Import jobs never lie: a killed import is marked failed (with the reason, its temporary files
removed) when the platform next looks; the job page exists as soon as the officer is sent to it; an
unexpected error ends the import with a reference, never server paths or SQL; import_layer answers a
missing database with one line. Imports run in other processes on the test database and are killed
with SIGKILL, or cut off by terminating their database session."""
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import shapely
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection

from importers import services
from importers.jobs import new_token
from importers.models import ImportRecord
from importers.records import LOCK_NAMESPACE, STOPPED, job_state_read, rejects_dir, upload_dir
from importers.safety import ImportRejected
from importers.services import ImportOptions, layer_import
from layers.registry import officer
from tests.conftest import ROOT, _free_port, run_manage
from transport.models import Streetlight

from . import corpus

pytestmark = pytest.mark.django_db

FAILED_VI = "Lỗi (không ghi gì)"
# What must never reach an officer: SQL, the database's own words, constraint and table names.
INTERNALS = re.compile(r"\b(insert|select|update|delete|copy)\b|duplicate key|constraint|detail:|land_parcel|"
                       r"import_staging|psycopg|traceback", re.I)
SERVER_PATH = re.compile(r"(^|[\s(\"'])/[\w.-]+/")


@pytest.fixture(scope="session")
def _committed_rows(test_db_env):
    names = {"records": [], "users": [], "light_codes": []}
    yield names
    # At the end of the session: a test's own transaction may still lock these rows until it ends.
    run_manage(test_db_env, "shell", "-c", f"""
from django.contrib.auth.models import User
from importers.models import ImportRecord
from transport.models import Streetlight
Streetlight.objects.filter(light_code__in={names['light_codes']!r}).delete()
ImportRecord.objects.filter(pk__in={names['records']!r}).delete()
ImportRecord.objects.filter(user__username__in={names['users']!r}).delete()
User.objects.filter(username__in={names['users']!r}).delete()
""")


@pytest.fixture
def committed(_committed_rows):
    """Rows that other processes committed in the test database (they outlive the test's transaction):
    the test names them, they are deleted at the end of the session."""
    return _committed_rows


def committed_user(env: dict, committed: dict, username: str, department: str) -> User:
    """An officer committed by another process, so that imports in other processes or threads see it."""
    run_manage(env, "shell", "-c", f"""
from django.contrib.auth.models import Group, User
user = User.objects.create_user({username!r}, password="x-unused-x")
user.groups.add(Group.objects.get_or_create(name={officer(department)!r})[0])
""")
    committed["users"].append(username)
    return User.objects.get(username=username)


def big_parcels(path: Path, sheet: int) -> Path:
    """60,000 parcels (a few seconds of importing), the first three self-intersecting (bow ties) so
    that a rejects file exists from the first batch on."""
    frame = corpus.parcel_squares(60_000, sheet=sheet)
    for i in range(3):
        x, y = frame.geometry[i].bounds[:2]
        frame.loc[i, "geometry"] = shapely.Polygon([(x, y), (x + 20, y + 20), (x + 20, y), (x, y + 20)])
    frame.to_file(path, driver="GPKG")
    return path


def parcel_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM land_parcel")
        return cursor.fetchone()[0]


def import_layer_mid_way(env: dict, path: Path) -> tuple[subprocess.Popen, ImportRecord]:
    """`import_layer parcels path` in another process, and its record, once it has checked a batch
    (its rejects file exists) and is loading the rest."""
    child = subprocess.Popen([sys.executable, "manage.py", "import_layer", "parcels", str(path), "--batch-size", "2000"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while True:
        record = ImportRecord.objects.filter(file_name=path.name, status="running").order_by("-pk").first()
        if record and rejects_dir(record.pk).is_dir():
            return child, record
        assert time.monotonic() < deadline and child.poll() is None, "the import finished or stalled too early"
        time.sleep(0.05)


@pytest.mark.parametrize("look", ["history", "admin", "command"])
def test_a_killed_import_is_marked_failed_when_the_platform_next_looks(
        look, tmp_path, test_db_env, committed, client, django_capture_on_commit_callbacks):
    path = big_parcels(tmp_path / f"giet-{look}.gpkg", sheet=902)
    before = parcel_count()
    child, record = import_layer_mid_way(test_db_env, path)
    committed["records"].append(record.pk)
    child.send_signal(signal.SIGKILL)
    child.wait()

    record.refresh_from_db()
    assert record.status == "running"  # nobody has looked yet
    client.force_login(User.objects.create_superuser("quan-tri", "qt@example.org", "x-unused-x"))
    with django_capture_on_commit_callbacks(execute=True):
        if look == "history":
            page = client.get("/data/").content.decode()
        elif look == "admin":
            page = client.get("/admin/importers/importrecord/").content.decode()
        else:
            tiny = corpus.write_shapefile_zip(corpus.parcel_squares(1, sheet=903), tmp_path / "nho.zip")
            run_manage(test_db_env, "import_layer", "parcels", str(tiny), "--dry-run", "--verbosity", "0")
    record.refresh_from_db()
    assert record.status == "failed" and record.message == STOPPED
    assert "Tiến trình nhập đã dừng giữa chừng" in record.message and record.finished_at
    assert not rejects_dir(record.pk).exists() and record.rejects_file == ""
    assert parcel_count() == before
    if look == "history":
        row = next(line for line in page.split("<tr>") if path.name in line)
        assert FAILED_VI in row and "Đang chạy" not in row
    if look == "admin":
        assert path.name in page and "Lỗi (không ghi gì)" in page


# A web job run to its end in another process (the test settings run imports inline), to be killed.
WEB_JOB = """
from pathlib import Path
from importers.jobs import start_import
from importers.services import ImportOptions
start_import({token!r}, layer_id="parcels", path=Path({path!r}), file_name={name!r}, user_id={user_id},
             options=ImportOptions(batch_size=2000))
"""


def test_a_web_job_whose_process_died_says_failed_in_vietnamese(
        tmp_path, test_db_env, committed, client, django_capture_on_commit_callbacks):
    officer_user = committed_user(test_db_env, committed, "can-bo-job-chet", "land")
    token = new_token()
    upload = upload_dir(token)
    upload.mkdir(parents=True)
    (upload / ".owner").write_text(str(officer_user.pk))
    path = big_parcels(upload / "thua-lon.gpkg", sheet=904)
    before = parcel_count()
    child = subprocess.Popen([sys.executable, "manage.py", "shell", "-c", WEB_JOB.format(
        token=token, path=str(path), name=path.name, user_id=officer_user.pk)],
        cwd=ROOT, env=test_db_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (job_state_read(token) or {}).get("done"):
        assert time.monotonic() < deadline and child.poll() is None, "the job finished or stalled too early"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    state = job_state_read(token)
    assert state["state"] == "running"  # as the dead process left it
    committed["records"].append(state["record_id"])

    client.force_login(officer_user)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(f"/data/jobs/{token}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert FAILED_VI in text and "Tiến trình nhập đã dừng giữa chừng" in text and "Đang chạy" not in text
    assert job_state_read(token)["state"] == "failed"  # the file no longer says running
    assert not upload.exists() and not rejects_dir(state["record_id"]).exists()
    assert ImportRecord.objects.get(pk=state["record_id"]).status == "failed"
    answer = client.get(f"/data/jobs/{token}.json").json()
    assert answer["state"] == "failed" and answer["label"] == FAILED_VI and answer["message"] == STOPPED
    assert client.get(f"/data/jobs/{token}.json?lang=en").json()["label"] == "Failed (nothing written)"
    assert parcel_count() == before
    # Confirming again leads to the job page (upload again to import), not to "Not Found".
    again = client.post(f"/data/upload/{token}/start", {"layer": "parcels"})
    assert again.status_code == 302 and again["Location"] == f"/data/jobs/{token}/"


def test_the_job_page_exists_as_soon_as_the_officer_is_sent_to_it(tmp_path, test_db_env, committed, client,
                                                                  settings):
    """With the import in a background thread, as in production; confirming twice loads the rows once."""
    settings.GEO_IMPORT_BACKGROUND = True
    officer_user = committed_user(test_db_env, committed, "can-bo-job-nhanh", "transport")
    prefix = f"JOB-{new_token()[:6]}"
    codes = [f"{prefix}-{i}" for i in range(3)]
    committed["light_codes"].extend(codes)
    lights = corpus.geojson(tmp_path / "den-job.geojson", [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.884 + i * 1e-4, 11.536]},
         "properties": {"light_code": code, "circuit": "T1", "lamp_type": "led", "wattage_w": 100,
                        "status": "operating"}} for i, code in enumerate(codes)])
    client.force_login(officer_user)
    with open(lights, "rb") as f:
        token = client.post("/data/upload", {"file": f, "target": "streetlights"})["Location"].split("/")[3]
    response = client.post(f"/data/upload/{token}/start", {"layer": "streetlights", "mode": "append"})
    assert response.status_code == 302 and response["Location"] == f"/data/jobs/{token}/"
    assert client.get(response["Location"]).status_code == 200
    deadline = time.monotonic() + 60
    while (state := client.get(f"/data/jobs/{token}.json").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the import did not end"
        time.sleep(0.1)
    assert state["state"] == "done" and state["accepted"] == 3, state
    again = client.post(f"/data/upload/{token}/start", {"layer": "streetlights", "mode": "append"})
    assert again.status_code == 302 and again["Location"] == f"/data/jobs/{token}/"
    assert ImportRecord.objects.filter(job_token=token).count() == 1
    assert Streetlight.objects.filter(light_code__in=codes).count() == 3
    shutil.rmtree(upload_dir(token), ignore_errors=True)


def _broken_geometry_check(self, wkb):
    raise ValueError(f"cannot read /srv/geo/var/imports/uploads/secret/{len(wkb)}.gpkg")


@pytest.mark.parametrize("failure", ["database refuses the rows", "a bug"])
def test_an_unexpected_error_fails_the_import_with_a_reference_and_no_internals(failure, tmp_path, monkeypatch,
                                                                                 caplog):
    frame = corpus.parcel_squares(4, sheet=905)
    frame.loc[1, "SoThua"] = 1  # the same parcel twice: the unique constraint refuses the second
    path = corpus.write_shapefile_zip(frame, tmp_path / "loi-he-thong.zip")
    if failure == "a bug":
        monkeypatch.setattr(services.GeometryChecker, "check", _broken_geometry_check)
    else:
        # The import's own duplicate check switched off: PostgreSQL refuses the rows itself, with SQL
        # and the constraint's name in its error.
        monkeypatch.setattr(services, "_database_problems", lambda *args, **kwargs: iter(()))
    before = parcel_count()
    with pytest.raises(ImportRejected) as refused:
        layer_import(layer_id="parcels", path=path, options=ImportOptions(skip_invalid=True))
    message = str(refused.value)
    reference = re.search(r"E-[0-9A-F]{8}", message).group()
    assert "Lỗi hệ thống" in message and "không có gì được ghi" in message
    assert not INTERNALS.search(message) and not SERVER_PATH.search(message), message
    record = ImportRecord.objects.filter(file_name=path.name).latest("pk")
    assert record.status == "failed" and record.message == message and record.finished_at
    assert parcel_count() == before
    logged = [r for r in caplog.records if r.name == "geo.incidents" and reference in r.getMessage()]
    assert logged and logged[0].exc_info  # the details, with the traceback, are in the log


def test_a_csv_with_a_nul_byte_is_answered_on_the_check_page(tmp_path, client):
    user = User.objects.create_user("can-bo-du-lich", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=officer("tourism"))[0])
    client.force_login(user)
    path = tmp_path / "diem-nul.csv"
    path.write_bytes(f"ten,loai,lon,lat\nA,hotel,{corpus.ORIGIN[0]},{corpus.ORIGIN[1]}\n"
                     f"B\x00,hotel,{corpus.ORIGIN[0]},{corpus.ORIGIN[1]}\n".encode())
    with open(path, "rb") as f:
        inspect_url = client.post("/data/upload", {"file": f, "target": "tourism_pois"})["Location"]
    page = client.get(inspect_url + "&map_name=ten&map_category=loai")
    assert page.status_code == 200
    assert not ImportRecord.objects.filter(file_name=path.name, status="running").exists()
    assert not SERVER_PATH.search(page.content.decode().split("<main", 1)[1].split("</main>")[0])
    shutil.rmtree(upload_dir(inspect_url.split("/")[3]), ignore_errors=True)


def _one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    last = stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("CommandError: ")
    return last


def test_import_layer_says_in_one_line_that_the_database_cannot_be_reached(tmp_path, test_db_env):
    path = corpus.write_shapefile_zip(corpus.parcel_squares(2, sheet=906), tmp_path / "khong-csdl.zip")
    closed = f"postgres://geo:x@127.0.0.1:{_free_port()}/geo"
    done = subprocess.run([sys.executable, "manage.py", "import_layer", "parcels", str(path)], cwd=ROOT,
                          env={**test_db_env, "DATABASE_URL": closed}, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0, done.stderr  # one line
    line = _one_line_error(done.stderr)
    assert "Không kết nối được cơ sở dữ liệu" in line and "database unreachable" in line
    reference = re.search(r"E-[0-9A-F]{8}", line).group()
    assert reference in (Path(settings.VAR_DIR) / "log" / "import_layer.log").read_text(encoding="utf-8")


def test_import_layer_whose_database_session_is_cut_mid_way_fails_cleanly(tmp_path, test_db_env, committed):
    path = big_parcels(tmp_path / "cat-ket-noi.gpkg", sheet=907)
    before = parcel_count()
    child, record = import_layer_mid_way(test_db_env, path)
    committed["records"].append(record.pk)
    with connection.cursor() as cursor:  # what a database restart does to the import's session
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                       "AND classid = %s AND objid = %s AND objsubid = 2", [LOCK_NAMESPACE, record.pk])
        assert cursor.fetchone()[0]
    stderr = (child.stderr.read() or b"").decode()
    assert child.wait(timeout=60) != 0
    line = _one_line_error(stderr)
    reference = re.search(r"E-[0-9A-F]{8}", line).group()
    assert not INTERNALS.search(line.split(" Chi tiết trong ")[0]), line
    record.refresh_from_db()
    assert record.status == "failed" and reference in record.message  # recorded by the import itself
    assert not rejects_dir(record.pk).exists()
    assert parcel_count() == before
