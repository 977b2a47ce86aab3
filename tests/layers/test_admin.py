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
