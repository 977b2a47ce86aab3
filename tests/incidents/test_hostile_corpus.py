"""The hostile-input corpus (tests/hostile/) against the IOC's writers: the machine alerts API, the
operators' actions and hotline entry, Open311 posts and the citizens' form. Every body, field value and
file is refused with a clear 4xx (never a server error) and writes nothing."""
import base64
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from incidents.alerts import ROLE_SENSOR
from incidents.models import Incident, IncidentPhoto, IncidentUpdate
from incidents.services import Actor, incident_report
from layers.registry import ROLE_IOC
from tests.layers.test_editing import bearer

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parent.parent / "hostile"
BODIES = sorted({base64.b64decode(json.loads(line)["body"])
                 for line in (CORPUS / "bodies.jsonl").read_text(encoding="utf-8").splitlines()})
FILES = sorted((CORPUS / "files").iterdir())
# Field values the corpus's bodies carry, for form posts.
VALUES = ["", " ", "NaN", "1e400", "-1e400", "Infinity", "A\x00B", "x" * 5000, "106.9; DROP TABLE incidents_incident",
          "{\"$gt\": \"\"}", "<script>alert(1)</script>", "../../var/secret_key", "http://169.254.169.254/latest/"]
REFUSALS = (400, 401, 403, 404, 405, 409, 411, 413, 415, 429)


def state() -> tuple:
    return (Incident.objects.count(), IncidentUpdate.objects.count(), IncidentPhoto.objects.count())


@pytest.fixture
def operator(client):
    user = User.objects.create_user("op-corpus")
    user.groups.add(Group.objects.get_or_create(name=ROLE_IOC)[0])
    client.force_login(user)
    return client


def test_the_corpus_is_here():
    assert len(BODIES) >= 20 and len(FILES) >= 200


@pytest.mark.parametrize("body", BODIES, ids=[f"body-{i}" for i in range(len(BODIES))])
def test_hostile_bodies_to_the_alerts_api_and_the_operators_actions_are_refused(operator, body):
    incident = incident_report(category="environment", lon=106.884, lat=11.535, channel="hotline",
                               actor=Actor("op", frozenset({ROLE_IOC})), description="Kiểm thử")
    before = state()
    version = incident.status
    for url, extra in (("/ioc/alerts/", bearer([ROLE_SENSOR])), (f"/ioc/incidents/{incident.pk}/act", {}),
                       ("/ioc/incidents", {})):
        answer = operator.post(url, body, content_type="application/json", **extra)
        assert answer.status_code in REFUSALS, (url, answer.status_code, answer.content[:300])
    assert state() == before and Incident.objects.get(pk=incident.pk).status == version


@pytest.mark.parametrize("value", VALUES, ids=[f"value-{i}" for i in range(len(VALUES))])
def test_hostile_values_in_open311_and_citizen_posts_are_refused(client, value):
    before = state()
    for field in ("lat", "long", "service_code", "api_key"):
        fields = {"api_key": "khong-co", "service_code": "environment", "lat": "11.535", "long": "106.884",
                  "description": "Rác", field: value}
        answer = client.post("/open311/v2/requests.json", fields, REMOTE_ADDR="192.0.2.50")
        assert answer.status_code in REFUSALS, (field, answer.status_code, answer.content[:300])
    for field in ("category", "lon", "lat", "description"):
        fields = {"category": "environment", "lon": "106.884", "lat": "11.535", "description": "Rác", field: value}
        if field == "description" and value.strip() and "\x00" not in value and len(value) <= 2000:
            continue  # ordinary text is a fine description (shown as text, never markup)
        answer = client.post("/phan-anh/", fields, REMOTE_ADDR="192.0.2.51")
        assert answer.status_code in REFUSALS, (field, answer.status_code, answer.content[:300])
    assert state() == before


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_hostile_files_as_photos_are_refused_and_nothing_is_written(client, path, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.GEO_MEDIA_DIR = tmp_path
    before = state()
    answer = client.post("/phan-anh/", {"category": "environment", "lon": "106.884", "lat": "11.535",
                                        "description": "Ảnh hiện trường",
                                        "photos": [SimpleUploadedFile("IMG_0001.jpg", path.read_bytes(),
                                                                      content_type="image/jpeg")]},
                         REMOTE_ADDR="192.0.2.52")
    assert answer.status_code in REFUSALS, (answer.status_code, answer.content[:300])
    assert state() == before and not any(tmp_path.iterdir())
