"""Incident photos as people fetch them (/phan-anh/anh/<id> and /nho, the thumbnail): a published
photo to anyone, the others only to those who may read the incident (the IOC, the incident's agency
once it is forwarded to it); everyone else gets 404, whether the photo exists or not. The file comes
from the database row, under GEO_MEDIA_DIR only, as a metadata-free JPEG that is never cached publicly."""
import io

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from PIL import Image

from incidents import services
from incidents.models import IncidentPhoto
from incidents.services import Actor
from layers.registry import ROLE_IOC, ROLE_MANAGER, officer

from .test_report_pages import DONG_XOAI, ENVIRONMENT, OPERATOR, phone_jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.GEO_MEDIA_DIR = tmp_path
    return tmp_path


def signed_in(username: str, *roles: str) -> Client:
    user = User.objects.create_user(username)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people():
    return {
        "anonymous": Client(),
        "ioc": signed_in("op.tran", ROLE_IOC),
        "leader": signed_in("ld.pho-chu-tich", ROLE_MANAGER),
        "environment": signed_in("cb.moitruong", officer("environment")),
        "transport": signed_in("cb.giaothong", officer("transport")),
    }


@pytest.fixture
def photo() -> IncidentPhoto:
    incident = services.incident_report(category="environment", lon=DONG_XOAI[0], lat=DONG_XOAI[1], channel="web",
                                        actor=Actor.citizen("web"), description="Nước thải đen chảy ra suối",
                                        photos=[phone_jpeg(size=(2000, 1500))])
    return IncidentPhoto.objects.get(incident=incident)


def step(photo, *actions):
    for action in actions:
        actor = ENVIRONMENT if action == "handle" else OPERATOR
        services.incident_act(incident_id=photo.incident_id, action=action, actor=actor,
                              **({"result": "Đã xử lý nguồn thải."} if action == "handle" else {}))


def seen_by(people, photo) -> dict:
    return {who: (client.get(f"/phan-anh/anh/{photo.pk}").status_code,
                  client.get(f"/phan-anh/anh/{photo.pk}/nho").status_code) for who, client in people.items()}


def test_who_sees_a_photo_before_and_after_the_ioc_publishes_it(people, photo):
    ok, hidden = (200, 200), (404, 404)
    assert seen_by(people, photo) == {"anonymous": hidden, "ioc": ok, "leader": ok, "environment": hidden,
                                      "transport": hidden}
    step(photo, "verify", "forward")  # now the environment agency works on it
    assert seen_by(people, photo) == {"anonymous": hidden, "ioc": ok, "leader": ok, "environment": ok,
                                      "transport": hidden}
    step(photo, "handle", "review", "publish")
    assert seen_by(people, photo) == {"anonymous": ok, "ioc": ok, "leader": ok, "environment": ok, "transport": ok}


def test_a_served_photo_is_a_bare_jpeg_with_safe_headers(people, photo):
    response = people["ioc"].get(f"/phan-anh/anh/{photo.pk}")
    data = b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Content-Disposition"].startswith('inline; filename="') and "IMG" not in response["Content-Disposition"]
    with Image.open(io.BytesIO(data)) as served:
        assert served.format == "JPEG" and max(served.size) == 1600  # resized for the map
        assert not served.getexif() and "exif" not in served.info
    thumb = people["ioc"].get(f"/phan-anh/anh/{photo.pk}/nho")
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as small:
        assert max(small.size) == 320
    again = people["ioc"].get(f"/phan-anh/anh/{photo.pk}", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_unknown_photos_and_rows_pointing_outside_the_media_folder_are_404(people, photo):
    assert people["ioc"].get(f"/phan-anh/anh/{photo.pk + 1000}").status_code == 404
    assert people["ioc"].get("/phan-anh/anh/abc").status_code == 404
    IncidentPhoto.objects.filter(pk=photo.pk).update(path="../../../../etc/passwd", thumb_path="/etc/hostname")
    assert seen_by({"ioc": people["ioc"]}, photo) == {"ioc": (404, 404)}
