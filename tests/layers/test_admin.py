import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_administrators_see_and_search_the_land_use_code_list(client):
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "x-unused-x"))
    response = client.get("/admin/land/landusecode/", {"q": "ODT"})
    assert response.status_code == 200
    assert "Đất ở tại đô thị" in response.content.decode()
    assert client.get("/admin/education/schoollevel/").status_code == 200


def test_the_admin_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/admin/land/landusecode/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_import_log_is_read_only_for_administrators(client, tmp_path):
    from importers.models import ImportRecord

    ImportRecord.objects.create(layer_id="parcels", file_name="thua.zip", sha256="0" * 64, size_bytes=1,
                                file_format="shapefile", mode="append", status="done")
    client.force_login(User.objects.create_superuser("admin2", "a@example.org", "x-unused-x"))
    page = client.get("/admin/importers/importrecord/")
    assert page.status_code == 200 and "thua.zip" in page.content.decode()
    assert client.get("/admin/importers/importrecord/add/").status_code == 403
