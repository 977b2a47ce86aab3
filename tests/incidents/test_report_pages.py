"""The citizen's side of the IOC (/phan-anh/): on a phone, without an account, a citizen files a report
with a point and photos, is offered the open reports of the same kind nearby to support instead, gets
a tracking code and follows the status and the published result. Bad input answers 4xx with a
Vietnamese + English message and writes nothing; anonymous reports are rate-limited per address."""
import datetime as dt
import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from incidents import services
from incidents.layers import INCIDENTS
from incidents.models import Incident, IncidentPhoto, IncidentReporter, Status
from incidents.services import Actor
from layers import writes
from layers.editing import Editor
from layers.registry import ROLE_IOC, officer
from tests.threads import in_thread as _in_thread

pytestmark = pytest.mark.django_db

# Đồng Xoài: 11°32'06.0" N 106°53'02.4" E = 11 + 32/60 + 6/3600 = 11.535, 106 + 53/60 + 2.4/3600 = 106.884
DONG_XOAI = (106.884, 11.535)
# ~55 m east of it: 0.0005° of longitude × 111.32 km × cos(11.5°) ≈ 54.5 m (inside the 250 m radius)
NEXT_DOOR = (106.8845, 11.535)
# ~1.1 km north: 0.01° of latitude × 111 km (outside the radius)
A_KM_NORTH = (106.884, 11.545)
OPERATOR = Actor("op.nguyen", frozenset({ROLE_IOC}))
ENVIRONMENT = Actor("cb.moitruong", frozenset({officer("environment")}))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.GEO_MEDIA_DIR = tmp_path
    return tmp_path


