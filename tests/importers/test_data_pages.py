"""The officers' data pages as an officer meets them (issue 9): the job page exists the moment the
import is confirmed and confirming twice imports once; write modes in words, `replace` confirmed with
the number of features it deletes, no confirmation of a check that accepted nothing; job states,
numbers and dates the Vietnamese way; a history of real imports with layer titles; fixed values and
the rows as they will be stored. Imports run inline (test settings); the test's writes roll back."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from importers import jobs
from importers.jobs import QUEUED
from importers.models import ImportRecord
from importers.records import job_state_read, job_state_write
from layers.formats import whole_number_vi
from transport.models import Streetlight

from . import corpus

pytestmark = pytest.mark.django_db

DATE_TIME_VI = re.compile(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b")


@pytest.fixture
def transport_officer(sign_in_officer):
    return sign_in_officer("transport", "can-bo-giao-thong")


def lights(n: int, *, prefix: str, bad: set[int] = frozenset(), circuit: bool = True) -> list[dict]:
    """n street lights 10 m apart; rows in `bad` have a status no code list knows."""
    features = []
    for i in range(n):
        properties = {"light_code": f"{prefix}-{i}", "lamp_type": "led", "wattage_w": 100,
                      "status": "bogus" if i in bad else "operating"}
        if circuit:
            properties["circuit"] = "T1"
        lon, lat = corpus.ORIGIN[0] + (i % 100) * 1e-4, corpus.ORIGIN[1] + (i // 100) * 1e-4
        features.append({"type": "Feature", "properties": properties,
                         "geometry": {"type": "Point", "coordinates": [lon, lat]}})
    return features


def upload(client, uploads, tmp_path, features, name="den.geojson") -> str:
    path = corpus.geojson(tmp_path / name, features)
    with open(path, "rb") as f:
        response = client.post("/data/upload", {"file": f, "target": "streetlights"})
    assert response.status_code == 302, response.content
    token = response["Location"].split("/")[3]
    uploads.append(token)
    return token


def check(client, token: str, **params) -> str:
    response = client.get(f"/data/upload/{token}/", {"layer": "streetlights", **params})
    assert response.status_code == 200
    return response.content.decode()


def confirm(client, token: str, **fields):
    return client.post(f"/data/upload/{token}/start", {"layer": "streetlights", "mode": "append", **fields})


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags removed, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1]).split())


# -- 1. the job page exists at once; confirming twice imports once ------------------------------------------

def test_the_job_page_says_queued_before_the_import_starts(client, transport_officer, uploads, tmp_path, monkeypatch):
    token = upload(client, uploads, tmp_path, lights(2, prefix="Q"))
    seen = {}
    real_run_import = jobs.run_import

    def run_import_after_looking(job_token, **kwargs):
        # What the officer's browser gets if it follows the redirect before the import's thread runs.
        seen["page"] = client.get(f"/data/jobs/{job_token}/")
        seen["json"] = client.get(f"/data/jobs/{job_token}.json").json()
        real_run_import(job_token, **kwargs)

    monkeypatch.setattr(jobs, "run_import", run_import_after_looking)
    response = confirm(client, token)
    assert response.status_code == 302 and response["Location"] == f"/data/jobs/{token}/"
    assert seen["page"].status_code == 200
    assert "Đang chờ" in text_of(seen["page"].content.decode())
    assert seen["json"]["state"] == QUEUED and seen["json"]["label"] == "Đang chờ"
    assert client.get(f"/data/jobs/{token}.json").json()["state"] == "done"


def test_a_job_queued_by_a_process_that_died_says_failed(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(1, prefix="QD"))
    state = {"state": QUEUED, "owner": transport_officer.pk, "layer_id": "streetlights", "mode": "append",
             "file_name": "den.geojson", "host": jobs.socket.gethostname(), "pid": 2 ** 22 + 1}  # above pid_max
    job_state_write(token, **state)
    answer = client.get(f"/data/jobs/{token}.json").json()
    assert answer["state"] == "failed" and answer["label"] == "Lỗi (không ghi gì)"
    # Nothing was written: the officer may confirm again, and this time the import runs.
    assert confirm(client, token).status_code == 302
    assert job_state_read(token)["state"] == "done"


def test_confirming_the_same_check_twice_imports_once(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(3, prefix="TWICE"))
    check(client, token)
    first = confirm(client, token)
    again = confirm(client, token)  # the back button and "confirm" again, or a second click
    assert first["Location"] == again["Location"] == f"/data/jobs/{token}/"
    assert Streetlight.objects.filter(light_code__startswith="TWICE-").count() == 3
    assert ImportRecord.objects.filter(job_token=token).count() == 1


def test_a_confirmation_while_the_job_is_queued_starts_nothing(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(2, prefix="QQ"))
    job_state_write(token, state=QUEUED, owner=transport_officer.pk, layer_id="streetlights", mode="append",
                    file_name="den.geojson", host=jobs.socket.gethostname(), pid=jobs.os.getpid())
    response = confirm(client, token)
    assert response.status_code == 302 and response["Location"] == f"/data/jobs/{token}/"
    assert not ImportRecord.objects.filter(job_token=token).exists()
    assert not Streetlight.objects.filter(light_code__startswith="QQ-").exists()


# -- 2. write modes in words; replace confirmed; nothing to load ----------------------------------------------

def test_write_modes_are_named_and_explained_in_the_page_language(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(2, prefix="MODE"))
    page = text_of(check(client, token))
    for label in ("Thêm vào", "Thay thế toàn bộ", "Cập nhật hoặc thêm"):
        assert label in page
    assert "Xóa tất cả đối tượng đang có trong lớp" in page
    assert not re.search(r"\b(append|replace|upsert)\b", page)  # the raw names are values, not words shown
    english = text_of(check(client, token, lang="en"))
    assert "Append" in english and "Replace everything" in english and "Update or add" in english
    assert "Delete every feature now in the layer" in english


def test_replace_first_shows_how_many_features_it_deletes(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(4, prefix="REPL"))
    check(client, token)
    existing = Streetlight.objects.count()
    assert existing > 0  # the demo province's street lights
    asked = confirm(client, token, mode="replace")
    assert asked.status_code == 200
    page = text_of(asked.content.decode())
    assert f"{whole_number_vi(existing)} đối tượng đang có trong lớp Đèn chiếu sáng công cộng sẽ bị xóa" in page
    assert "4 dòng" in page
    assert Streetlight.objects.count() == existing  # nothing happened yet
    assert job_state_read(token) is None and not ImportRecord.objects.filter(job_token=token).exists()
    confirmed = confirm(client, token, mode="replace", replace_confirmed="yes")
    assert confirmed.status_code == 302 and job_state_read(token)["state"] == "done"
    assert Streetlight.objects.count() == 4


def test_a_check_that_accepted_no_row_cannot_be_confirmed(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(3, prefix="ZERO", bad={0, 1, 2}))
    page = check(client, token)
    button = re.search(r'<button[^>]*id="confirm"[^>]*>', page).group()
    assert "disabled" in button
    assert "Không có dòng hợp lệ nào để nạp" in text_of(page)
    refused = confirm(client, token, skip_invalid="on")  # a hand-made POST, or a stale page
    assert refused.status_code == 400
    assert "Không có dòng hợp lệ nào để nạp" in text_of(refused.content.decode())
    assert job_state_read(token) is None
    assert not ImportRecord.objects.filter(job_token=token).exists()
    # A good check enables it.
    good = upload(client, uploads, tmp_path, lights(1, prefix="ONE"), name="mot.geojson")
    assert "disabled" not in re.search(r'<button[^>]*id="confirm"[^>]*>', check(client, good)).group()


def test_update_or_add_without_a_key_is_refused_before_starting(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(1, prefix="KEY"))
    check(client, token)
    refused = confirm(client, token, mode="upsert")
    assert refused.status_code == 400 and "cần chọn ít nhất một cột khóa" in refused.content.decode()
    assert job_state_read(token) is None


# -- 3. the job page and the history ----------------------------------------------------------------------

def test_the_job_page_speaks_vietnamese_numbers_dates_and_titles(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(1200, prefix="VN", bad={7}))
    confirm(client, token, skip_invalid="on")
    page = text_of(client.get(f"/data/jobs/{token}/").content.decode())
    assert "Hoàn tất" in page and "done" not in page.split()
    assert "Đèn chiếu sáng công cộng" in page and "Thêm vào" in page
    assert "1.200 / 1.200 dòng" in page and "Nhận 1.199" in page and "Loại 1" in page
    assert len(DATE_TIME_VI.findall(page)) == 2  # started, finished
    answer = client.get(f"/data/jobs/{token}.json").json()
    assert answer["label"] == "Hoàn tất" and answer["accepted_text"] == "1.199" and answer["ended"] is True
    english = text_of(client.get(f"/data/jobs/{token}/?lang=en").content.decode())
    assert "Done" in english and "Street lights" in english and "Append" in english
    assert "1.200 / 1.200 rows" in english


def test_the_history_lists_real_imports_with_layer_titles_not_checks(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(2, prefix="HIST"), name="lich-su.geojson")
    for encoding in ("", "utf-8", ""):  # the officer checks three times
        check(client, token, encoding=encoding)
    home = client.get("/data/").content.decode()
    assert "lich-su.geojson" not in home  # checks are not imports
    confirm(client, token)
    home = client.get("/data/").content.decode()
    rows = [row for row in home.split("<tr")[1:] if "lich-su.geojson" in row]
    assert len(rows) == 1
    cells = text_of("<main>" + rows[0])
    assert "Đèn chiếu sáng công cộng" in cells and "Hoàn tất" in cells and "streetlights" not in cells
    assert DATE_TIME_VI.search(cells)
    assert f'href="/data/jobs/{token}/"' in rows[0]


def test_the_history_costs_the_same_queries_for_one_or_many_imports(client, transport_officer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/data/").status_code == 200
        return len(captured)

    def record(i):
        ImportRecord.objects.create(user=transport_officer, layer_id="streetlights", file_name=f"f{i}.geojson",
                                    sha256="0" * 64, size_bytes=1, file_format="geojson", mode="append", status="done")

    record(0)
    one = queries()
    for i in range(1, 8):
        record(i)
    assert queries() == one


# -- 4. fixed values; the rows as they will be stored -------------------------------------------------------

def test_a_column_can_be_given_a_fixed_value_and_the_preview_shows_stored_rows(client, transport_officer, uploads,
                                                                                 tmp_path):
    features = lights(3, prefix="FIX", circuit=False)
    for feature in features:
        feature["properties"]["lamp_type"] = "Bóng LED"  # a synonym of the code led
    token = upload(client, uploads, tmp_path, features)
    page = check(client, token)
    assert "Chọn trường cho các cột bắt buộc" in page and "circuit" in page  # the file has no circuit
    assert '<option value="=">(giá trị cố định)</option>' in page
    page = check(client, token, map_circuit="=", fixed_circuit="TĐ-9")
    assert 'id="fixed_circuit" value="TĐ-9"' in page
    samples = page.split('class="samples"')[1].split("</table>")[0]
    assert "TĐ-9" in samples and "Đèn LED" in samples and "led" in samples  # decoded, as it will be stored
    assert '<input type="hidden" name="map_circuit" value="=TĐ-9">' in page
    confirm(client, token, map_circuit="=TĐ-9", map_light_code="light_code", map_lamp_type="lamp_type",
            map_wattage_w="wattage_w", map_status="status")
    stored = Streetlight.objects.filter(light_code__startswith="FIX-")
    assert sorted(stored.values_list("circuit", "lamp_type_id").distinct()) == [("TĐ-9", "led")]
    assert stored.count() == 3


def test_the_language_toggle_keeps_the_check_page(client, transport_officer, uploads, tmp_path):
    token = upload(client, uploads, tmp_path, lights(1, prefix="LANG"))
    page = check(client, token, map_circuit="=", fixed_circuit="T9")
    toggle = re.search(r'<a href="([^"]+)" lang="en" hreflang="en">English</a>', page).group(1).replace("&amp;", "&")
    english = client.get(toggle)
    assert english.status_code == 200  # not "you may not edit this layer": the layer and mapping are kept
    text = text_of(english.content.decode())
    assert "Check before loading" in text and "Validation preview" in text
    assert 'id="fixed_circuit" value="T9"' in english.content.decode()


def test_checking_a_file_already_loaded_warns_before_loading_it_again(client, transport_officer, uploads, tmp_path):
    features = lights(2, prefix="AGAIN")
    first = upload(client, uploads, tmp_path, features, name="lan-1.geojson")
    assert "đã được nạp vào lớp này" not in check(client, first)
    confirm(client, first)
    second = upload(client, uploads, tmp_path, features, name="lan-2.geojson")  # the same content, uploaded again
    page = text_of(check(client, second))
    assert re.search(r"Tệp này \(cùng nội dung\) đã được nạp vào lớp này lúc \d{2}/\d{2}/\d{4} \d{2}:\d{2} "
                     r"\(can-bo-giao-thong\)", page)
