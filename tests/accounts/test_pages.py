import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_sign_in_and_sign_out_pages_in_vietnamese_and_english(client):
    assert "Tên đăng nhập" in client.get("/accounts/login/").content.decode()
    assert "User name" in client.get("/accounts/login/", {"lang": "en"}).content.decode()
    User.objects.create_user("nguoi-dan", password="Mat-khau-dan-1")
    client.get("/accounts/login/", {"lang": "vi"})  # back to Vietnamese (remembered in a cookie)
    client.post("/accounts/login/", {"username": "nguoi-dan", "password": "Mat-khau-dan-1"})
    page = client.post("/accounts/logout/")
    assert page.status_code == 200 and "Bạn đã đăng xuất" in page.content.decode()
    assert client.get("/data/").status_code == 302  # signed out for real
    assert client.get("/accounts/logout/").status_code == 405  # sign-out is a POST (CSRF-protected)