def phone_jpeg(gps: tuple[float, float] | None = DONG_XOAI, size=(640, 480)) -> bytes:
    """A JPEG as a phone camera writes it: make, model and (optionally) the GPS position in EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Samsung"
    exif[ExifTags.Base.Model] = "SM-A546E"
    if gps is not None:
        lon, lat = gps
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef] = "N"
        info[ExifTags.GPS.GPSLatitude] = (IFDRational(round(lat * 1_000_000), 1_000_000), IFDRational(0), IFDRational(0))
        info[ExifTags.GPS.GPSLongitudeRef] = "E"
        info[ExifTags.GPS.GPSLongitude] = (IFDRational(round(lon * 1_000_000), 1_000_000), IFDRational(0),
                                           IFDRational(0))
    picture = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def upload(data: bytes, name: str = "IMG_2041.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def form(**overrides) -> dict:
    fields = {"category": "environment", "lon": str(DONG_XOAI[0]), "lat": str(DONG_XOAI[1]),
              "description": "Rác thải đổ trộm bên đường Phú Riềng Đỏ", "name": "Nguyễn Văn An", "phone": "0912345678"}
    return {**fields, **overrides}


def filed(response) -> Incident:
    assert response.status_code == 303, response.content.decode()[:2000]
    code = re.match(r"^/phan-anh/(PA-\d{4}-[A-Z0-9]{5})/", response["Location"]).group(1)
    return Incident.objects.get(tracking_code=code)


def report(where=DONG_XOAI, category="environment", **kwargs) -> Incident:
    return services.incident_report(category=category, lon=where[0], lat=where[1], channel="web",
                                    actor=Actor.citizen("web"), description=kwargs.pop("description", "Cống bị tắc"),
                                    **kwargs)


def published(incident: Incident, result="Đã thu gom rác và lắp biển cấm đổ rác.") -> Incident:
    for action, actor, extra in (("verify", OPERATOR, {}), ("forward", OPERATOR, {}),
                                 ("handle", ENVIRONMENT, {"result": result}), ("review", OPERATOR, {}),
                                 ("publish", OPERATOR, {})):
        incident = services.incident_act(incident_id=incident.pk, action=action, actor=actor, **extra)
    return incident


# -- the form -------------------------------------------------------------------------------------------

def test_form_offers_citizen_categories_a_map_and_photo_capture_all_from_this_server(client):
    page = client.get("/phan-anh/")
    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="vi">' in html
    assert "Ô nhiễm môi trường" in html and "Dùng vị trí của tôi" in html and "csrfmiddlewaretoken" in html
    assert 'accept="image/*"' in html and "capture=" in html
    assert "Chỉ cán bộ Trung tâm Điều hành (IOC) xem được" in html  # the contact is marked as private
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from elsewhere
    assert "<script>" not in html  # no inline script (CSP): code and data come as files and JSON
    english = client.get("/phan-anh/?lang=en").content.decode()
    assert "Environmental pollution" in english and "Use my position" in english


# -- filing a report ------------------------------------------------------------------------------------

def test_a_report_with_a_photo_gets_a_tracking_code_and_the_stored_photo_carries_no_gps(client, media):
    response = client.post("/phan-anh/", form(photos=[upload(phone_jpeg())]))
    incident = filed(response)
    assert response["Location"].endswith("/?moi=1")
    assert incident.channel == "web" and incident.status == Status.RECEIVED
    assert (incident.geom.x, incident.geom.y) == pytest.approx(DONG_XOAI)
    reporter = IncidentReporter.objects.get(incident=incident)
    assert (reporter.name, reporter.phone, reporter.address_ip) == ("Nguyễn Văn An", "0912345678", "127.0.0.1")
    photo = IncidentPhoto.objects.get(incident=incident)
    with Image.open(media / photo.path) as stored:
        assert stored.format == "JPEG" and not stored.getexif() and "exif" not in stored.info
        assert ExifTags.IFD.GPSInfo not in stored.getexif()
    assert photo.public is False

    page = client.get(response["Location"]).content.decode()
    assert incident.tracking_code in page and "Hãy lưu lại mã này" in page and "Mới tiếp nhận" in page
    assert "Nguyễn Văn An" not in page and "0912345678" not in page  # the reporter stays with the IOC
    assert "/phan-anh/anh/" not in page  # an unpublished photo is not shown


def test_without_a_placed_point_the_photos_gps_places_the_report(client):
    response = client.post("/phan-anh/", form(lon="", lat="", photos=[upload(phone_jpeg(gps=NEXT_DOOR))]))
    incident = filed(response)
    assert (incident.geom.x, incident.geom.y) == pytest.approx(NEXT_DOOR, abs=1e-6)
    assert response["Location"].endswith("?vi-tri=anh")
    assert "Vị trí lấy từ ảnh" in client.get(response["Location"]).content.decode()


def test_a_placed_point_wins_over_the_photos_gps(client):
    incident = filed(client.post("/phan-anh/", form(photos=[upload(phone_jpeg(gps=A_KM_NORTH))])))
    assert (incident.geom.x, incident.geom.y) == pytest.approx(DONG_XOAI)


@pytest.mark.parametrize("fields, photos, status, message", [
    ({"lon": "", "lat": ""}, [phone_jpeg(gps=None)], 400, "Hãy chọn vị trí trên bản đồ. / Please choose"),
    ({"lon": "", "lat": ""}, [phone_jpeg(gps=(105.8, 21.0))], 400, "Hãy chọn vị trí"),  # Hà Nội: outside
    ({"lon": "106.6", "lat": "10.8"}, [], 400, "ngoài tỉnh Bình Phước. / The location is outside"),
    ({"category": "no_such_thing"}, [], 400, "Please choose a kind of problem from the list."),
    ({"description": "   "}, [], 400, "Hãy nhập mô tả. / Please enter the description."),
    ({}, [b"<html><script>alert(1)</script></html>"], 400, "/"),
    ({}, [phone_jpeg()] * 4, 400, "Tối đa 3 ảnh cho một phản ánh. / At most 3 photos per report."),
])
def test_bad_reports_answer_4xx_with_the_form_again_and_write_nothing(client, media, fields, photos, status, message):
    before = Incident.objects.count()
    response = client.post("/phan-anh/", form(**fields, photos=[upload(p) for p in photos]))
    html = response.content.decode()
    assert response.status_code == status and message in html and 'role="alert"' in html
    assert 'id="report-form"' in html
    if "description" not in fields:
        assert "Rác thải đổ trộm bên đường Phú Riềng Đỏ" in html  # what was typed is kept
    assert Incident.objects.count() == before and not list(media.rglob("*.jpg"))


def test_a_photo_over_the_size_limit_is_refused_before_it_is_read(client, settings, media):
    settings.GEO_PHOTO_MAX_BYTES = 20_000
    big = phone_jpeg(size=(1200, 900)) + b"\0" * 20_000
    response = client.post("/phan-anh/", form(photos=[upload(big)]))
    assert response.status_code == 413
    assert "/ A photo is larger than" in response.content.decode()
    assert not Incident.objects.filter(description=form()["description"]).exists()


def test_a_post_without_the_csrf_token_is_refused():
    response = Client(enforce_csrf_checks=True).post("/phan-anh/", form())
    assert response.status_code == 403 and not Incident.objects.filter(description=form()["description"]).exists()


def test_descriptions_are_plain_text_on_the_status_page(client):
    incident = filed(client.post("/phan-anh/", form(description='<img src=x onerror="alert(1)"> ngập nước')))
    page = client.get(f"/phan-anh/{incident.tracking_code}/").content.decode()
    assert "<img src=x" not in page


# -- duplicates -----------------------------------------------------------------------------------------

@pytest.fixture
def no_demo_incidents(db):
    """The demo month leaves reports around Đồng Xoài; tests of what is nearby start from none (rolled back)."""
    Incident.objects.all().delete()


def test_open_reports_of_the_same_kind_nearby_are_offered_without_personal_data(client, no_demo_incidents):
    mine = report(reporter={"name": "Trần Thị Bình", "phone": "0987654321"})
    report(category="traffic")  # another kind at the same place: not offered
    found = client.get("/phan-anh/gan-day", {"category": "environment", "lon": NEXT_DOOR[0], "lat": NEXT_DOOR[1]})
    assert found.status_code == 200
    reports = found.json()["reports"]
    assert [r["tracking_code"] for r in reports] == [mine.tracking_code]
    assert 40 <= reports[0]["distance_m"] <= 70  # ≈ 55 m, see NEXT_DOOR
    assert reports[0]["support_url"] == f"/phan-anh/{mine.tracking_code}/ung-ho"
    assert "Trần Thị Bình" not in found.content.decode() and "0987654321" not in found.content.decode()
    assert "id" not in reports[0]
    far = client.get("/phan-anh/gan-day", {"category": "environment", "lon": A_KM_NORTH[0], "lat": A_KM_NORTH[1]})
    assert far.json()["reports"] == []
    bad = client.get("/phan-anh/gan-day", {"category": "environment", "lon": "abc", "lat": "11.5"})
    assert bad.status_code == 400 and "Invalid location" in bad.json()["error"]


def test_supporting_a_report_counts_once_per_browser_and_shows_on_its_timeline(client):
    incident = report()
    first = client.post(f"/phan-anh/{incident.tracking_code}/ung-ho")
    assert first.status_code == 303 and first["Location"] == f"/phan-anh/{incident.tracking_code}/?ung-ho=1"
    again = client.post(f"/phan-anh/{incident.tracking_code}/ung-ho", HTTP_ACCEPT="application/json")
    assert again.status_code == 409 and "already support" in again.json()["error"]
    other_phone = Client().post(f"/phan-anh/{incident.tracking_code}/ung-ho", HTTP_ACCEPT="application/json",
                                REMOTE_ADDR="203.0.113.44")  # another citizen (the same address counts once)
    assert other_phone.status_code == 200 and other_phone.json()["supporters"] == 2
    incident.refresh_from_db()
    assert incident.supporters == 2
    page = client.get(first["Location"]).content.decode()
    assert "Cảm ơn bạn" in page and "Thêm người cùng phản ánh" in page
    assert client.post("/phan-anh/PA-0000-XXXXX/ung-ho").status_code == 404


def test_a_closed_report_cannot_be_supported(client):
    incident = published(report())
    answer = client.post(f"/phan-anh/{incident.tracking_code}/ung-ho", HTTP_ACCEPT="application/json")
    assert answer.status_code == 409 and "This report is closed" in answer.json()["error"]


# -- following a report ---------------------------------------------------------------------------------

def test_lookup_by_code_leads_to_the_status_page(client):
    incident = report()
    found = client.get("/phan-anh/tra-cuu", {"ma": f" {incident.tracking_code.lower()} "})
    assert found.status_code == 302 and found["Location"] == f"/phan-anh/{incident.tracking_code}/"
    missing = client.get("/phan-anh/tra-cuu", {"ma": "PA-0000-XXXXX"})
    assert missing.status_code == 404 and "No report has this code" in missing.content.decode()
    assert client.get("/phan-anh/tra-cuu").status_code == 200
    assert client.get("/phan-anh/PA-0000-XXXXX/").status_code == 404
    english = client.get(f"/phan-anh/{incident.tracking_code}/?lang=en").content.decode()
    assert "Tracking code" in english and "Received" in english and "Environmental pollution" in english


def test_the_result_and_photos_show_only_once_the_ioc_publishes_them(client):
    incident = report(reporter={"name": "Lê Văn Cường", "phone": "0900000001"}, photos=[phone_jpeg()])
    for action, actor, extra in (("verify", OPERATOR, {}), ("forward", OPERATOR, {}),
                                 ("handle", ENVIRONMENT, {"result": "Đã nạo vét cống."})):
        services.incident_act(incident_id=incident.pk, action=action, actor=actor, **extra)
    services.incident_note(incident_id=incident.pk, actor=OPERATOR, note="Ghi chú nội bộ: gọi lại sau")
    url = f"/phan-anh/{incident.tracking_code}/"
    before = client.get(url).content.decode() + client.get(url + "trang-thai.json").content.decode()
    assert "Đã nạo vét cống." not in before and "Chưa có kết quả được công khai." in before
    assert "Ghi chú nội bộ" not in before and "Lê Văn Cường" not in before and "/phan-anh/anh/" not in before

    services.incident_act(incident_id=incident.pk, action="review", actor=OPERATOR)
    services.incident_act(incident_id=incident.pk, action="publish", actor=OPERATOR)
    page = client.get(url).content.decode()
    assert "Đã nạo vét cống." in page and "Đã công khai kết quả" in page
    status = client.get(url + "trang-thai.json").json()
    photo = IncidentPhoto.objects.get(incident=incident)
    assert status["status"] == "published" and status["result"] == "Đã nạo vét cống."
    assert status["photo_urls"] == [{"full": f"/phan-anh/anh/{photo.pk}", "thumb": f"/phan-anh/anh/{photo.pk}/nho"}]
    assert f'src="/phan-anh/anh/{photo.pk}/nho"' in page
    assert "Lê Văn Cường" not in page + str(status)


def test_a_merged_report_follows_its_primary(client):
    primary, duplicate = report(), report(where=NEXT_DOOR)
    services.incident_act(incident_id=duplicate.pk, action="merge", actor=OPERATOR, primary_id=primary.pk)
    page = client.get(f"/phan-anh/{duplicate.tracking_code}/").content.decode()
    assert f'href="/phan-anh/{primary.tracking_code}/"' in page and "trùng với" in page


def test_live_updates_need_the_event_loop_server_else_the_page_polls(client):
    """Under the threaded server (Django's test client, or a WSGI deployment) a stream would hold a
    thread for ever: it answers 503, and status.js polls the JSON instead."""
    incident = report()
    # From a thread of its own: after a browser test, Playwright's event loop runs in this one, and
    # Django's test client cannot call an async view from a thread with a running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        response = pool.submit(client.get, f"/phan-anh/{incident.tracking_code}/live").result()
    assert response.status_code == 503 and response["Retry-After"] == "10"


# -- rate limit -----------------------------------------------------------------------------------------

def test_anonymous_reports_are_limited_per_address_with_a_clear_message(client, settings):
    settings.GEO_REPORT_RATE_LIMITS = ((2, 600), (20, 86400))
    here = {"REMOTE_ADDR": "203.0.113.7"}
    for _ in range(2):
        filed(client.post("/phan-anh/", form(), **here))
    before = Incident.objects.count()
    refused = client.post("/phan-anh/", form(), **here)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 600
    html = refused.content.decode()
    assert "hãy thử lại sau 10 phút. / You have sent many reports" in html and "try again in 10 minutes" in html
    assert Incident.objects.count() == before
    filed(client.post("/phan-anh/", form(), REMOTE_ADDR="203.0.113.8"))  # another address is not held up


def test_the_daily_limit_counts_reports_of_the_whole_day(client):
    # Defaults: 5 per 10 minutes, 20 per day. 20 reports spread over the last 20 hours, 2 of them recent.
    now = timezone.now()
    for hours in range(20):
        report(reported_at=now - dt.timedelta(hours=hours, minutes=1), reporter={"address_ip": "198.51.100.4"})
    refused = client.post("/phan-anh/", form(), REMOTE_ADDR="198.51.100.4")
    # The 20th newest was reported 19 h 1 min ago: a place frees up in 4 h 59 min.
    assert refused.status_code == 429 and 4 * 3600 < int(refused["Retry-After"]) <= 5 * 3600
    assert "5 giờ" in refused.content.decode() and "5 hours" in refused.content.decode()


def test_ioc_staff_entering_hotline_calls_are_not_limited(client, settings):
    settings.GEO_REPORT_RATE_LIMITS = ((1, 600),)
    user = User.objects.create_user("op.hotline")
    user.groups.add(Group.objects.get_or_create(name=ROLE_IOC)[0])
    client.force_login(user)
    for _ in range(3):
        filed(client.post("/phan-anh/", form()))


def _delete_committed(codes):
    def clean():
        with writes.writing(Editor.system("test"), source=writes.ADMIN):
            for pk in Incident.objects.filter(tracking_code__in=codes).values_list("pk", flat=True):
                writes.feature_delete(spec=INCIDENTS, editor=Editor.system("test"), feature_id=pk,
                                      source=writes.ADMIN)
    _in_thread(clean)


def test_reports_sent_at_once_from_one_address_cannot_pass_the_limit_together(settings):
    """Two workers, two connections, committed transactions released together: the advisory lock per
    address makes the second count the first's report."""
    settings.GEO_REPORT_RATE_LIMITS = ((1, 600),)
    barrier = threading.Barrier(2)
    answers = []

    def citizen_sends():
        try:
            client = Client()
            barrier.wait(timeout=60)
            answers.append(client.post("/phan-anh/", form(description="Khói đen từ lò đốt rác"),
                                       REMOTE_ADDR="192.0.2.55"))
        finally:
            connection.close()
    threads = [threading.Thread(target=citizen_sends) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(a.status_code for a in answers) == [303, 429]
    finally:
        _delete_committed(_in_thread(lambda: list(IncidentReporter.objects.filter(address_ip="192.0.2.55")
                                                  .values_list("incident__tracking_code", flat=True))))


# -- on a phone, end to end -------------------------------------------------------------------------------

def test_a_citizen_reports_from_a_phone_and_follows_it_to_the_published_result(chromium, platform_url):
    """A 360 px phone: choose the kind, tap the map, then use the phone's position; the open report of the
    same kind next door is offered first; attach a photo, send anyway, land on the status page with the
    tracking code; the IOC publishes the result (committed, another process serves the page) and the page
    shows it without the citizen doing anything (live, or by its 10 s poll where streams are off)."""
    from geo.settings.base import GEO_MEDIA_DIR as server_media  # the server's (this test's is a tmp folder)
    from tests.browser import new_page, wait_until

    neighbour = _in_thread(lambda: report(where=NEXT_DOOR, description="Bãi rác tự phát cạnh chợ").tracking_code)
    codes = [neighbour]
    page = new_page(chromium, "phone", geolocation={"latitude": DONG_XOAI[1], "longitude": DONG_XOAI[0]},
                    permissions=["geolocation"])
    try:
        page.goto(f"{platform_url}/phan-anh/")
        page.select_option("#category", "environment")
        wait_until(page, "document.querySelector('#report-map .leaflet-tile-container, #report-map canvas, "
                         "#report-map svg') !== null")
        page.tap("#report-map", position={"x": 180, "y": 120})
        wait_until(page, "document.getElementById('lon').value !== ''")
        page.click("#locate")
        wait_until(page, f"document.getElementById('lon').value === '{DONG_XOAI[0]:.6f}'")
        wait_until(page, "!document.getElementById('nearby').hidden")
        assert neighbour in page.inner_text("#nearby")
        assert page.is_visible("text=Tôi cũng gặp vấn đề này")
        page.fill("#description", "Rác thải sinh hoạt đổ tràn ra lòng đường, bốc mùi.")
        page.set_input_files("#photos", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg",
                                                 "buffer": phone_jpeg(gps=A_KM_NORTH)}])
        wait_until(page, "document.querySelectorAll('#photo-previews img').length === 1")
        page.click("#send")  # first the nearby report is pointed out; sending again files a new one
        wait_until(page, "document.getElementById('send').textContent.includes('Vẫn gửi')")
        page.click("#send")
        page.wait_for_url(re.compile(r".*/phan-anh/PA-\d{4}-[A-Z0-9]{5}/\?moi=1$"))
        code = page.inner_text("#tracking-code").strip()
        codes.append(code)
        assert re.fullmatch(r"PA-\d{4}-[A-Z0-9]{5}", code) and page.is_visible("text=Mới tiếp nhận")
        wait_until(page, "document.body.dataset.live === 'stream' || document.body.dataset.live === 'poll'")

        def ioc_publishes():
            incident = Incident.objects.get(tracking_code=code)
            assert (incident.geom.x, incident.geom.y) == pytest.approx(DONG_XOAI)  # the phone's position
            published(incident, result="Đội vệ sinh môi trường đã thu gom rác trong ngày.")
        _in_thread(ioc_publishes)
        wait_until(page, "document.getElementById('result').textContent.includes('Đội vệ sinh môi trường')",
                   timeout_s=30)
        wait_until(page, "document.querySelector('#photos img') !== null && "
                         "document.querySelector('#photos img').complete && "
                         "document.querySelector('#photos img').naturalWidth > 0")
        assert "Đã công khai kết quả" in page.inner_text("#status-name")
        assert page.outside_requests == [] and page.errors == []
    finally:
        page.context.close()
        # The server wrote the photos under the shared media folder: remove exactly those files.
        files = _in_thread(lambda: [name for row in IncidentPhoto.objects.filter(incident__tracking_code__in=codes)
                                    .values_list("path", "thumb_path") for name in row])
        _delete_committed(codes)
        for name in files or []:
            (server_media / name).unlink(missing_ok=True)
