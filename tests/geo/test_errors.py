"""Failures outside the views' own answers (geo/errors.py): JSON in the OGC exception format on the API
paths, a page in the caller's language elsewhere, 401 for anonymous writes, and never a traceback,
server path or SQL in what the caller sees."""
import logging
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import ProgrammingError
from django.test import Client
from django.urls import path

from geo.urls import handler400, handler403, handler404, handler500, urlpatterns as platform_urlpatterns  # noqa: F401
from layers.registry import officer
from tests.accounts.test_tokens import make_token
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db
ITEMS = "/ogcapi/collections/tourism_pois/items"


def _broken_view(request):
    raise ProgrammingError(f'relation "secret_table" does not exist\nLINE 1: SELECT * FROM secret_table '
                           f'(raised in {ROOT}/layers/selectors.py)')


def _forbidden_view(request):
    raise PermissionDenied("internal reason")


# This module doubles as the URL configuration of the tests marked urls(__name__): the platform's
# routes and error handlers plus views that fail on purpose.
urlpatterns = [
    path("ogcapi/broken", _broken_view),
    path("broken", _broken_view),
    path("ogcapi/forbidden", _forbidden_view),
    path("forbidden", _forbidden_view),
    *platform_urlpatterns,
]


def ogc_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "description"} and body["code"] == code
    return body


def test_an_unknown_page_answers_in_the_callers_language(client):
    vietnamese = client.get("/khong-co-trang-nay/")
    assert vietnamese.status_code == 404 and vietnamese["Content-Type"].startswith("text/html")
    assert 'lang="vi"' in vietnamese.content.decode() and "Không tìm thấy trang" in vietnamese.content.decode()
    english = client.get("/khong-co-trang-nay/", {"lang": "en"})
    assert english.status_code == 404 and "Page not found" in english.content.decode()
    client.cookies["lang"] = "en"  # the toggle remembered from an earlier page
    assert "Page not found" in client.get("/khong-co-trang-nay/").content.decode()


def test_unknown_api_routes_answer_ogc_json(client):
    for url in ("/ogcapi/khong-co", "/ogcapi/collections/tourism_pois/khong-co/x", "/api/khong-co", "/o/khong-co/"):
        ogc_error(client.get(url), 404, "NotFound")


@pytest.mark.urls(__name__)
def test_a_server_error_shows_a_reference_and_logs_the_details(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="geo.incidents"):
        api = client.get("/ogcapi/broken")
        page = client.get("/broken", {"lang": "en"})
    body = ogc_error(api, 500, "ServerError")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    for shown in (body["description"], page.content.decode()):
        assert "secret_table" not in shown and "Traceback" not in shown and str(ROOT) not in shown
        reference = re.search(r"E-[0-9A-F]{8}", shown).group()
        logged = [r for r in caplog.records if r.name == "geo.incidents" and reference in r.getMessage()]
        assert logged and "secret_table" in str(logged[0].exc_info[1])  # the details are in the log
    assert "quote the reference" in page.content.decode()


@pytest.mark.urls(__name__)
def test_permission_denied_on_the_api_asks_anonymous_callers_to_authenticate(client):
    anonymous = client.get("/ogcapi/forbidden")
    ogc_error(anonymous, 401, "Unauthorized")
    assert anonymous["WWW-Authenticate"] == "Bearer"
    ogc_error(client.get("/ogcapi/forbidden", HTTP_AUTHORIZATION=f"Bearer {make_token()}"), 403, "Forbidden")
    page = client.get("/forbidden")
    assert page.status_code == 403 and "Không có quyền truy cập" in page.content.decode()
    assert "internal reason" not in page.content.decode()


@pytest.mark.parametrize("method, url", [
    ("post", ITEMS), ("put", f"{ITEMS}/1"), ("patch", f"{ITEMS}/1"), ("delete", f"{ITEMS}/1")])
def test_anonymous_writes_answer_401_json(method, url):
    strict = Client(enforce_csrf_checks=True)  # as a real browser or script: no CSRF exemption
    response = getattr(strict, method)(url, '{"type": "Feature"}', content_type="application/geo+json")
    ogc_error(response, 401, "Unauthorized")
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_browser_session_without_its_csrf_token_gets_403_json():
    user = User.objects.create_user("du-lich", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=officer("tourism"))[0])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post(ITEMS, '{"type": "Feature"}', content_type="application/geo+json")
    body = ogc_error(response, 403, "InvalidCsrfToken")
    assert "X-CSRFToken" in body["description"]


def test_a_form_without_its_csrf_token_gets_a_page_in_the_callers_language():
    strict = Client(enforce_csrf_checks=True)
    vietnamese = strict.post("/accounts/login/", {"username": "x", "password": "y"})
    assert vietnamese.status_code == 403 and "Biểu mẫu đã hết hạn" in vietnamese.content.decode()
    english = strict.post("/accounts/login/?lang=en", {"username": "x", "password": "y"})
    assert english.status_code == 403 and "The form has expired" in english.content.decode()


def test_an_oversized_body_answers_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = '{"type": "Feature", "properties": {"name": "%s"}}' % ("x" * 2000)
    with_token = client.post(ITEMS, big, content_type="application/geo+json",
                             HTTP_AUTHORIZATION=f"Bearer {make_token({'scope': 'read write'})}")
    ogc_error(with_token, 413, "PayloadTooLarge")
    form = {"username": "x", "password": "y" * 2000}
    ogc_error(client.post("/o/token/", form), 413, "PayloadTooLarge")  # read by the view, before any check
    page = client.post("/accounts/login/", form)
    assert page.status_code == 413 and "Dữ liệu quá lớn" in page.content.decode()


def test_too_many_fields_answer_400(client):
    fields = "&".join(f"f{i}=1" for i in range(1001))  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000
    ogc_error(client.get(f"/ogcapi/collections/tourism_pois/items?{fields}"), 400, "BadRequest")
    page = client.get(f"/?{fields}")  # the query string cannot even say which language: Vietnamese
    assert page.status_code == 400 and "Yêu cầu không hợp lệ" in page.content.decode()


def test_a_disallowed_host_answers_400_without_echoing_it(client):
    ogc_error(client.get("/ogcapi/collections", HTTP_HOST="evil.example"), 400, "BadRequest")
    page = client.get("/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and "evil.example" not in page.content.decode()

